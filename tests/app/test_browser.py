"""End to end in Debian's headless Chromium driven by Playwright: what a person sees and clicks, and the layout facts
of the first screen measured on a 1600 px wide page.

The served app runs as on a fresh install where one download has not happened yet: no SMPL (the bundled open body
model stands in), HybrIK's checkpoint missing, HMR and SPIN-GTA with stand-in checkpoints of random weights
(core.testing.data: their meshes are nonsense, the keypoint fit is real). Full-page screenshots go to
test-artifacts/ (gitignored); the four pictures of the page that the README shows go to the folder given by
`--screenshots` (default test-artifacts/; `--screenshots docs/screenshots` refreshes the README's, docs/app.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.methods import METHODS
from core.paths import REPO_ROOT as REPO
from core.testing.app_server import AppServer
from core.testing.data import STANDIN_CHECKPOINT, write_app_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
RESULT_TIMEOUT_MS = 240_000
VIEWPORT = {"width": 1600, "height": 1000}
MISSING = "hybrik"  # the method whose checkpoint the served data folder lacks
MIN_OVERLAY_WIDTH = 480  # pixels of picture on the page, per overlay, when three methods ran
README_SHOT_QUALITY = 80  # JPEG: the README's pictures stay well under 300 KB


@pytest.fixture(scope="module")
def readme_shots(request) -> Path:
    folder = Path(request.config.getoption("--screenshots"))
    folder = folder if folder.is_absolute() else request.config.invocation_params.dir / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(page, data folder) of the served app."""
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("browser_app")
    data = write_app_data(root / "data")
    (data / "checkpoints" / STANDIN_CHECKPOINT.format(method=MISSING)).unlink()
    for smpl_file in (data / "body_models" / "smpl").iterdir():
        smpl_file.unlink()
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        AppServer(root / "app_tmp", data, HMRC_APP_CONCURRENCY="2", HMRC_APP_QUEUE="8") as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url, wait_until="load", timeout=120_000)
        yield page, data
        browser.close()


@pytest.fixture(scope="module")
def page(served):
    return served[0]


def fresh(page) -> None:
    """A new session on an untouched page."""
    page.reload(wait_until="load", timeout=120_000)
    page.locator("#run-button").wait_for()


def readme_shot(target, folder: Path, name: str) -> None:
    """A picture for the README, as a JPEG: an element (a locator), or the page from its top down to an element
    (a (page, selector) pair)."""
    path, options = str(folder / f"{name}.jpg"), {"type": "jpeg", "quality": README_SHOT_QUALITY}
    if isinstance(target, tuple):
        page, selector = target
        page.evaluate("window.scrollTo(0, 0)")
        bottom = page.locator(selector).bounding_box()
        height = bottom["y"] + bottom["height"] + 16
        page.screenshot(
            path=path, full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}, **options
        )
    else:
        target.screenshot(path=path, **options)


def wait_for_pictures(page, selector: str) -> None:
    """Every <img> under `selector` scrolled into view and loaded (Gradio's galleries load lazily)."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_function(
        "s => [...document.querySelectorAll(s + ' img')].every(i => i.complete && i.naturalWidth > 0)",
        arg=selector,
        timeout=60_000,
    )


def pictures_on_page(page, selector: str) -> list[dict]:
    """For each <img> under `selector`: the size of the picture as drawn (object-fit: contain shrinks it inside its
    box), the box's top, and its object-fit."""
    return page.locator(selector + " img").evaluate_all(
        """images => images.map(i => {
            const box = i.getBoundingClientRect();
            const scale = Math.min(box.width / i.naturalWidth, box.height / i.naturalHeight);
            return {width: i.naturalWidth * scale, height: i.naturalHeight * scale, top: box.top,
                    fit: getComputedStyle(i).objectFit};
        })"""
    )


def visible_headers(page) -> list[str]:
    """The column headers of every table on the page that is visible."""
    return page.locator("table thead th").evaluate_all(
        "cells => cells.filter(c => c.offsetParent !== null).map(c => c.innerText.trim())"
    )


def placeholder_headers(page) -> list[str]:
    """Visible column headers that are bare numbers (Gradio's "1 2 3" for a table without columns)."""
    return [text for text in visible_headers(page) if text.isdigit()]


def rgb(css_colour: str) -> tuple[int, ...]:
    """'rgb(217, 217, 217)' → (217, 217, 217)."""
    return tuple(int(part) for part in css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")[:3])


def test_a_fresh_page_unticks_the_method_without_weights_and_offers_its_download(page):
    from playwright.sync_api import expect

    fresh(page)
    boxes = page.locator("#method-checkboxes input[type=checkbox]")
    ticked = {box.get_attribute("name"): box.is_checked() for box in boxes.all()}
    assert ticked == {m.id: m.id != MISSING for m in METHODS}
    expect(page.locator("#method-checkboxes")).to_contain_text("HybrIK (no checkpoint: download it below)")
    expect(page.locator(f"#inline-download-{MISSING}")).to_be_visible()
    for method in ("hmr", "spin_gta"):
        expect(page.locator(f"#inline-download-{method}")).to_be_hidden()
    expect(page.locator("#overlay-gallery")).to_be_hidden()  # no empty results area before a run
    assert placeholder_headers(page) == []


def test_an_example_shows_each_overlay_large_in_one_row_and_no_placeholder_tables(page, readme_shots):
    from playwright.sync_api import expect

    fresh(page)
    page.get_by_text("Skier (COCO, CC BY 2.0)").click()  # runs with the ticked methods: HMR, SPIN-GTA, fit
    expect(page.locator("#status-box")).to_contain_text("1 people detected, 1 reconstructed", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#overlay-gallery img")).to_have_count(3, timeout=RESULT_TIMEOUT_MS)
    wait_for_pictures(page, "#overlay-gallery")
    overlays = pictures_on_page(page, "#overlay-gallery")
    assert {o["fit"] for o in overlays} == {"contain"}  # each overlay whole
    assert min(o["width"] for o in overlays) >= MIN_OVERLAY_WIDTH, overlays
    assert max(o["top"] for o in overlays) - min(o["top"] for o in overlays) < 2, overlays  # one row
    for table in ("#error-table", "#disagreement-table"):
        expect(page.locator(table).get_by_text("Fit", exact=True).first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    assert {"stage", "joint", "mm"} <= set(visible_headers(page))  # timings, 2D errors, method vs method
    assert placeholder_headers(page) == []
    readme_shot((page, "#overlay-gallery"), readme_shots, "compare")
    page.screenshot(path=str(ARTIFACTS / "app_1_example.png"), full_page=True)
    scene = page.locator("#scene-row")
    scene.scroll_into_view_if_needed()
    canvas = page.locator("#model-3d canvas").first
    expect(canvas).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    page.wait_for_timeout(3000)  # the viewer loads the GLB and draws its first frame
    before = canvas.screenshot()
    turn_the_scene(page, canvas)
    assert canvas.screenshot() != before  # the viewer draws the scene and turns it
    readme_shot(scene, readme_shots, "3d_viewer")


def turn_the_scene(page, canvas) -> None:
    """Zoom in with the wheel and drag sideways, as a visitor would, to see the meshes in front of the photo."""
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(800)
    page.mouse.down()
    page.mouse.move(x + 150, y + 10, steps=15)
    page.mouse.up()
    page.wait_for_timeout(1500)


def test_one_method_hides_the_method_vs_method_table_and_heatmap(page):
    from playwright.sync_api import expect

    fresh(page)
    for box in page.locator("#method-checkboxes input[type=checkbox]").all():
        box.set_checked(box.get_attribute("name") == "fit")
    page.get_by_text("Skier (COCO, CC BY 2.0)").click()
    expect(page.locator("#status-box")).to_contain_text("Methods: Fit.", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#overlay-gallery img")).to_have_count(1)
    expect(page.locator("#error-table").get_by_text("Fit", exact=True).first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#disagreement-table")).to_be_hidden()
    expect(page.locator("#heatmap-image")).to_be_hidden()
    assert placeholder_headers(page) == []


def test_every_method_ticked_runs_those_with_weights_and_says_why_the_other_did_not(page):
    from playwright.sync_api import expect

    fresh(page)
    page.get_by_text("Skier (COCO, CC BY 2.0)").click()
    status = page.locator("#status-box")
    expect(status).to_contain_text("1 people detected", timeout=RESULT_TIMEOUT_MS)
    for box in page.locator("#method-checkboxes input[type=checkbox]").all():  # every method
        box.check()
    page.locator("#run-button").click()
    expect(status).to_contain_text("HybrIK did not run", timeout=RESULT_TIMEOUT_MS)
    expect(status).to_contain_text("1 people detected, 1 reconstructed")
    expect(page.locator("#overlay-gallery img")).to_have_count(3)
    expect(page.locator("#side-gallery img")).to_have_count(3)
    expect(page.locator("#model-3d canvas").first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    table = page.locator("#error-table")
    expect(table.get_by_text("mean (px)", exact=True).first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    for label in ("HMR (custom)", "SPIN-GTA (custom)", "Fit"):
        expect(table.get_by_text(label, exact=True).first).to_be_visible()
    assert placeholder_headers(page) == []
    page.screenshot(path=str(ARTIFACTS / "app_2_compare.png"), full_page=True)


def test_a_corrupt_upload_is_taken_out_of_the_photo_box_with_a_sentence(page, tmp_path):
    from playwright.sync_api import expect

    fresh(page)
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page.locator("#image-input input[type=file]").set_input_files(str(broken))
    status = page.locator("#status-box")
    expect(status).to_contain_text("Upload refused", timeout=60_000)
    expect(status).to_contain_text("damaged")
    expect(page.locator("#image-input img")).to_have_count(0)  # no broken-image box left behind
    expect(page.locator("#image-input").get_by_text("Click to Upload")).to_be_visible()
    page.locator("#run-button").click()
    expect(status).to_contain_text("No photo yet", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "app_3_corrupt_upload.png"), full_page=True)


def test_a_new_message_replaces_the_earlier_one_instead_of_stacking(page):
    from playwright.sync_api import expect

    fresh(page)
    shown = page.locator("[data-testid=toast-text]:visible")
    for box in page.locator("#method-checkboxes input[type=checkbox]").all():
        box.uncheck()
    page.locator("#run-button").click()
    expect(shown).to_have_text(["No method chosen: tick at least one method."], timeout=60_000)
    page.get_by_role("tab", name="Benchmark").click()
    page.get_by_role("button", name="Score this sample").click()  # before loading a sample set
    expect(shown).to_have_text(["Load a sample set first (Load samples, or /benchmark_load)."], timeout=60_000)
    expect(page.locator(".toast-count:visible")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "app_4_one_message.png"))


def test_benchmark_legend_tells_ground_truth_from_every_method(page, readme_shots):
    from playwright.sync_api import expect

    fresh(page)
    page.get_by_role("tab", name="Benchmark").click()
    chips = page.locator("#benchmark-legend span")
    expect(chips.first).to_be_visible()
    colours = {
        text: rgb(colour)
        for text, colour in chips.evaluate_all(
            "spans => spans.map(s => [s.innerText, getComputedStyle(s).backgroundColor])"
        )
    }
    (truth,) = [colour for text, colour in colours.items() if text.startswith("Ground truth")]
    methods = {text: colour for text, colour in colours.items() if not text.startswith("Ground truth")}
    assert set(methods) == {m.label for m in METHODS}
    for text, colour in methods.items():
        distance = sum((a - b) ** 2 for a, b in zip(truth, colour)) ** 0.5
        assert distance > 100, f"ground truth {truth} too close to {text} {colour}"
    page.get_by_role("button", name="Load samples").click()
    expect(page.get_by_text("6 samples (6 listed)")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Score this sample").click()
    expect(page.get_by_text("synthetic samples (bundled), sample 0")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#benchmark-summary").get_by_text("PA-MPJPE", exact=True).first).to_be_visible()
    expect(page.locator("#benchmark-truth-gallery img")).to_have_count(3)  # each method with the ground truth
    wait_for_pictures(page, "#benchmark-gallery")
    wait_for_pictures(page, "#benchmark-truth-gallery")
    assert placeholder_headers(page) == []
    readme_shot((page, "#benchmark-summary"), readme_shots, "benchmark")
    page.screenshot(path=str(ARTIFACTS / "app_5_benchmark.png"), full_page=True)


def test_setup_tab_lists_files_and_downloads(page):
    from playwright.sync_api import expect

    fresh(page)
    page.get_by_role("tab", name="Setup").click()
    expect(page.get_by_text("Renderer:")).to_be_visible()
    expect(page.get_by_role("button", name="Download the SMPL neutral model")).to_be_visible()
    assert placeholder_headers(page) == []
    page.screenshot(path=str(ARTIFACTS / "app_6_setup.png"), full_page=True)


def test_video_tab_runs_a_clip(page, tmp_path):
    from playwright.sync_api import expect

    from core.testing.examples import write_test_clip

    fresh(page)
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(str(write_test_clip(tmp_path / "walking.webm")))
    page.wait_for_timeout(1000)
    page.locator("#video-button").click()
    expect(page.locator("#video-status")).to_contain_text("reconstructed in 4 frames", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#video-output video")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "app_7_video.png"), full_page=True)


def test_video_tab_follows_everyone_and_downloads_a_chosen_persons_bvh(page, tmp_path, readme_shots):
    from playwright.sync_api import expect

    from core.body_models.open_model import load_open_body_model
    from core.testing.bvh import parse_bvh
    from core.testing.synthetic_people import camera_for, crossing_clip, plaza, side_by_side_walkers, write_clip

    walkers = side_by_side_walkers(240, 320, camera_for(240, 320), frames=8)
    frames, _ = crossing_clip(plaza(240, 320), load_open_body_model(), frames=8, walkers=walkers)
    clip = write_clip(tmp_path / "two_walkers.webm", frames)
    fresh(page)  # an empty Video tab, whatever ran before
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(str(clip))
    page.wait_for_timeout(1000)
    page.locator("#video-people").get_by_text("Everyone").click()
    page.locator("#video-button").click()
    expect(page.locator("#video-status")).to_contain_text("2 people followed", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#video-output video")).to_be_visible()
    picker = page.locator("#video-pick")
    expect(picker.get_by_text("Person 2 (frames 0–7)")).to_be_visible()
    picker.get_by_text("Person 1 (frames 0–7)").click()  # untick person 1: export person 2 only
    page.locator("#video-export").click()
    expect(page.locator("#video-export-status")).to_contain_text("Exported person 2", timeout=RESULT_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "app_8_video_everyone.png"), full_page=True)
    readme_shot((page, "#video-export-status"), readme_shots, "video")
    link = page.locator("#video-export-files a[download$='_person_2.bvh']")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.bvh"
    download.value.save_as(saved)
    names, _, _, _, values, _ = parse_bvh(saved.read_text())
    assert len(names) == 24 and len(values) >= 6
    expect(page.locator("#video-export-files a[download$='_person_1.bvh']")).to_have_count(0)


def test_a_wrong_file_under_an_official_name_is_refused_on_the_page_and_results_follow_the_files(served):
    """A file saved under HybrIK's published name whose hash differs: the page says it is refused and how to fix it;
    once it is gone the same photo and options are computed again (no stale result), HybrIK now simply missing."""
    from playwright.sync_api import expect

    from core.methods import checkpoint_path
    from core.testing.data import write_checkpoints

    page, data = served
    official = data / "checkpoints" / checkpoint_path(MISSING).name
    write_checkpoints(data / "checkpoints", [MISSING], names={MISSING: official.name})
    try:
        fresh(page)
        page.locator("#method-checkboxes input[name=hybrik]").check()
        page.get_by_text("Skier (COCO, CC BY 2.0)").click()
        status = page.locator("#status-box")
        expect(status).to_contain_text("HybrIK did not run", timeout=RESULT_TIMEOUT_MS)
        expect(status).to_contain_text("is not the published HybrIK checkpoint")
        expect(status).to_contain_text("python -m core.weights fetch hybrik")
        expect(page.locator("#overlay-gallery img")).to_have_count(3)  # HMR, SPIN-GTA and the fit ran
    finally:
        official.unlink()
    page.locator("#run-button").click()  # the same photo and options, the file now gone
    expect(status).not_to_contain_text("is not the published", timeout=RESULT_TIMEOUT_MS)
    expect(status).to_contain_text("HybrIK did not run")
    expect(page.locator("#overlay-gallery img")).to_have_count(3)
