"""Output files appear whole or not at all: an interruption or an error while writing leaves the previous file
(or none) and no partial file; Ctrl-C during a long conversion exits with 130 and writes nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from train.prepare import common, miniatures


def _failing_savez(error):
    def savez(path, **arrays):
        Path(path).write_bytes(b"PK\x03\x04 half an archive")  # what an interrupted np.savez leaves
        raise error

    return savez


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_partial_one(tmp_path, monkeypatch, error):
    target = tmp_path / "lsp_train.npz"
    common.write_human_data(target, {"image_path": ["a.jpg"], "bbox_xywh": np.ones((1, 5)), "config": "lsp"})
    before = target.read_bytes()
    monkeypatch.setattr(common.np, "savez_compressed", _failing_savez(error))
    with pytest.raises(type(error)):
        common.write_human_data(target, {"image_path": ["b.jpg"], "bbox_xywh": np.zeros((1, 5)), "config": "lsp"})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lsp_train.npz"]
    target.unlink()
    with pytest.raises(type(error)):
        common.write_human_data(target, {"image_path": ["b.jpg"], "bbox_xywh": np.zeros((1, 5)), "config": "lsp"})
    assert list(tmp_path.iterdir()) == []


def test_sigterm_while_writing_becomes_an_interrupt_that_cleans_up(tmp_path, monkeypatch):
    def savez(path, **arrays):
        Path(path).write_bytes(b"partial")
        os.kill(os.getpid(), signal.SIGTERM)  # a scheduler stopping the job mid-write
        time.sleep(1)

    monkeypatch.setattr(common.np, "savez_compressed", savez)
    with pytest.raises(KeyboardInterrupt):
        common.write_human_data(tmp_path / "x.npz", {"bbox_xywh": np.ones((1, 5))})
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _default_sigint():
    """Ctrl-C as on a terminal: a test run started in the background inherits SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except (FileNotFoundError, PermissionError):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see when the file is being read")
def test_ctrl_c_during_a_long_conversion_writes_nothing(tmp_path):
    coco = tmp_path / "coco"
    annotations = miniatures.write_coco_people(coco / "annotations" / "person_keypoints_train2014.json", 100_000)
    out = tmp_path / "out"
    out.mkdir()
    (out / "coco_2014_train.npz").write_bytes(b"an earlier complete file")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "train.prepare",
            "coco",
            "--raw",
            str(coco),
            "--out",
            str(out),
            "--skip-missing-images",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 60
    while not _has_open(process.pid, annotations) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the conversion ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted; nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["coco_2014_train.npz"]
    assert (out / "coco_2014_train.npz").read_bytes() == b"an earlier complete file"
