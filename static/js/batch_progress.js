// Batch page: polls the job's status (same origin, JSON) and rewrites the page's numbers,
// the header balance and the notices until the job ends. The server formats every value
// in the reader's language, so this only places text.
(function () {
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var bar = box.querySelector('[data-field="bar"]');
  var progressbar = box.querySelector('[role="progressbar"]');
  // The width is set here, not in a style attribute: the Content-Security-Policy allows
  // no inline styles.
  bar.style.width = progressbar.getAttribute("aria-valuenow") + "%";
  if (box.dataset.finished === "1") return;

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function set(name, value) {
    var el = field(name);
    if (el) el.textContent = value === null ? "–" : value;
  }
  function show(name, shown) {
    var el = box.querySelector('[data-shown-by="' + name + '"]') || field(name);
    if (el) el.hidden = !shown;
  }
  function update(p) {
    ["status_label", "rows_done", "rows_failed", "charged", "elapsed", "remaining"].forEach(function (k) { set(k, p[k]); });
    field("status_label").className = "status-" + p.status;
    set("held", p.held || "");
    show("held", p.held !== null);
    bar.style.width = p.percent + "%";
    progressbar.setAttribute("aria-valuenow", p.percent);
    show("cancel_note", p.cancel_requested && !p.finished);
    show("download", p.result_ready);
    show("cancel", !p.finished);
    var error = field("error");
    error.textContent = p.error;
    error.hidden = !p.error;
    document.querySelectorAll("[data-wallet-balance]").forEach(function (el) { el.textContent = p.balance; });
    if (p.status !== "queued") {
      // "Job confirmed: it will start shortly" is no longer true.
      document.querySelectorAll(".message.job-queued").forEach(function (el) { el.remove(); });
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (p) {
        update(p);
        if (!p.finished) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
