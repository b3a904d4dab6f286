"""The app served for real: `python app.py` in a subprocess, driven through gradio_client.

Also home of the helpers the browser test shares: `write_app_data` (stand-in SMPL with a drawable mesh and
synthetic checkpoints under the official names) and `AppServer`.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.paths import example_image

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 240

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- data and server helpers


def write_drawable_body_models(folder: Path) -> Path:
    """Stand-in body models whose neutral SMPL has small local triangles (the stand-in's own faces join random
    vertices across the body, which takes the renderer minutes to fill); it looks like a cloud of skin."""
    from scipy.spatial import cKDTree

    from tests.smpl_standin import standin_smpl_arrays, write_standin_body_models_dir

    write_standin_body_models_dir(folder)
    (folder / "smpl" / "SMPL_NEUTRAL.pkl").unlink()
    (folder / "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl").unlink()
    arrays = standin_smpl_arrays("neutral")
    _, neighbours = cKDTree(arrays["v_template"]).query(arrays["v_template"], k=4)
    faces = np.concatenate([neighbours[:, [0, 1, 2]], neighbours[:, [0, 2, 3]]])[: len(arrays["f"])]
    np.savez(folder / "smpl" / "SMPL_NEUTRAL.npz", **{**arrays, "f": faces.astype(np.uint32)})
    return folder


def write_app_data(root: Path) -> Path:
    """An HMRC_DATA folder: drawable stand-in body models and random-weight checkpoints of the three methods."""
    import torch

    from core.networks.checkpoint import save_checkpoint
    from core.pipeline.estimate import OFFICIAL_CHECKPOINTS
    from tests.test_checkpoint import official_state_dict
    from tests.test_hybrik_ik import make_body_model
    from tests.test_models import _sane_hmr

    write_drawable_body_models(root / "body_models")
    body_model = make_body_model()
    torch.manual_seed(0)
    for method, name in OFFICIAL_CHECKPOINTS.items():
        state = official_state_dict(method, body_model)
        if method != "hybrik":  # keep the mean camera so the mesh lands on the person
            state.update({f"head.{k}": v for k, v in _sane_hmr(body_model, method).head.state_dict().items()})
        save_checkpoint(root / "checkpoints" / name, state, {})
    return root


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """`python app.py` on 127.0.0.1 and a free port, with its own data and temporary folders."""

    def __init__(self, data: Path, temp: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.temp = temp
        self.log_path = temp.parent / f"app_server_{self.port}.log"
        self.env = {**os.environ, "HMRC_DATA": str(data), "HMRC_APP_PORT": str(self.port), "HMRC_APP_TMP": str(temp),
                    "HMRC_APP_EXAMPLES": "lazy", "HMRC_APP_CONCURRENCY": "2", "HMRC_APP_QUEUE": "8",
                    "GRADIO_ANALYTICS_ENABLED": "False", **env}
        self.env.pop("SPACE_ID", None)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "AppServer":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + STARTUP_TIMEOUT_S
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return self
            except OSError:
                time.sleep(1)
        self.__exit__()
        raise TimeoutError(f"app.py did not answer within {STARTUP_TIMEOUT_S} s:\n{self.log_path.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def status(self, path: str) -> int:
        try:
            return urllib.request.urlopen(self.url + path, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    with AppServer(write_app_data(root / "data"), root / "app_tmp") as running:
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


@pytest.mark.parametrize("name, content, expected", [
    ("notes.jpg", b"this is not a photo", "not an image format"),
    ("empty.png", b"", "empty (0 bytes)"),
    ("cut.jpg", None, "damaged or cut short"),
])
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
    jobs = [(example_image("sport_skier_fullbody"), ("hmr", "fit"), 2),
            (blank, ("fit",), 0),
            (example_image("small_skier_crop"), ("fit",), 1),
            (example_image("sport_skier_fullbody"), ("spin_gta",), 1)]
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
