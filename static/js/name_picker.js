// The name picker (predictions/serving/name_picker.py): type to search the names, pick one
// with Enter or a click, remove a chosen one with its chip. The checkboxes of the grid stay
// the form's input: picking ticks one, removing a chip unticks it, and ticking in the grid
// adds a chip. Keyboard: arrows move in the list, Enter picks, Escape closes it, Backspace
// in an empty box removes the last chip.
(function () {
  var MAX_SHOWN = 50;

  function setUp(picker) {
    var grid = picker.nextElementSibling;  // <details data-name-picker-grid>
    var boxes = Array.prototype.slice.call(grid.querySelectorAll('input[type="checkbox"]'));
    var search = picker.querySelector("[data-search]");
    var list = picker.querySelector("[data-options]");
    var chips = picker.querySelector("[data-chips]");
    var announce = picker.querySelector("[data-announce]");
    var shown = [];  // the checkboxes whose names the list shows
    var active = -1;

    function say(template, name) { announce.textContent = template.replace("%s", name); }

    function close() {
      list.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role="option"]');
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      search.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    }

    function showMatches() {
      var query = search.value.trim().toLowerCase();
      list.textContent = "";
      active = -1;
      search.removeAttribute("aria-activedescendant");
      if (!query) { close(); return; }
      shown = boxes.filter(function (box) {
        return !box.checked && box.value.toLowerCase().indexOf(query) !== -1;
      }).slice(0, MAX_SHOWN);
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "name-picker-none";
        none.textContent = picker.dataset.noMatch;
        list.appendChild(none);
      }
      shown.forEach(function (box, i) {
        var option = document.createElement("li");
        option.id = search.id + "_option_" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = box.value;
        // mousedown, not click: the search box keeps the focus.
        option.addEventListener("mousedown", function (event) { event.preventDefault(); pick(box); });
        list.appendChild(option);
      });
      list.hidden = false;
      search.setAttribute("aria-expanded", "true");
    }

    function pick(box) {
      box.checked = true;
      search.value = "";
      close();
      drawChips();
      say(picker.dataset.picked, box.value);
      search.focus();
    }

    function unpick(box, focusAfter) {
      box.checked = false;
      drawChips();
      say(picker.dataset.removed, box.value);
      (focusAfter || search).focus();
    }

    function drawChips() {
      chips.textContent = "";
      boxes.filter(function (box) { return box.checked; }).forEach(function (box) {
        var chip = document.createElement("li");
        chip.className = "chip";
        var name = document.createElement("span");
        name.textContent = box.value;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.textContent = "\u00d7";
        remove.setAttribute("aria-label", picker.dataset.removeLabel.replace("%s", box.value));
        remove.addEventListener("click", function () {
          var next = chip.nextElementSibling || chip.previousElementSibling;
          unpick(box, next && next.querySelector("button"));
        });
        chip.appendChild(name);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    search.addEventListener("input", showMatches);
    search.addEventListener("blur", close);
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) showMatches();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        // Enter in the search box picks; it never submits the form half-chosen.
        if (search.value.trim() || !list.hidden) event.preventDefault();
        if (active >= 0) pick(shown[active]);
        else if (shown.length === 1 && !list.hidden) pick(shown[0]);
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Backspace" && !search.value) {
        var chosen = boxes.filter(function (box) { return box.checked; });
        if (chosen.length) unpick(chosen[chosen.length - 1]);
      }
    });
    boxes.forEach(function (box) { box.addEventListener("change", drawChips); });

    drawChips();
    picker.hidden = false;
    grid.open = false;  // the grid becomes the advanced view
  }

  document.querySelectorAll("[data-name-picker]").forEach(setUp);
})();
