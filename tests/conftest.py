"""Shared test set-up: keep torch to the machine's 2 cores, never touch the user's data folder, and the
stand-in SMPL folder as a fixture (the builders live in core.testing, which bench and scripts use too)."""

import os
import shutil
from pathlib import Path

import pytest
import torch

from core.testing.smpl import write_standin_body_models_dir

torch.set_num_threads(min(2, os.cpu_count() or 1))


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        default="test-artifacts",
        help="folder for the browser tests' pictures of the page (docs/screenshots refreshes the README's)",
    )


@pytest.fixture(autouse=True)
def _isolated_data_root(tmp_path_factory, monkeypatch):
    """Each test sees an empty data folder and no own checkpoints unless it sets them itself."""
    from core import checkpoints, settings

    monkeypatch.setenv("HMRC_DATA", str(tmp_path_factory.mktemp("data")))
    for name in ("HMRC_BODY_MODELS", "HMRC_CHECKPOINTS", *settings.OWN_CHECKPOINT_VARIABLES.values()):
        monkeypatch.delenv(name, raising=False)
    yield
    for method in settings.OWN_CHECKPOINT_VARIABLES:
        checkpoints.forget_own_checkpoint(method)


_cache: dict[str, Path] = {}


def _cached_standin_folder(tmp_path_factory) -> Path:
    """Writing the files takes about a second, so each test session writes them once."""
    cached = _cache.get("body_models")
    if cached is None or not cached.exists():
        cached = write_standin_body_models_dir(tmp_path_factory.mktemp("standin_body_models_cache"))
        _cache["body_models"] = cached
    return cached


@pytest.fixture
def standin_body_models_dir(tmp_path, tmp_path_factory, monkeypatch) -> Path:
    """A body_models folder with every stand-in file (see write_standin_body_models_dir), private to
    the test (files are hard links to a per-session cache: replace or delete them, never edit in place),
    with HMRC_BODY_MODELS pointing at it."""
    folder = tmp_path / "body_models"
    shutil.copytree(_cached_standin_folder(tmp_path_factory), folder, copy_function=_link_or_copy)
    monkeypatch.setenv("HMRC_BODY_MODELS", str(folder))
    return folder


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst
