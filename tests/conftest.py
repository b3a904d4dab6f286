"""Shared test set-up: keep torch to the machine's 2 cores and never touch the user's data folder."""
import os

import pytest
import torch

from tests.smpl_standin import standin_body_models_dir  # noqa: F401  (fixture)

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def _isolated_data_root(tmp_path_factory, monkeypatch):
    """Each test sees an empty data folder unless it builds one itself."""
    monkeypatch.setenv("HMRC_DATA", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("HMRC_BODY_MODELS", raising=False)
    monkeypatch.delenv("HMRC_CHECKPOINTS", raising=False)
