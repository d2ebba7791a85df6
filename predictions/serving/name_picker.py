"""A widget for choosing a few names out of many (case 1's 241 permissions and API calls):
a search-as-you-type list with the chosen names as removable chips, over the grid of
checkboxes.

The checkboxes stay the form's input, so the form posts the same list of names with or
without JavaScript. `static/js/name_picker.js` shows the search box and the chips and
folds the grid into an "advanced" view; without it the grid is all there is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

_PICKER = """\
<div class="name-picker" data-name-picker hidden
     data-remove-label="{remove_label}" data-no-match="{no_match}" data-picked="{picked}"
     data-removed="{removed}">
  <label for="{id}_search">{search_label}</label>
  <div class="name-picker-box">
    <input type="text" id="{id}_search" role="combobox" aria-autocomplete="list"
           aria-expanded="false" aria-controls="{id}_options" autocomplete="off"
           spellcheck="false" data-search>
    <ul id="{id}_options" role="listbox" class="name-picker-options"
        aria-label="{search_label}" data-options hidden></ul>
  </div>
  <p class="name-picker-chosen" id="{id}_chosen">{chosen_label}</p>
  <ul class="chips" aria-labelledby="{id}_chosen" data-chips></ul>
  <p class="visually-hidden" aria-live="polite" data-announce></p>
</div>
<details class="name-picker-grid" data-name-picker-grid open>
  <summary>{grid_label}</summary>
  {grid}
</details>"""


class NamePicker(forms.CheckboxSelectMultiple):
    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"class": "checkbox-grid", **(attrs or {})}, choices)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        grid = super().render(name, value, attrs, renderer)
        field_id = (attrs or {}).get("id") or f"id_{name}"
        return format_html(
            _PICKER,
            id=field_id,
            grid=grid,
            search_label=_("Search by name"),
            chosen_label=_("Chosen:"),
            grid_label=_("All %(count)d as a grid of boxes (advanced)")
            % {"count": len(self.choices)},
            # Filled in by the script: "%s" is the name.
            remove_label=_("Remove %s"),
            picked=_("%s added."),
            removed=_("%s removed."),
            no_match=_("No name matches."),
        )
