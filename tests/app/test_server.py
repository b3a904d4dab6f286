"""The app served for real: `python app.py` in a subprocess, driven through gradio_client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.paths import REPO_ROOT
from core.testing.app_server import AppServer
from core.testing.data import write_app_data
from core.testing.examples import example_image

REPO = REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    with AppServer(
        root / "app_tmp", write_app_data(root / "data"), HMRC_APP_CONCURRENCY="2", HMRC_APP_QUEUE="8"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


def compare(client, image: Path, methods=("hmr", "fit")) -> dict:
    """One /compare request; returns its outputs by name."""
    from gradio_client import handle_file

    from app.tabs.compare import ANALYSE_OUTPUTS

    outputs = client.predict(image=handle_file(str(image)), methods=list(methods), api_name="/compare")
    return dict(zip(ANALYSE_OUTPUTS, outputs))


# --------------------------------------------------------------------------- tests


def test_compare_gives_every_method_on_the_same_person(client):
    out = compare(client, example_image("sport_skier_fullbody"), ("hmr", "hybrik", "spin_gta", "fit"))
    assert "1 people detected, 1 reconstructed" in out["status"]
    captions = [item["caption"] for item in out["overlay_gallery"]]
    assert captions == ["HMR", "HybrIK", "SPIN-GTA", "Fit"]
    assert len(out["side_gallery"]) == 4
    assert out["model_3d"].endswith(".glb") and Path(out["model_3d"]).read_bytes()[:4] == b"glTF"
    table = out["error_table"]
    assert table["headers"][:1] == ["joint"] and set(table["headers"][1:]) == {"HMR", "HybrIK", "SPIN-GTA", "Fit"}
    assert table["data"][0][0] == "mean (px)"
    matrix = out["disagreement_table"]
    assert [row[0] for row in matrix["data"]] == ["HMR", "HybrIK", "SPIN-GTA", "Fit"]
    assert all(matrix["data"][i][i + 1] == 0 for i in range(4))  # a method agrees with itself
    picture = np.asarray(Image.open(out["overlay_gallery"][0]["image"]))
    assert picture.shape == (425, 640, 3)
    assert (picture != np.asarray(Image.open(example_image("sport_skier_fullbody")))).any()  # the mesh is drawn


def test_photo_without_people_says_what_to_do(client, tmp_path):
    blank = tmp_path / "blank_wall.png"
    Image.fromarray(np.full((240, 320, 3), 210, np.uint8)).save(blank)
    out = compare(client, blank)
    assert "No person found" in out["status"] and "box" in out["status"]
    assert out["overlay_gallery"] == [] and out["model_3d"] is None


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("notes.jpg", b"this is not a photo", "not an image format"),
        ("empty.png", b"", "empty (0 bytes)"),
        ("cut.jpg", None, "damaged or cut short"),
    ],
)
def test_bad_files_get_a_clear_message_and_the_server_keeps_serving(client, tmp_path, name, content, expected):
    path = tmp_path / name
    if content is None:  # a real JPEG cut in half
        full = example_image("sport_skier_fullbody").read_bytes()
        content = full[: len(full) // 2]
    path.write_bytes(content)
    out = compare(client, path)
    assert expected in out["status"]
    assert compare(client, example_image("small_skier_crop"), ("fit",))["overlay_gallery"]  # still serving


def test_concurrent_users_each_get_their_own_result(server, tmp_path):
    """Four users (one client each) at once; the queue runs two at a time and nothing mixes."""
    from gradio_client import Client

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 200, 3), 30, np.uint8)).save(blank)
    jobs = [
        (example_image("sport_skier_fullbody"), ("hmr", "fit"), 2),
        (blank, ("fit",), 0),
        (example_image("small_skier_crop"), ("fit",), 1),
        (example_image("sport_skier_fullbody"), ("spin_gta",), 1),
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(lambda job: compare(Client(server.url, verbose=False), job[0], job[1]), jobs))
    for (image, methods, expected_overlays), out in zip(jobs, results):
        assert len(out["overlay_gallery"]) == expected_overlays, (image.name, out["status"])
        if expected_overlays:
            shown = Image.open(out["people_image"]).size
            assert shown == Image.open(image).size  # the picture of this request, not of another one


def test_only_the_examples_are_served(server):
    assert server.status("gradio_api/file=" + str(REPO / "app.py")) == 403
    assert server.status("gradio_api/file=" + str(REPO / "core" / "paths.py")) == 403
    assert server.status("gradio_api/file=" + str(example_image("small_skier_crop"))) == 200


def test_app_writes_only_into_its_temporary_folder(server):
    written = {p for p in server.temp.rglob("*") if p.is_file()}
    assert any(p.suffix == ".glb" for p in written)  # session files live there
    assert not (REPO / ".gradio").exists() or not any((REPO / ".gradio").rglob("*.glb"))
