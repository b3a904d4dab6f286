"""A hostile client against the served app: every named endpoint, listed from the running app's API info (so a
new one cannot be missed), gets wrong types, empty and oversized arguments, path traversal, absolute paths, a
symbolic link out of the data folder and files it never uploaded, over raw HTTP as any client could send them.
Each answer must be a sentence, the server must log no traceback, and it must still serve afterwards.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from core.testing.app_server import AppServer
from core.testing.data import write_app_data
from core.testing.examples import example_image

pytestmark = pytest.mark.slow

FILE_DATA = {"meta": {"_type": "gradio.FileData"}}
# Values of the wrong type or size for each kind of input, beside those every input gets (HOSTILE_ANY).
HOSTILE_ANY = [None, "", 12345, {"nested": ["object"]}, "x" * 100_000]
HOSTILE_BY_COMPONENT = {
    "Image": ["/etc/passwd", {"path": "/etc/passwd", **FILE_DATA}, {"path": "../../../../etc/passwd", **FILE_DATA}],
    "Video": ["/etc/passwd", {"path": "/etc/passwd", **FILE_DATA}, {"path": "../../../../etc/hostname", **FILE_DATA}],
    "File": [{"path": "/etc/passwd", **FILE_DATA}, {"path": "../../etc/passwd", **FILE_DATA}],
    "Slider": ["wide", -1e308, 1e308, [1, 2]],
    "Checkbox": ["yes", 3, [True]],
    "Checkboxgroup": ["hmr", ["vibe"], [1, 2], ["fit"] * 10_000],
    "Dropdown": ["not a choice", 7, ["Person 1"]],
    "Radio": ["not a choice", 7],
    "Textbox": ["../../../../etc", "/etc", "{link}", "{outside}", "a\x00b"],
}
KNOWN_ENDPOINTS = {  # at least these; anything else the app serves is covered the same way
    "/compare",
    "/show_in_3d",
    "/person_details",
    "/heatmap",
    "/bundle",
    "/benchmark_load",
    "/benchmark_score",
    "/benchmark_all",
    "/live_frame",
    "/video",
    "/video_export",
    "/setup_refresh",
    "/download_hmr",
    "/download_hybrik",
    "/download_spin_gta",
    "/download_smpl",
    "/own_checkpoint",
    "/own_checkpoint_upload",
    "/own_checkpoint_clear",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = write_app_data(root / "data")
    outside = root / "outside"
    (outside / "preprocessed_datasets").mkdir(parents=True)
    (data / "link_out").symlink_to(outside)  # inside the data folder, pointing out of it
    with AppServer(
        root / "app_tmp",
        data,
        HMRC_APP_CONCURRENCY="2",
        HMRC_WEIGHTS_BASE_URL="http://127.0.0.1:9",  # downloads fail at once: no network for the test
        HMRC_APP_MAX_UPLOAD_MB="2",
    ) as running:
        running.data, running.outside = data, outside
        yield running


def call(server, name: str, data: list) -> tuple[str, object]:
    """POST /gradio_api/call/<name> as any HTTP client may, then read the event stream: ('complete', outputs) or
    ('error', message)."""
    request = urllib.request.Request(
        f"{server.url}gradio_api/call/{name}",
        data=json.dumps({"data": data}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        event = json.load(urllib.request.urlopen(request, timeout=30))
    except urllib.error.HTTPError as error:
        return "http", f"{error.code} {error.read().decode()[:300]}"
    stream = urllib.request.urlopen(f"{server.url}gradio_api/call/{name}/{event['event_id']}", timeout=300).read()
    kind, payload = re.findall(r"event: (\w+)\ndata: (.*)", stream.decode())[-1]
    payload = json.loads(payload)
    return kind, payload.get("error") if kind == "error" and isinstance(payload, dict) else payload


def is_sentence(message) -> bool:
    """Words for a person: no traceback, no validation dump, no bare exception name; ends like a sentence."""
    if not isinstance(message, str) or not 10 <= len(message) <= 3000:
        return False
    technical = ("Traceback", 'File "', "pydantic", "validation error for", "KeyError", "NoneType", "object has no")
    return not any(word in message for word in technical) and message.rstrip("*").rstrip()[-1] in ".)"


def endpoints(server) -> dict:
    info = json.load(urllib.request.urlopen(f"{server.url}gradio_api/info?all_endpoints=true", timeout=30))
    return info["named_endpoints"]


def hostile_calls(server, parameters: list[dict]):
    """(description, arguments): every parameter in turn replaced by each hostile value, the rest left at their
    defaults; then no arguments at all."""
    baseline = [p.get("parameter_default") if p.get("parameter_has_default") else None for p in parameters]
    for index, parameter in enumerate(parameters):
        for value in HOSTILE_ANY + HOSTILE_BY_COMPONENT.get(parameter["component"], []):
            if isinstance(value, str):
                value = value.format(link=server.data / "link_out", outside=server.outside)
            arguments = list(baseline)
            arguments[index] = value
            yield f"{parameter['parameter_name']}={str(value)[:40]!r}", arguments
    if parameters:
        yield "no arguments", []


def still_serves(server) -> None:
    kind, outputs = call(server, "setup_refresh", [])
    assert kind == "complete" and "Device" in outputs[0]


def test_every_named_endpoint_answers_hostile_arguments_with_a_sentence(server):
    named = endpoints(server)
    assert KNOWN_ENDPOINTS <= set(named), sorted(KNOWN_ENDPOINTS - set(named))
    answered = {}
    for name, description in sorted(named.items()):
        calls = list(hostile_calls(server, description["parameters"])) or [("no arguments", [])]
        for what, arguments in calls:
            kind, answer = call(server, name.lstrip("/"), arguments)
            if kind == "error":
                assert is_sentence(answer), (name, what, answer)
            else:
                assert kind == "complete", (name, what, kind, answer)
        answered[name] = len(calls)
        still_serves(server)
    assert set(answered) == set(named) and sum(answered.values()) > 300
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[log.find("Traceback") - 2000 : log.find("Traceback") + 3000]


@pytest.mark.parametrize(
    "folder, sentence",
    [
        ("{data}/../outside", "paths with `..` are not accepted"),
        ("/etc", "is outside the folders this app may read"),
        ("{outside}", "is outside the folders this app may read"),
        ("{data}/link_out", "is outside the folders this app may read"),
    ],
)
def test_server_paths_are_confined_to_the_data_folders(server, folder, sentence):
    folder = folder.format(data=server.data, outside=server.outside)
    for name, arguments in (("benchmark_load", ["3DPW folder", folder]), ("own_checkpoint", ["hmr", folder])):
        kind, answer = call(server, name, arguments)
        assert kind == "error" and sentence in answer and is_sentence(answer), (name, answer)
    still_serves(server)


def test_a_path_inside_the_data_folder_is_read(server):
    kind, outputs = call(server, "benchmark_load", ["3DPW folder", str(server.data)])
    assert kind == "complete" and "No preprocessed_datasets/pw3d_test.npz under" in outputs[1]


def test_files_it_never_received_are_refused(server):
    for name in ("compare", "live_frame", "video"):
        kind, answer = call(server, name, [{"path": str(example_image("small_skier_crop")), **FILE_DATA}])
        assert kind == "error" and "sent with handle_file(path)" in answer, (name, answer)


def test_uploads_over_the_size_limit_and_images_over_the_pixel_limit_are_refused(server, tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    client = Client(server.url, verbose=False)
    noise = tmp_path / "noise.png"
    pixels = np.random.default_rng(0).integers(0, 256, (1000, 1200, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(noise)  # noise does not compress: over 2 MB, the limit set above
    assert noise.stat().st_size > 2 * 1024 * 1024
    with pytest.raises(Exception) as refused:
        client.predict(image=handle_file(str(noise)), methods=["fit"], api_name="/compare")
    assert "exceeds" in str(refused.value).lower() or "413" in str(refused.value)
    wide = tmp_path / "wide.png"
    Image.new("L", (20_000, 10_000)).save(wide)  # 200 megapixels in a few hundred kilobytes
    status = client.predict(image=handle_file(str(wide)), methods=["fit"], api_name="/compare")[0]
    assert "too large" in status or "megapixels" in status or "pixels" in status, status
    still_serves(server)


def test_live_frame_works_from_gradio_client(server):
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False)
    picture, status = client.predict(
        frame=handle_file(str(example_image("small_skier_crop"))), method="fit", api_name="/live_frame"
    )
    assert Path(picture).is_file() and status.startswith("Fit: analysed in")
