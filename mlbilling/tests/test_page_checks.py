"""The page sweep's layout check (page_checks.LAYOUT_JS) on pages made to fail it: each
way a table cell gets lost is found, and a table that fits is not blamed."""

from __future__ import annotations

import pytest

from mlbilling.tests import page_checks
from mlbilling.tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

# Two cards side by side, like the dashboard's grid; {style} is the left card table's box.
CARDS = """<!doctype html><html><body style="margin:0">
<div style="display:grid; grid-template-columns: 300px 300px; gap: 10px">
  <section id="left" style="background:#fff"><div style="{style}">
    <table style="width:{width}px"><tr><th>File</th><th>Model</th><th>Status</th></tr>
      <tr><td>rows.csv</td><td>nhanes-age</td><td>queued</td></tr></table>
  </div></section>
  <section id="right" style="background:#eee; position:relative">Top-ups</section>
</div>{extra}</body></html>"""


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def _problems(page, *, style: str = "", width: int = 280, extra: str = "") -> list[str]:
    page.set_content(CARDS.format(style=style, width=width, extra=extra))
    return page_checks.layout_problems(page)


def test_a_table_that_fits_its_card_passes(page):
    assert _problems(page, style="overflow-x:auto") == []


def test_a_cell_sticking_out_of_its_card_is_found(page):
    assert 'cell "queued" sticks out of DIV' in _problems(page, width=600)


def test_a_cell_cut_off_by_a_box_hiding_its_overflow_is_found(page):
    problems = _problems(page, style="overflow:hidden", width=600)

    assert 'cell "queued" is cut off by DIV' in problems


def test_a_column_in_the_hidden_part_of_a_sideways_scroll_is_found_on_a_desktop(page):
    problems = _problems(page, style="overflow-x:auto", width=600)

    assert 'cell "queued" is hidden in the sideways scroll of DIV' in problems


def test_a_phone_may_scroll_a_wide_table_inside_its_own_box(page):
    page.set_viewport_size({"width": 390, "height": 900})
    try:
        problems = _problems(page, style="overflow-x:auto; max-width:300px", width=600)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})

    assert not [p for p in problems if p.startswith("cell")]


def test_a_cell_under_another_element_is_found(page):
    over = (
        '<div id="over" style="position:absolute; left:200px; top:0; width:100px;'
        ' height:80px; background:red"></div>'
    )
    problems = _problems(page, extra=over)

    assert any(p.startswith('cell "Status" is covered by DIV') for p in problems), problems


def test_english_drawn_in_a_figure_of_a_russian_page_is_found(page):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text x="0" y="10">{}</text></svg>'
    figures = {"/en.svg": svg.format("predicted"), "/ru.svg": svg.format("предсказанный класс")}

    def serve(route):
        path = route.request.url.removeprefix("http://sweep.test")
        if path in figures:
            route.fulfill(content_type="image/svg+xml", body=figures[path])
        else:
            card = f'<html><img src="{path}.svg" alt=""></html>'
            route.fulfill(content_type="text/html", body=card)

    page.route("http://sweep.test/**", serve)
    try:
        page.goto("http://sweep.test/en")
        english = page_checks.english_on_russian_page(page)
        page.goto("http://sweep.test/ru")
        russian = page_checks.english_on_russian_page(page)
    finally:
        page.unroute("http://sweep.test/**")

    assert english == ["predicted"]
    assert russian == []


def test_a_table_in_a_closed_details_is_not_blamed(page):
    closed = "<details><summary>Inputs</summary><table><tr><td>x1</td></tr></table></details>"

    assert _problems(page, extra=closed + "<h3>Next</h3><pre>{}</pre>") == []
