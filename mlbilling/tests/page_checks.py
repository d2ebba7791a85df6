"""What the page sweep (test_browser_pages.py) checks on every page, run inside the page.

Each check returns a list of findings (strings); an empty list is a pass. The JavaScript
runs in the browser because layout, console and accessibility exist only there.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Accessibility rules of WCAG 2.1 A and AA; only these two impacts fail the sweep.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_FAILING_IMPACTS = ("serious", "critical")
# Catalogue entries shorter than this are matched only as a whole text on the page:
# "Model" inside a sentence of a model's own description is no leftover.
SUBSTRING_MIN_LENGTH = 24
# From this window width on, a table shows whole: no column in a sideways scroll.
DESKTOP_WIDTH = 1024
# Rows of each table whose cells are hit-tested for an element laid over them (the header
# and the first rows: a column hidden under a neighbour hides from every row alike).
ROWS_PROBED = 3

# A table cell can be lost three ways, each seen on the dashboard's cards: it sticks out of
# a box that neither scrolls nor contains it (drawn under or over its neighbour); it is cut
# off by a box that hides its overflow; or, on a desktop-wide window, it sits in the hidden
# part of a box that scrolls sideways (the Russian "Recent batches" card hid its Status
# column that way). On a phone any table may scroll inside its own box, and so may, at
# any width, the boxes a caller names as data grids that scroll by design (the admin's
# change lists). Last, a cell's middle must show the cell itself, not another element laid
# over it.
LAYOUT_JS = """
([desktopWidth, rowsProbed, grids]) => {
  const found = [];
  const doc = document.documentElement;
  const desktop = window.innerWidth >= desktopWidth;
  if (doc.scrollWidth > window.innerWidth + 1) {
    found.push(`page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  const named = el => {
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    return classes ? `${el.tagName}.${classes.split(/\\s+/).join(".")}` : el.tagName;
  };
  const text = cell => `cell "${cell.innerText.trim().slice(0, 30)}"`;
  const lost = cell => {
    const box = cell.getBoundingClientRect();
    for (let up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      const outer = up.getBoundingClientRect();
      if (outer.width <= 1) return null;  // hidden on purpose: a header for screen readers
      const outside = box.right > outer.right + 1 || box.left < outer.left - 1;
      if (overflow === "auto" || overflow === "scroll") {
        const grid = grids && up.matches(grids);
        if (desktop && !grid && up.scrollWidth > up.clientWidth + 1 && outside) {
          return `${text(cell)} is hidden in the sideways scroll of ${named(up)}`;
        }
        return null;
      }
      if (outside) {
        const how = overflow === "visible" ? "sticks out of" : "is cut off by";
        return `${text(cell)} ${how} ${named(up)}`;
      }
    }
    return null;
  };
  const covered = cell => {
    const box = cell.getBoundingClientRect();
    const x = box.left + box.width / 2;
    if (x < 0 || x >= window.innerWidth) return null;  // off to the side: lost() says why
    window.scrollTo(0, window.scrollY + box.top + box.height / 2 - window.innerHeight / 2);
    const now = cell.getBoundingClientRect();
    const [cx, cy] = [now.left + now.width / 2, now.top + now.height / 2];
    for (let up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const outer = up.getBoundingClientRect();
      // Scrolled out of its box's view: lost() judges that, not an element laid over it.
      if (cx < outer.left || cx > outer.right || cy < outer.top || cy > outer.bottom) return null;
    }
    const hit = document.elementFromPoint(cx, cy);
    if (!hit || cell.contains(hit)) return null;
    return `${text(cell)} is covered by ${named(hit)}`;
  };
  for (const table of document.querySelectorAll("table")) {
    const rows = [...table.rows];
    rows.forEach((row, index) => {
      for (const cell of row.cells) {
        const box = cell.getBoundingClientRect();
        if (box.width <= 1 || box.height <= 1) continue;
        // Not drawn at all (a closed <details> keeps its content's layout): nothing to lose.
        const shown = {contentVisibilityAuto: true, visibilityProperty: true};
        if (!cell.checkVisibility(shown)) continue;
        const problem = lost(cell) || (index < rowsProbed ? covered(cell) : null);
        if (problem) found.push(problem);
      }
    });
  }
  window.scrollTo(0, 0);
  for (const input of document.querySelectorAll('input[type="date"]')) {
    const value = input.getAttribute("value");
    if (value && !/^\\d{4}-\\d{2}-\\d{2}$/.test(value)) {
      found.push(`date input ${input.name} holds "${value}", not an ISO date`);
    }
  }
  return found.slice(0, 10);
}
"""

# The page's own words, one string per text node, leaving out code and the user's data
# (inputs hold what the person typed); and the words drawn in the page's SVG figures (a
# model card's axis labels and legends), read from the files the page shows.
TEXTS_JS = """
async () => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("code, pre, script, style, [lang=en], [translate=no]")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) texts.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], img[alt]")) {
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name).trim());
    }
  }
  for (const img of document.querySelectorAll("img")) {
    const url = new URL(img.getAttribute("src") || "", location.href);
    if (url.origin !== location.origin || !url.pathname.endsWith(".svg")) continue;
    const svg = new DOMParser().parseFromString(await (await fetch(url)).text(), "image/svg+xml");
    for (const node of svg.querySelectorAll("text")) {
      const text = node.textContent.replace(/\\s+/g, " ").trim();
      if (text) texts.push(text);
    }
  }
  return texts;
}
"""

AXE_JS = """
async ([tags, impacts]) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  const where = v => v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ");
  return result.violations.filter(v => impacts.includes(v.impact))
    .map(v => `${v.impact} ${v.id}: ${v.help} (${where(v)})`);
}
"""


@cache
def english_leftovers_catalogue() -> tuple[frozenset[str], tuple[str, ...]]:
    """Our Russian catalogue's English texts that have a different Russian translation:
    (the whole-text set, the long ones also searched inside texts)."""
    path = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # no public reader
    english = {
        msgid
        for msgid, msgstr in catalogue.items()
        if isinstance(msgid, str) and msgid and msgid != msgstr and _plain(msgid)
    }
    long_ones = tuple(sorted(text for text in english if len(text) >= SUBSTRING_MIN_LENGTH))
    return frozenset(english), long_ones


def _plain(text: str) -> bool:
    """A text that can show on a page as written: no placeholder, no markup, one line."""
    return not re.search(r"%\(|%[sd]|\{|<|\n", text) and any(c.isalpha() for c in text)


def english_on_russian_page(page) -> list[str]:
    whole, long_ones = english_leftovers_catalogue()
    found = []
    for text in page.evaluate(TEXTS_JS):
        if text in whole or text.rstrip(":") in whole:
            found.append(text)
        else:
            found += [english for english in long_ones if english in text]
    return sorted(set(found))[:10]


def layout_problems(page, *, scrolling_grids: str = "") -> list[str]:
    """What LAYOUT_JS finds; `scrolling_grids` is a CSS selector of boxes that may scroll a
    wide table sideways even on a desktop."""
    return page.evaluate(LAYOUT_JS, [DESKTOP_WIDTH, ROWS_PROBED, scrolling_grids])


def accessibility_violations(page) -> list[str]:
    return page.evaluate(AXE_JS, [AXE_TAGS, list(AXE_FAILING_IMPACTS)])
