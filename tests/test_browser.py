"""The app in a real browser: headless Debian Chromium driven by the PyPI playwright package.

Opens the app, generates in the Pixels tab, runs a completion, scores an image, and saves a
screenshot of every tab to artifacts/. Needs /usr/bin/chromium (`apt-get install chromium`; never
`playwright install`): skipped without it, except where GENLAB_REQUIRE_BROWSER=1 (CI) makes it fail.
"""
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "artifacts"
REQUIRED = os.environ.get("GENLAB_REQUIRE_BROWSER") == "1"

if not shutil.which(CHROMIUM) and not REQUIRED:
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api") if not REQUIRED else __import__("playwright.sync_api").sync_api
expect = sync_api.expect
BUSY = re.compile("generating|pending")


@pytest.fixture(scope="module")
def page(app_url):
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 1000})
        pg.goto(app_url)
        SHOTS.mkdir(exist_ok=True)
        yield pg
        browser.close()


def open_tab(page, name):
    page.get_by_role("tab", name=name, exact=True).click()


def finished(page, elem_id, timeout=120_000):
    """Wait until the output's first frame is shown and its stream has ended."""
    expect(page.locator(f"#{elem_id} img").first).to_be_visible(timeout=timeout)
    expect(page.locator(f"#{elem_id} [data-testid=status-tracker]")).not_to_have_class(BUSY, timeout=timeout)


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"tab_{name}.png"), full_page=True)


def test_pixels_tab_streams_samples(page):
    open_tab(page, "Pixels")
    page.locator("#pixels-go").click()
    finished(page, "pixels-canvas")
    expect(page.get_by_text(re.compile(r"images in [\d.]+ s"))).to_be_visible()
    assert page.locator("#pixels-canvas img").evaluate("i => i.naturalWidth") > 100
    shot(page, "pixels")


def test_completion_tab_completes_the_chosen_image(page):
    open_tab(page, "Completion")
    page.locator("#completion-gallery button").nth(3).click()  # pick the 4th gallery image
    page.locator("#completion-go").click()
    finished(page, "completion-out")
    expect(page.get_by_text(re.compile(r"completions in [\d.]+ s"))).to_be_visible()
    shot(page, "completion")


def test_likelihood_tab_scores_an_example_anomaly(page):
    open_tab(page, "Likelihood")
    page.get_by_role("button", name="Example: noise").click()
    expect(page.locator("#likelihood-table")).to_contain_text("unusual", timeout=60_000)
    shot(page, "likelihood")


def test_latent_tab_decodes_as_a_slider_moves(page):
    open_tab(page, "Latent")
    decoded = page.locator("#latent-decoded img")
    expect(decoded).to_be_visible(timeout=30_000)
    before = decoded.get_attribute("src")
    number = page.locator("#latent-z1 input[type=number]")
    number.fill("2.5")
    number.press("Tab")
    expect(decoded).not_to_have_attribute("src", before, timeout=30_000)
    expect(page.locator("#latent-z textarea")).to_have_value(re.compile(r"^2\.50, "))
    shot(page, "latent_slider")


def test_gan_tab_draws_samples_with_d_of_x(page):
    open_tab(page, "GAN")
    page.locator("#gan-go").click()
    expect(page.get_by_text(re.compile(r"samples in \d+ ms"))).to_be_visible(timeout=60_000)
    expect(page.locator("#gan-samples").get_by_text(re.compile(r"D\(x\) = \d")).first).to_be_visible()
    shot(page, "gan")


def test_every_other_tab_renders(page):
    for name in ("Text", "Latent", "Models"):
        open_tab(page, name)
        expect(page.get_by_role("tabpanel").filter(has=page.locator("h3")).first).to_be_visible()
        page.wait_for_timeout(500)  # let plots and galleries lay out before the picture
        shot(page, name.lower())
    expect(page.locator("#board-image")).to_contain_text("fvsbn-fashion-mnist")


def test_completion_of_a_painted_occlusion(page):
    open_tab(page, "Completion")
    page.get_by_label("my painting").check()  # opens the painting canvas on the current image
    editor = page.locator("#completion-painter")
    editor.locator("button[aria-label=Brush]").first.click()
    box = editor.locator("canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 60, cy)
    page.mouse.down()
    for k in range(1, 7):  # a horizontal stroke across the middle; each pointer event is slow, keep few
        page.mouse.move(cx - 60 + 20 * k, cy + 8 * (k % 2))
    page.mouse.up()
    page.locator("#completion-go").click()
    finished(page, "completion-out")
    expect(page.get_by_text(re.compile(r"all \d+ known pixels|the \d+ known pixels before"))).to_be_visible()
    shot(page, "completion_painted")
