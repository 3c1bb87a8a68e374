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
def browser():
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        SHOTS.mkdir(exist_ok=True)
        yield b
        b.close()


def open_app(browser, app_url, width, height, locale="en-US", first_tab="Pixels"):
    """A page of the app in a browser whose language is ``locale``, once its first tab is shown."""
    pg = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
    pg.goto(app_url)
    expect(pg.get_by_role("tab", name=first_tab, exact=True)).to_be_visible(timeout=60_000)
    return pg


@pytest.fixture(scope="module")
def page(browser, app_url):
    pg = open_app(browser, app_url, 1280, 1000)
    yield pg
    pg.close()


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


def test_stop_during_a_run_keeps_the_partial_images_and_shows_no_error(page):
    open_tab(page, "Pixels")
    page.locator("#pixels-model input").click()
    page.get_by_role("option", name=re.compile("pixelcnn_8bit")).click()  # the slowest step: time to press Stop
    n = page.locator("#pixels-n input[type=number]")
    n.fill("16")
    n.press("Tab")
    before = page.locator("#pixels-canvas img").get_attribute("src")
    page.locator("#pixels-go").click()
    expect(page.locator("#pixels-status")).to_contain_text(re.compile(r"pixel \d+ / 784"), timeout=60_000)
    page.locator("#pixels-stop").click()
    expect(page.locator("#pixels-status")).to_contain_text("Stopped at pixel", timeout=60_000)
    src = page.locator("#pixels-canvas img").get_attribute("src")
    assert src and src != before  # the partial images stay on screen
    expect(page.locator(".toast-body.error")).to_have_count(0)
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)
    shot(page, "pixels_stopped")
    page.locator("#pixels-model input").click()
    page.get_by_role("option", name=re.compile("image_transformer")).click()
    n.fill("4")
    n.press("Tab")


def test_scrubbing_a_draw_shows_that_step_and_what_its_conditional_sees(page):
    open_tab(page, "Pixels")
    page.locator("#pixels-go").click()
    expect(page.locator("#pixels-status")).to_contain_text("images in", timeout=120_000)
    box = page.locator("#pixels-step input[type=number]")
    box.fill("300")
    box.press("Enter")
    expect(page.locator("#pixels-about")).to_contain_text("Step 300 of 784", timeout=30_000)
    expect(page.locator("#pixels-seen img")).to_be_visible()
    page.get_by_role("button", name="step ▶").click()
    expect(page.locator("#pixels-about")).to_contain_text("Step 301 of 784", timeout=30_000)
    shot(page, "pixels_inspect")


# each tab's primary button and first result, which a projector at 1366x768 must show without scrolling
ABOVE_THE_FOLD = {"Pixels": ("pixels-go", "pixels-canvas"), "Completion": ("completion-go", "completion-out"),
                  "Text": ("text-go", "text-out"), "Latent": ("latent-go", "latent-decoded"),
                  "GAN": ("gan-go", "gan-samples"), "Likelihood": ("likelihood-go", "likelihood-table"),
                  "Models": (None, "board-image")}


def test_at_projector_size_each_tabs_button_and_first_result_are_on_screen(browser, app_url):
    projector = open_app(browser, app_url, 1366, 768)
    for name, ids in ABOVE_THE_FOLD.items():
        open_tab(projector, name)
        for elem_id in filter(None, ids):
            element = projector.locator(f"#{elem_id}")
            expect(element).to_be_visible(timeout=30_000)
            box = element.bounding_box()
            assert box["y"] >= 0 and box["y"] + min(box["height"], 120) <= 768, f"{name}: #{elem_id} at {box}"
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, f"{name}: #{elem_id} at {box}"
        projector.screenshot(path=str(SHOTS / f"projector_{name.lower()}.png"))
    projector.close()


def test_on_a_phone_every_tab_is_one_tap_away(browser, app_url):
    phone = open_app(browser, app_url, 390, 844)
    for name in ("Pixels", "Completion", "Text", "Latent", "GAN", "Likelihood", "Models"):
        tab = phone.get_by_role("tab", name=name, exact=True)
        expect(tab).to_be_visible()
        box = tab.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= 390, name
    for name in ABOVE_THE_FOLD:
        open_tab(phone, name)
        phone.wait_for_timeout(500)
        phone.screenshot(path=str(SHOTS / f"phone_{name.lower()}.png"), full_page=True)
    phone.close()


def test_completion_tab_completes_the_chosen_image(page):
    open_tab(page, "Completion")
    expect(page.locator("#completion-out img")).to_be_visible(timeout=30_000)  # the occluded image, on first view
    page.locator("#completion-gallery button").nth(3).click()  # pick the 4th gallery image
    page.locator("#completion-go").click()
    finished(page, "completion-out")
    expect(page.get_by_text(re.compile(r"completions in [\d.]+ s"))).to_be_visible()
    shot(page, "completion")


def test_likelihood_tab_scores_an_example_anomaly(page):
    open_tab(page, "Likelihood")
    expect(page.locator("#likelihood-scale")).to_contain_text("nats", timeout=30_000)  # on the tab's first view
    page.get_by_role("button", name="Example: noise").click()
    expect(page.locator("#likelihood-table")).to_contain_text("unusual", timeout=60_000)
    shot(page, "likelihood")


def test_latent_tab_decodes_as_a_slider_moves(page):
    open_tab(page, "Latent")
    decoded = page.locator("#latent-decoded img")
    expect(decoded).to_be_visible(timeout=30_000)
    expect(page.locator("#latent-plane img")).to_be_visible(timeout=30_000)  # drawn on the tab's first view
    expect(page.locator("#latent-chart img")).to_be_visible(timeout=30_000)
    before = decoded.get_attribute("src")
    number = page.locator("#latent-z1 input[type=number]")
    number.fill("2.5")
    number.press("Tab")
    expect(decoded).not_to_have_attribute("src", before, timeout=30_000)
    expect(page.locator("#latent-z textarea")).to_have_value(re.compile(r"^2\.50, "))
    shot(page, "latent_slider")


def test_gan_tab_draws_samples_with_d_of_x(page):
    open_tab(page, "GAN")
    expect(page.locator("#gan-curves img")).to_be_visible(timeout=30_000)  # drawn on the tab's first view
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


def test_a_spanish_browser_gets_the_pixels_tab_in_spanish_with_its_equations(browser, app_url):
    es = open_app(browser, app_url, 1280, 1000, locale="es-ES", first_tab="Píxeles")
    expect(es.locator("html")).to_have_attribute("lang", "es")
    expect(es.get_by_text("Píxel a píxel")).to_be_visible()
    expect(es.locator("#pixels-go")).to_have_text("Generar")
    expect(es.get_by_text("semilla", exact=True).first).to_be_visible()
    assert es.get_by_role("tabpanel").locator(".katex").count() > 0  # the LaTeX is rendered, as in English
    es.screenshot(path=str(SHOTS / "lang_es_pixels.png"), full_page=True)
    es.close()


def test_the_switch_puts_the_page_in_russian_and_messages_follow(browser, app_url):
    ru = open_app(browser, app_url, 1280, 1000)  # an English browser
    ru.locator("#lang-switch").get_by_role("link", name="Русский").click()
    expect(ru.get_by_role("tab", name="Пиксели", exact=True)).to_be_visible(timeout=60_000)
    assert ru.url.endswith("?lang=ru")
    # (a switched page retitles only the open tab: Gradio's tab bar keeps the others' titles until opened)
    ru.get_by_role("tab", name=re.compile("^(Text|Текст)$")).click()
    expect(ru.locator("#text-go")).to_have_text("Написать")
    expect(ru.get_by_text("Текст, символ за символом")).to_be_visible()
    ru.get_by_label("ваш текст (имена: по одному в строке)").fill("")
    ru.locator("#text-score-go").click()  # nothing to score: the message is in Russian too
    expect(ru.locator(".toast-body")).to_contain_text("Введите или вставьте текст", timeout=30_000)
    ru.screenshot(path=str(SHOTS / "lang_ru_text.png"), full_page=True)
    ru.locator("#lang-switch").get_by_role("link", name="English").click()
    expect(ru.get_by_role("tab", name="Pixels", exact=True)).to_be_visible(timeout=60_000)
    ru.close()
