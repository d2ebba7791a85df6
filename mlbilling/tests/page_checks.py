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

# A table cell that sticks out of a box that neither scrolls nor contains it is drawn under
# (or over) its neighbour: the dashboard's cards hid their right-hand columns that way.
LAYOUT_JS = """
() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    found.push(`page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  for (const cell of document.querySelectorAll("td, th")) {
    const box = cell.getBoundingClientRect();
    if (!box.width) continue;
    for (let up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === "auto" || overflow === "scroll") break;
      const outer = up.getBoundingClientRect();
      if (outer.width <= 1) break;  // hidden on purpose: a header for screen readers
      if (box.right > outer.right + 1 || box.left < outer.left - 1) {
        const name = up.className ? `${up.tagName}.${up.className}` : up.tagName;
        found.push(`cell "${cell.innerText.trim().slice(0, 30)}" sticks out of ${name}`);
        break;
      }
    }
  }
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
# (inputs hold what the person typed).
TEXTS_JS = """
() => {
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


def layout_problems(page) -> list[str]:
    return page.evaluate(LAYOUT_JS)


def accessibility_violations(page) -> list[str]:
    return page.evaluate(AXE_JS, [AXE_TAGS, list(AXE_FAILING_IMPACTS)])
