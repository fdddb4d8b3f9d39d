"""The classroom demos as instructors project them: ``python -m course.demos serve`` in a real
browser. Each demo opens without code, a control is moved the way a person moves it, and the
page then shows what the course's tested function gives for the new setting."""

import html
import sys

import pytest

from course import building, customer_value, demos, marketing_db, one_to_one, targeting

from .conftest import free_port, screenshot, server

#: how long a demo may take to show its widget: a kernel starts and loads a database
FIRST_RENDER_MS = 90_000
#: how long a moved control may take to redraw the output
REDRAW_MS = 30_000

SHOWS = """([selector, html]) => {
    const norm = (text) => text.replace(/\\s+/g, " ").trim();
    const want = norm(new DOMParser().parseFromString(html, "text/html").body.textContent);
    return [...document.querySelectorAll(selector)].some((e) => norm(e.textContent) === want);
}"""


@pytest.fixture(scope="module")
def site():
    """The demos served by ``python -m course.demos serve`` on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "course.demos", "serve", f"--port={port}", "--no-browser"]
    url = f"http://127.0.0.1:{port}"
    with server(command, f"{url}/"):
        yield url


def wait_until_shown(page, selector: str, shown_html: str) -> None:
    """Wait until an element of ``selector`` has the text of ``shown_html`` (whitespace aside)."""
    page.wait_for_function(SHOWS, arg=[selector, shown_html], timeout=REDRAW_MS)


def open_demo(page, site: str, demo: demos.Demo) -> None:
    """Start opening ``demo``: its kernel works while the test computes what to expect."""
    page.goto(f"{site}/voila/render/{demo.notebook}.ipynb", wait_until="commit")


def ready(page, demo: demos.Demo, widget: str) -> None:
    """Wait for ``demo``'s ``widget`` and check that no code is shown."""
    page.wait_for_selector(widget, timeout=FIRST_RENDER_MS)
    assert (
        page.locator(
            ".jp-InputArea-editor, .jp-CodeMirrorEditor, .cm-editor, pre.highlight"
        ).count()
        == 0
    )
    assert "from course import demos" not in page.inner_text("body")
    assert demo.title.split(" (")[0][3:] in page.inner_text("h1")
    screenshot(page, f"demo-{demo.notebook[:2]}-before")


def type_into_readout(page, value: str, nth: int = 0) -> None:
    """Type ``value`` into a slider's editable readout, as a person does, and press Enter."""
    readout = page.locator(".widget-readout").nth(nth)
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


DEMO = {demo.function: demo for demo in demos.DEMOS}


def test_the_index_lists_every_demo(page, site):
    page.goto(f"{site}/voila/render/{demos.INDEX}.ipynb")
    page.wait_for_selector("a[href$='.ipynb']", timeout=FIRST_RENDER_MS)
    links = page.locator("a[href$='.ipynb']")
    targets = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert targets == {f"{demo.notebook}.ipynb" for demo in demos.DEMOS}
    for demo in demos.DEMOS:
        assert page.get_by_role("link", name=demo.title).count() == 1
    screenshot(page, "demo-index")
    page.get_by_role("link", name=DEMO["pyramid_sizes"].title).click()
    page.wait_for_selector(".widget-slider", timeout=FIRST_RENDER_MS)
    page.goto(f"{site}/")
    for demo in demos.DEMOS:
        page.wait_for_selector(f"text={demo.notebook}.ipynb", timeout=REDRAW_MS)
    screenshot(page, "demo-tree")
    assert page.problems == []


def test_01_the_customer_explorer(page, site):
    open_demo(page, site, DEMO["customer_explorer"])
    ds, marketing = demos.explorer_inputs()
    ready(page, DEMO["customer_explorer"], ".widget-text input")
    other = int(marketing["customer_id"].iloc[10])
    page.locator(".widget-text input").fill(str(other))
    page.keyboard.press("Enter")
    wait_until_shown(
        page, ".widget-html-content", marketing_db.customer_view(ds, other, marketing).html()
    )
    screenshot(page, "demo-01-after")
    assert page.problems == []


@pytest.mark.parametrize(
    ("function", "threshold"), [("linkage_threshold", 0.3), ("cheapest_threshold", 0.5)]
)
def test_02_03_the_threshold_slider(page, site, function, threshold):
    demo = DEMO[function]
    open_demo(page, site, demo)
    scores, truth, duplicates, _ = getattr(demos, f"{function.split('_')[0]}_inputs")()
    ready(page, demo, ".widget-readout")
    type_into_readout(page, f"{threshold:.2f}")
    said = building.threshold_summary(scores, truth, threshold, duplicates)
    wait_until_shown(page, ".widget-label", html.escape(said))
    screenshot(page, f"demo-{demo.notebook[:2]}-after")
    assert page.problems == []


def test_05_the_pyramid_sizes(page, site):
    open_demo(page, site, DEMO["pyramid_sizes"])
    value = demos.pyramid_inputs()
    ready(page, DEMO["pyramid_sizes"], ".widget-slider .noUi-handle")
    page.locator(".noUi-handle").first.focus()
    for _ in range(15):  # A: 5 % -> 20 %, one step of 1 % a key
        page.keyboard.press("ArrowRight")
    layers = customer_value.top_layers(0.20, 0.15, 0.30)
    table = customer_value.pyramid(value, customer_value.abc_layers(value, layers)).round(3)
    wait_until_shown(page, ".widget-html-content", table.to_html())
    wait_until_shown(
        page, ".widget-html-content", html.escape(customer_value.pyramid_summary(value, layers))
    )
    screenshot(page, "demo-05-after")
    assert page.problems == []


def test_06_the_campaign_planner(page, site):
    open_demo(page, site, DEMO["campaign_planner"])
    bank, offer, score = demos.planner_inputs()
    ready(page, DEMO["campaign_planner"], ".widget-button")
    page.locator(".widget-dropdown select").select_option("sms")
    type_into_readout(page, "3,000", nth=0)
    page.get_by_role("button", name="Run the campaign").click()
    outcome = targeting.run_plan(bank, {**offer, "channel": "sms"}, score, 0.3, 3000)
    shown = targeting.plan_table(outcome).to_frame(bank.currency).to_html()
    wait_until_shown(page, ".widget-html-content", shown)
    screenshot(page, "demo-06-after")
    assert page.problems == []


def test_07_the_purchase_cycles(page, site):
    open_demo(page, site, DEMO["purchase_cycles"])
    inputs = demos.cycle_inputs()
    ready(page, DEMO["purchase_cycles"], ".widget-image")
    customer, table = inputs["customers"][-1], inputs["table"]
    bought = table.loc[table["customer_id"] == customer, "category"]
    category = next(c for c in inputs["categories"] if c != demos.CATEGORY and c in set(bought))
    pickers = page.locator(".widget-dropdown select")
    pickers.nth(0).select_option(str(customer))
    pickers.nth(1).select_option(category)
    said = one_to_one.cycle_summary(table, inputs["scored"], inputs["listed"], customer, category)
    wait_until_shown(page, ".widget-html-content", f"<pre>{html.escape(said)}</pre>")
    page.wait_for_selector(".widget-image[src^='blob:'], .widget-image[src^='data:']")
    screenshot(page, "demo-07-after")
    assert page.problems == []
