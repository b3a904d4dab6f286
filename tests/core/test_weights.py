"""The weight manager against a local HTTP server (127.0.0.1 only) that serves stand-in files and supports Range."""

import hashlib
import logging
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from core import paths, settings, weights
from core.methods import checkpoint_path
from core.weights import MethodFiles, WeightFile

SIZE = 300_000


@dataclass
class ServerState:
    files: dict = field(default_factory=dict)  # name -> bytes
    requests: list = field(default_factory=list)  # (name, Range header or None)
    cut_once: dict = field(default_factory=dict)  # name -> bytes to send before dropping the next full reply
    ignore_range: bool = False


def _handler(state: ServerState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            name = urllib.parse.unquote(self.path.split("?")[0].rsplit("/", 1)[-1])
            range_header = self.headers.get("Range")
            state.requests.append((name, range_header))
            if name not in state.files:
                self.send_error(404)
                return
            data = state.files[name]
            start = int(re.match(r"bytes=(\d+)-$", range_header).group(1)) if range_header else 0
            if state.ignore_range:
                start = 0
            if start >= len(data) and start:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            if start == 0 and name in state.cut_once:
                body = body[: state.cut_once.pop(name)]  # then the connection closes: a dropped transfer
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server(monkeypatch):
    state = ServerState()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv(settings.WEIGHTS_BASE_URL, f"http://127.0.0.1:{httpd.server_address[1]}/mirror/")
    yield state
    httpd.shutdown()
    httpd.server_close()


def _standin_bytes(seed=0, size=SIZE) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def _register_checkpoint(monkeypatch, data: bytes) -> WeightFile:
    """A test-only checkpoint whose name carries the sha256 prefix of `data`, as mmhuman3d's names do."""
    prefix = hashlib.sha256(data).hexdigest()[:8]
    file = WeightFile(
        f"standin_model-{prefix}_20240101.pth",
        "stand-in checkpoint",
        f"http://127.0.0.1:1/official/standin_model-{prefix}_20240101.pth",
        "checkpoints",
    )
    monkeypatch.setitem(weights.FILES, file.name, file)
    return file


def _register_aux(monkeypatch, name="standin_aux.npy") -> WeightFile:
    file = WeightFile(name, "stand-in auxiliary file", f"http://127.0.0.1:1/official/{name}", "body_models")
    monkeypatch.setitem(weights.FILES, name, file)
    return file


def test_good_checkpoint_is_downloaded_verified_and_recorded(server, monkeypatch):
    data = _standin_bytes()
    file = _register_checkpoint(monkeypatch, data)
    server.files[file.name] = data
    seen = []
    [path] = weights.fetch(file.name, progress=lambda name, done, total: seen.append((name, done, total)))
    assert path == paths.checkpoints_dir() / file.name
    assert path.read_bytes() == data
    assert not (path.parent / (file.name + ".part")).exists()
    assert (path.parent / (file.name + ".sha256")).read_text() == f"{hashlib.sha256(data).hexdigest()}  {file.name}\n"
    assert seen[-1] == (file.name, SIZE, SIZE)
    assert weights.file_status(file).state == "verified"
    assert server.requests == [(file.name, None)]
    weights.fetch(file.name)  # already there and verified: no second request
    assert len(server.requests) == 1


def test_concurrent_fetches_of_one_file_download_it_once(server, monkeypatch):
    data = _standin_bytes()
    file = _register_checkpoint(monkeypatch, data)
    server.files[file.name] = data
    results = []
    threads = [threading.Thread(target=lambda: results.append(weights.fetch(file.name))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[file.path]] * 3 and file.path.read_bytes() == data
    assert len(server.requests) == 1


def test_bad_hash_is_removed_and_explained(server, monkeypatch):
    file = _register_checkpoint(monkeypatch, _standin_bytes(seed=0))
    server.files[file.name] = _standin_bytes(seed=1)
    with pytest.raises(weights.WeightsError, match="failed verification") as error:
        weights.fetch(file.name)
    assert file.sha256_prefix in str(error.value) and str(file.path) in str(error.value)
    assert list(paths.checkpoints_dir().iterdir()) == []


def test_interrupted_transfer_resumes_on_the_next_fetch_with_a_range_request(server, monkeypatch):
    monkeypatch.setattr(weights, "DOWNLOAD_ATTEMPTS", 1)
    data = _standin_bytes()
    file = _register_checkpoint(monkeypatch, data)
    server.files[file.name] = data
    server.cut_once[file.name] = 100_000
    with pytest.raises(weights.WeightsError, match="interrupted"):
        weights.fetch(file.name)
    part = file.path.parent / (file.name + ".part")
    assert part.stat().st_size == 100_000 and not file.path.exists()
    assert weights.file_status(file).state == "partial"
    [path] = weights.fetch(file.name)
    assert server.requests[-1] == (file.name, "bytes=100000-")
    assert path.read_bytes() == data and not part.exists()


def test_one_fetch_retries_a_dropped_transfer_by_itself(server, monkeypatch):
    data = _standin_bytes()
    file = _register_checkpoint(monkeypatch, data)
    server.files[file.name] = data
    server.cut_once[file.name] = 12_345
    [path] = weights.fetch(file.name)
    assert path.read_bytes() == data
    assert server.requests == [(file.name, None), (file.name, "bytes=12345-")]


def test_server_that_ignores_range_restarts_the_file(server, monkeypatch):
    data = _standin_bytes()
    file = _register_checkpoint(monkeypatch, data)
    server.files[file.name] = data
    server.ignore_range = True
    file.path.parent.mkdir(parents=True)
    (file.path.parent / (file.name + ".part")).write_bytes(b"stale bytes from another file")
    [path] = weights.fetch(file.name)
    assert path.read_bytes() == data


def test_server_down_fails_fast_with_url_and_destination(monkeypatch):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(settings.WEIGHTS_BASE_URL, f"http://127.0.0.1:{port}")
    file = _register_checkpoint(monkeypatch, b"x")
    started = time.monotonic()
    with pytest.raises(weights.WeightsError) as error:
        weights.fetch(file.name)
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert f"http://127.0.0.1:{port}/{file.name}" in message  # the URL that was tried
    assert file.url in message and str(file.path) in message  # where to get it and where to put it by hand
    assert not file.path.exists()


def test_server_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(weights, "TIMEOUT_S", 0.5)
    with socket.socket() as silent:  # accepts connections (backlog) but never sends a byte
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        monkeypatch.setenv(settings.WEIGHTS_BASE_URL, f"http://127.0.0.1:{silent.getsockname()[1]}")
        file = _register_checkpoint(monkeypatch, b"x")
        started = time.monotonic()
        with pytest.raises(weights.WeightsError, match="timed out"):
            weights.fetch(file.name)
        assert time.monotonic() - started < 5


def test_missing_file_on_server_names_url_and_path(server, monkeypatch):
    file = _register_aux(monkeypatch)
    with pytest.raises(weights.WeightsError, match="Not Found") as error:
        weights.fetch(file.name)
    assert str(file.path) in str(error.value)


def test_smpl_model_needs_licence_acceptance(server):
    name = weights.SMPL_NEUTRAL_DOWNLOAD
    server.files[name] = b"stand-in smpl pickle"
    with pytest.raises(weights.SmplLicenseNotAccepted, match=re.escape(weights.SMPL_LICENSE_URL)):
        weights.fetch(name)
    assert server.requests == []
    [path] = weights.fetch(name, accept_smpl_license=True)
    assert path == paths.body_models_dir() / name and path.read_bytes() == b"stand-in smpl pickle"
    assert weights.smpl_neutral_present()


def test_smpl_files_from_the_website_are_never_guessed(monkeypatch):
    monkeypatch.delenv(settings.WEIGHTS_BASE_URL, raising=False)
    with pytest.raises(weights.WeightsError, match="smpl.is.tue.mpg.de") as error:
        weights.fetch("SMPL_NEUTRAL.pkl", accept_smpl_license=True)
    assert str(paths.body_models_dir() / "smpl" / "SMPL_NEUTRAL.pkl") in str(error.value)


def _toy_method(server, monkeypatch):
    data = _standin_bytes()
    checkpoint, aux = _register_checkpoint(monkeypatch, data), _register_aux(monkeypatch)
    monkeypatch.setitem(weights.METHOD_FILES, "toy", MethodFiles("Toy", checkpoint.name, (aux.name,), ()))
    server.files.update({checkpoint.name: data, aux.name: b"aux", weights.SMPL_NEUTRAL_DOWNLOAD: b"smpl"})
    return checkpoint, aux


def test_method_fetch_skips_smpl_without_licence_and_reports_availability(server, monkeypatch, caplog):
    checkpoint, aux = _toy_method(server, monkeypatch)
    available, message = weights.method_available("toy")
    assert not available and checkpoint.url in message and str(checkpoint.path) in message
    with caplog.at_level(logging.WARNING, logger="core.weights"):
        fetched = weights.fetch("toy")
    assert fetched == [checkpoint.path, aux.path]
    assert weights.SMPL_LICENSE_URL in caplog.text
    assert weights.SMPL_NEUTRAL_DOWNLOAD not in [name for name, _ in server.requests]
    assert weights.method_available("toy")[0]
    assert "SMPL" in weights.missing_message("toy") and checkpoint.name not in weights.missing_message("toy")
    weights.fetch(["toy"], accept_smpl_license=True)
    assert weights.missing_message("toy") == ""


def test_unverifiable_file_is_present_until_it_changes(server, monkeypatch):
    file = _register_aux(monkeypatch)
    server.files[file.name] = b"regressor bytes"
    weights.fetch(file.name)
    row = weights.file_status(file)
    assert row.state == "present" and "unverified" in row.detail
    file.path.write_bytes(b"edited afterwards")
    assert weights.file_status(file).state == "hash mismatch"


def test_checkpoint_with_wrong_hash_is_not_available(monkeypatch):
    hmr = weights.FILES[weights.METHOD_FILES["hmr"].checkpoint]
    hmr.path.parent.mkdir(parents=True)
    hmr.path.write_bytes(b"not the published checkpoint")
    available, message = weights.method_available("hmr")
    assert not available and "04f40f58" in message
    assert checkpoint_path("hmr") == paths.checkpoints_dir() / "resnet50_hmr_pw3d-04f40f58_20211201.pth"
    with pytest.raises(ValueError, match="hmr, hybrik, spin_gta"):
        checkpoint_path("vibe")


def test_list_table_shows_states_and_paths(monkeypatch, capsys):
    data = _standin_bytes()
    good = _register_checkpoint(monkeypatch, data)
    good.path.parent.mkdir(parents=True)
    good.path.write_bytes(data)
    hmr = weights.FILES[weights.METHOD_FILES["hmr"].checkpoint]
    hmr.path.write_bytes(b"wrong")
    assert weights.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split()[0]: line for line in lines if line and not line.startswith(" ")}
    assert "verified" in row[good.name] and str(good.path) in row[good.name]
    assert "HASH MISMATCH" in row[hmr.name]
    assert "missing" in row["resnet34_hybrik_mixed-a61b3c9c_20220211.pth"]
    assert str(paths.body_models_dir() / "J_regressor_h36m.npy") in row["J_regressor_h36m.npy"]


def test_cli_fetch_exit_codes(server, monkeypatch, capsys):
    file = _register_aux(monkeypatch)
    server.files[file.name] = b"aux"
    assert weights.main(["fetch", file.name]) == 0
    assert str(file.path) in capsys.readouterr().out
    assert weights.main(["fetch", "no_such_method"]) == 1
    assert "hmr, hybrik, spin_gta" in capsys.readouterr().err
    _register_aux(monkeypatch, "missing_on_server.npy")
    assert weights.main(["fetch", "missing_on_server.npy"]) == 1
    assert "Not Found" in capsys.readouterr().err


def test_registry_urls_and_published_prefixes():
    for name, method in weights.METHOD_FILES.items():
        checkpoint = weights.FILES[method.checkpoint]
        assert re.fullmatch(r"[0-9a-f]{8}", checkpoint.sha256_prefix), name
        assert all(n in weights.FILES for n in (*method.support, *method.training)), name
    imagenet = set(weights.IMAGENET_BACKBONES.values())
    for file in weights.FILES.values():
        if file.name in imagenet:  # torchvision's own files, named with their sha256 prefix
            assert file.url == f"https://download.pytorch.org/models/{file.name}"
            assert re.fullmatch(r"[0-9a-f]{8}", file.sha256_prefix), file.name
        elif file.url:
            assert file.url.startswith("https://openmmlab-share.oss-cn-hangzhou.aliyuncs.com/mmhuman3d/")
            assert f"/{file.name}?versionId=" in file.url


def test_imagenet_backbones_are_fetch_names_and_hash_checked(tmp_path, monkeypatch):
    """`fetch imagenet_resnet50` names the torchvision file; one whose sha256 does not start with the prefix in
    its name is reported as a mismatch, like a checkpoint."""
    monkeypatch.setenv("HMRC_DATA", str(tmp_path))
    assert weights._expand("imagenet_resnet50", False) == ["resnet50-0676ba61.pth"]
    assert weights._expand("imagenet_resnet34", False) == ["resnet34-b627a593.pth"]
    name, file = weights.imagenet_backbone(34)
    assert name == "imagenet_resnet34" and file.path == tmp_path / "pretrained_models" / "resnet34-b627a593.pth"
    assert file.path_in(tmp_path / "other") == tmp_path / "other" / "pretrained_models" / file.name
    file.path.parent.mkdir(parents=True)
    file.path.write_bytes(b"not the ImageNet weights")
    assert weights.file_status(file).state == "hash mismatch"


def test_module_runs_as_a_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core.weights", "list"],
        capture_output=True,
        text=True,
        cwd=paths.REPO_ROOT,
        env={"HMRC_DATA": str(tmp_path), "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "checkpoints" / "resnet50_spin_gta_ft-2538df81_20220708.pth") in result.stdout
