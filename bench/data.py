"""A synthetic HMRC_DATA folder for benchmarking: the stand-in SMPL and checkpoints (run as the user's own).

Built by core.testing.data (the builders the tests use too). The stand-in SMPL has SMPL's 6,890 vertices and
13,776 faces (joined between neighbouring vertices, so it can be drawn), so the networks and the body model
compute what they compute with the real one. Groups that draw meshes run on the bundled open body model
instead (a real body, with twice SMPL's triangles, so its figures err on the slow side): `use_data(root,
"open")` hides the stand-in. The weights are random with HMR's mean camera kept, so meshes land on the
person. Random weights run exactly as fast as the official ones.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from core.methods import NETWORK_METHODS
from core.testing.data import standin_checkpoints, use_standin_data, write_app_data
from core.testing.examples import example_image

ONE_PERSON = example_image("sport_skier_fullbody")
GROUP = example_image("group6_standing_meeting")


def write_bench_data(root: Path) -> Path:
    """root/body_models (stand-in SMPL), root/body_models_open (the same without SMPL) and root/checkpoints."""
    if set(standin_checkpoints(root)) == set(NETWORK_METHODS):
        return root
    write_app_data(root)
    shutil.copytree(
        root / "body_models", root / "body_models_open", ignore=shutil.ignore_patterns("smpl", "basicModel_*")
    )
    return root


@contextmanager
def use_data(root: Path, body_model: str = "smpl"):
    """Within the block this process (and what it starts, through core.settings.data_environment) uses `root`,
    with the stand-in SMPL ('smpl') or without it ('open': the networks and the fit then run on the open body
    model, as on a fresh install)."""
    assert body_model in ("smpl", "open"), body_model
    body_models = root / ("body_models_open" if body_model == "open" else "body_models")
    with use_standin_data(root, body_models=body_models):
        yield
