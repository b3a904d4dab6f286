"""A pipeline result for the views, bundle and demo tests, built fast and without licensed files.

The shared SMPL stand-in joins random vertices into faces that span the whole body, which makes every
render fill the silhouette thousands of times over (seconds per picture). Here the same stand-in gets
faces between neighbouring vertices instead, so pictures render in a fraction of a second, and the
three networks get synthetic checkpoints with the official key names (random weights: garbage but
finite outputs, enough for files, shapes and placement).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from core.pipeline import inference
from core.networks.checkpoint import save_checkpoint
from core.pipeline.estimate import OFFICIAL_CHECKPOINTS
from tests.paths import example_image
from tests.smpl_standin import NUM_FACES, standin_smpl_arrays, write_standin_body_models_dir
from tests.test_checkpoint import official_state_dict


def neighbour_faces(vertices: np.ndarray, num_faces: int = NUM_FACES) -> np.ndarray:
    """(num_faces, 3) small triangles: each vertex with its 1st and 2nd, then 2nd and 3rd nearest neighbours."""
    _, nearest = cKDTree(vertices).query(vertices, k=4)  # (V, 4), column 0 is the vertex itself
    faces = np.concatenate([nearest[:, [0, 1, 2]], nearest[:, [0, 2, 3]]])
    return faces[:num_faces].astype(np.uint32)


def write_compact_body_models(folder: Path) -> Path:
    """The stand-in body-model folder with a neutral SMPL (.npz) whose faces join neighbouring vertices."""
    folder = write_standin_body_models_dir(folder)
    arrays = standin_smpl_arrays("neutral")
    arrays["f"] = neighbour_faces(arrays["v_template"])
    (folder / "smpl" / "SMPL_NEUTRAL.pkl").unlink()
    np.savez(folder / "smpl" / "SMPL_NEUTRAL.npz", **arrays)
    return folder


def write_synthetic_checkpoints(folder: Path, methods, body_model) -> None:
    """Official file names and keys, random values (seeded)."""
    import torch

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    for method in methods:
        save_checkpoint(folder / OFFICIAL_CHECKPOINTS[method], official_state_dict(method, body_model), {})


def prepare_data(folder: Path, methods=("hmr", "spin_gta")) -> Path:
    """A data folder (HMRC_DATA layout): compact body models and synthetic checkpoints of `methods`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HMRC_DATA", str(folder))
        write_compact_body_models(folder / "body_models")
        inference.clear_cache()
        write_synthetic_checkpoints(folder / "checkpoints", methods, inference.default_body_model())
        inference.clear_cache()
    return folder


def analysed(image, options, data: Path):
    """core.pipeline.analyse with HMRC_DATA = `data`; usable from module-scoped fixtures (no monkeypatch there)."""
    from core.pipeline.analyse import analyse

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HMRC_DATA", str(data))
        patch.delenv("HMRC_BODY_MODELS", raising=False)
        patch.delenv("HMRC_CHECKPOINTS", raising=False)
        inference.clear_cache()  # its caches ignore the environment
        try:
            return analyse(image, options)
        finally:
            inference.clear_cache()


_analyses: dict = {}


def skier_analysis(tmp_path_factory, **options):
    """The example skier photo analysed once per test process and options (treat it as read-only)."""
    from core.pipeline.analyse import PipelineOptions

    key = tuple(sorted(options.items()))
    if key not in _analyses:
        data = prepare_data(tmp_path_factory.mktemp("demo_data"))
        _analyses[key] = analysed(example_image("sport_skier_fullbody"), PipelineOptions(**options), data)
    return _analyses[key]
