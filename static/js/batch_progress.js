// Batch page: polls the job's status and updates the progress bar until it finishes.
(function () {
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var bar = box.querySelector('[data-field="bar"]');
  // The width is set here, not in a style attribute: the Content-Security-Policy allows
  // no inline styles.
  bar.style.width = box.querySelector('[role="progressbar"]').getAttribute("aria-valuenow") + "%";
  if (box.dataset.finished === "1") return;
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = value === null ? "–" : value;
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (p) {
      ["status_label", "rows_done", "rows_failed", "charged"].forEach(function (k) { set(k, p[k]); });
      set("elapsed", p.elapsed_seconds); set("remaining", p.remaining_seconds);
      bar.style.width = p.percent + "%";
      box.querySelector('[role="progressbar"]').setAttribute("aria-valuenow", p.percent);
      box.querySelector('[data-field="cancel_note"]').hidden = !(p.cancel_requested && !p.finished);
      box.querySelector('[data-field="download"]').hidden = !p.result_ready;
      if (p.finished) { var c = box.querySelector('[data-field="cancel"]'); if (c) c.hidden = true; return; }
      setTimeout(poll, 2000);
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
