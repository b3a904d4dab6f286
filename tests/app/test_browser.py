"""End to end in Debian's headless Chromium driven by Playwright: what a person sees and clicks.

Screenshots go to test-artifacts/ (gitignored) so a person can look at the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.paths import REPO_ROOT as REPO
from core.testing.app_server import AppServer
from core.testing.data import write_app_data

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


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("browser_app")
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        AppServer(
            root / "app_tmp", write_app_data(root / "data"), HMRC_APP_CONCURRENCY="2", HMRC_APP_QUEUE="8"
        ) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(server.url, wait_until="load", timeout=120_000)
        yield page
        browser.close()


def test_example_then_all_methods_show_overlays_3d_and_errors(page):
    from playwright.sync_api import expect

    status = page.locator("#status-box")
    page.get_by_text("Skier (COCO, CC BY 2.0)").click()  # a cached example: fills the photo and the results
    expect(status).to_contain_text("Cached example", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#overlay-gallery img")).to_have_count(4, timeout=RESULT_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "app_1_example.png"), full_page=True)
    for box in page.locator("#method-checkboxes input[type=checkbox]").all():  # every method
        box.check()
    page.locator("#run-button").click()
    expect(status).not_to_contain_text("Cached example", timeout=RESULT_TIMEOUT_MS)  # the new run finished
    expect(status).to_contain_text("1 people detected, 1 reconstructed")
    expect(page.locator("#overlay-gallery img")).to_have_count(4)
    expect(page.locator("#side-gallery img")).to_have_count(4)
    expect(page.locator("#model-3d canvas").first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    table = page.locator("#error-table")
    expect(table.get_by_text("mean (px)", exact=True).first).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    for label in ("HMR", "HybrIK", "SPIN-GTA", "Fit"):
        expect(table.get_by_text(label, exact=True).first).to_be_visible()
    page.wait_for_timeout(2000)  # let the 3D viewer draw its first frame
    page.screenshot(path=str(ARTIFACTS / "app_2_compare.png"), full_page=True)


def test_corrupt_upload_shows_a_message(page, tmp_path):
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page.locator("#image-input input[type=file]").set_input_files(str(broken))
    page.wait_for_timeout(1000)
    page.locator("#run-button").click()
    message = page.locator("#status-box").get_by_text("damaged or cut short")
    message.or_(page.locator("#status-box").get_by_text("not an image format")).first.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "app_3_corrupt_upload.png"), full_page=True)


def test_benchmark_and_setup_tabs(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Benchmark").click()
    page.get_by_role("button", name="Load samples").click()
    expect(page.get_by_text("6 samples (6 listed)")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Score this sample").click()
    expect(page.get_by_text("synthetic samples (bundled), sample 0")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(page.get_by_text("PA-MPJPE", exact=True).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "app_4_benchmark.png"), full_page=True)
    page.get_by_role("tab", name="Setup").click()
    expect(page.get_by_text("Renderer:")).to_be_visible()
    expect(page.get_by_role("button", name="Download the SMPL neutral model")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "app_5_setup.png"), full_page=True)


def test_video_tab_runs_a_clip(page, tmp_path):
    from playwright.sync_api import expect

    from core.testing.examples import write_test_clip

    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(str(write_test_clip(tmp_path / "walking.webm")))
    page.wait_for_timeout(1000)
    page.locator("#video-button").click()
    expect(page.locator("#video-status")).to_contain_text("reconstructed in 4 frames", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#video-output video")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "app_6_video.png"), full_page=True)


def test_video_tab_follows_everyone_and_downloads_a_chosen_persons_bvh(page, tmp_path):
    from playwright.sync_api import expect

    from core.body_models.open_model import load_open_body_model
    from core.testing.bvh import parse_bvh
    from core.testing.synthetic_people import camera_for, crossing_clip, plaza, side_by_side_walkers, write_clip

    walkers = side_by_side_walkers(240, 320, camera_for(240, 320), frames=8)
    frames, _ = crossing_clip(plaza(240, 320), load_open_body_model(), frames=8, walkers=walkers)
    clip = write_clip(tmp_path / "two_walkers.webm", frames)
    page.reload(wait_until="load")  # an empty Video tab, whatever ran before
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
    page.screenshot(path=str(ARTIFACTS / "app_7_video_everyone.png"), full_page=True)
    link = page.locator("#video-export-files a[download$='_person_2.bvh']")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.bvh"
    download.value.save_as(saved)
    names, _, _, _, values, _ = parse_bvh(saved.read_text())
    assert len(names) == 24 and len(values) >= 6
    expect(page.locator("#video-export-files a[download$='_person_1.bvh']")).to_have_count(0)
