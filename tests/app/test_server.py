"""The app served for real: `python app.py` in a subprocess, driven through gradio_client: results, bad files,
concurrent users and the queue, checkpoints refused for their hash or loaded as one's own, and results that never
outlive the files they were made with. (The random-weight stand-in checkpoints run as the user's own: "custom".)"""

from __future__ import annotations

import json
import time
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
HYBRIK_OFFICIAL = "resnet34_hybrik_mixed-a61b3c9c_20220211.pth"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    data = write_app_data(root / "data")
    # HybrIK's stand-in saved under its official name: not the published file, so it must be refused.
    (data / "checkpoints" / "standin_hybrik.pth").rename(data / "checkpoints" / HYBRIK_OFFICIAL)
    with AppServer(root / "app_tmp", data, HMRC_APP_CONCURRENCY="2") as running:
        running.data = data
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
    out = compare(client, example_image("sport_skier_fullbody"), ("hmr", "spin_gta", "fit"))
    assert "1 people detected, 1 reconstructed" in out["status"]
    captions = [item["caption"] for item in out["overlay_gallery"]]
    assert captions == ["HMR (custom)", "SPIN-GTA (custom)", "Fit"]  # the stand-ins are the user's own files
    assert len(out["side_gallery"]) == 3
    assert out["model_3d"].endswith(".glb") and Path(out["model_3d"]).read_bytes()[:4] == b"glTF"
    table = out["error_table"]
    assert table["headers"] == ["joint", "HMR (custom)", "SPIN-GTA (custom)", "Fit"]
    assert table["data"][0][0] == "mean (px)"
    matrix = out["disagreement_table"]
    assert [row[0] for row in matrix["data"]] == ["HMR (custom)", "SPIN-GTA (custom)", "Fit"]
    assert all(matrix["data"][i][i + 1] == 0 for i in range(3))  # a method agrees with itself
    picture = np.asarray(Image.open(out["overlay_gallery"][0]["image"]))
    assert picture.shape == (425, 640, 3)
    assert (picture != np.asarray(Image.open(example_image("sport_skier_fullbody")))).any()  # the mesh is drawn


def test_an_official_name_with_the_wrong_hash_is_refused_then_runs_once_loaded_as_ones_own(client, server):
    from gradio_client import handle_file

    out = compare(client, example_image("small_skier_crop"), ("hybrik", "fit"))
    assert "HybrIK did not run" in out["status"] and "promises a sha256 starting a61b3c9c" in out["status"]
    assert "python -m core.weights fetch hybrik" in out["status"] and "HMRC_CHECKPOINT_HYBRIK=PATH" in out["status"]
    assert [item["caption"] for item in out["overlay_gallery"]] == ["Fit"]
    refused = client.predict(api_name="/setup_refresh")[1]
    assert "**hash mismatch**" in refused and refused.count("a61b3c9c") >= 1  # one state for the file, said once
    path = server.data / "checkpoints" / HYBRIK_OFFICIAL
    message = client.predict(method="hybrik", path=str(path), api_name="/own_checkpoint")[0]
    assert "labelled “HybrIK (custom)”" in message
    again = compare(client, example_image("small_skier_crop"), ("hybrik", "fit"))  # same photo, same options
    assert [item["caption"] for item in again["overlay_gallery"]] == ["HybrIK (custom)", "Fit"]  # not stale
    glb = Path(again["model_3d"]).read_bytes()
    assert b"hybrik-custom_person_1" in glb and b"fit_person_1" in glb  # GLB nodes say it too
    bundle = client.predict(
        image=handle_file(str(example_image("small_skier_crop"))), methods=["hybrik", "fit"], api_name="/bundle"
    )
    import zipfile

    with zipfile.ZipFile(bundle) as archive:
        parameters = json.loads(archive.read("parameters/person_1_hybrik-custom.json"))
    assert parameters["method_label"] == "HybrIK (custom)" and parameters["checkpoint_origin"] == "custom"
    client.predict(method="hybrik", api_name="/own_checkpoint_clear")
    assert "HybrIK did not run" in compare(client, example_image("small_skier_crop"), ("hybrik", "fit"))["status"]


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


def test_app_writes_only_into_its_temporary_folder(server, client):
    compare(client, example_image("sport_skier_fullbody"))  # a 3D scene is written for it
    written = {p for p in server.temp.rglob("*") if p.is_file()}
    assert any(p.suffix == ".glb" for p in written)  # session files live there
    assert not (REPO / ".gradio").exists() or not any((REPO / ".gradio").rglob("*.glb"))


def test_sixteen_clients_three_requests_each_all_answered_and_told_their_place_in_the_queue(server):
    """16 users × 3 requests of an example photo (the keypoint fit, to keep the test short; bench/app.py measures
    all four methods): no error, and waiting clients hear their queue position and an estimate."""
    from gradio_client import Client, handle_file

    photo = example_image("small_skier_crop")

    clients = [Client(server.url, verbose=False, httpx_kwargs={"timeout": 120}) for _ in range(16)]

    def user(client) -> list[tuple]:
        answers = []
        for _ in range(3):
            client.reset_session()  # a new visitor each time: nothing reused from the session
            job = client.submit(image=handle_file(str(photo)), methods=["fit"], api_name="/compare")
            ranks = []
            while not job.done():
                status = job.status()
                if status.rank is not None:
                    ranks.append((status.rank, status.eta))
                time.sleep(0.25)
            answers.append((job.result(), ranks))
        return answers

    with ThreadPoolExecutor(16) as pool:
        answers = [answer for user_answers in pool.map(user, clients) for answer in user_answers]
    assert len(answers) == 48
    assert all("1 people detected, 1 reconstructed" in outputs[0] for outputs, _ in answers)
    waited = [ranks for _, ranks in answers if any(rank > 0 for rank, _ in ranks)]
    assert waited, "no request ever waited in the queue"
    assert any(eta is not None and eta > 0 for ranks in waited for _, eta in ranks)  # an estimate was given
