"""Data folders in the HMRC_DATA layout for tests, benchmarks and the app served in tests, without licensed files.

The stand-in SMPL (core.testing.smpl) joins random vertices into faces that span the whole body, which makes
every render fill the silhouette thousands of times over (seconds, even minutes, per picture). The drawable
folder gives the same stand-in faces between neighbouring vertices instead, so pictures render in a fraction
of a second; it looks like a cloud of skin. The three networks get checkpoints with the official key names
and random weights (garbage but finite outputs, enough for files, shapes and placement); with
`keep_mean_camera` HMR and SPIN-GTA keep their mean camera so the mesh lands on the person.

The stand-in checkpoints are not the published files, so they never take the official names (a file under an
official name must have its published hash, core.networks.checkpoint): they are `standin_<method>.pth` and run as
the user's own checkpoints (`standin_checkpoints`, `use_standin_data`), labelled "custom" like any other.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from scipy.spatial import cKDTree

from core.methods import NETWORK_METHODS
from core.networks.checkpoint import save_checkpoint
from core.pipeline import inference
from core.settings import use_data_folders
from core.testing.checkpoints import official_state_dict, sane_hmr
from core.testing.examples import example_image
from core.testing.smpl import NUM_FACES, make_body_model, standin_smpl_arrays, write_standin_body_models_dir


def neighbour_faces(vertices: np.ndarray, num_faces: int = NUM_FACES) -> np.ndarray:
    """(num_faces, 3) small triangles: each vertex with its 1st and 2nd, then 2nd and 3rd nearest neighbours."""
    _, nearest = cKDTree(vertices).query(vertices, k=4)  # (V, 4), column 0 is the vertex itself
    faces = np.concatenate([nearest[:, [0, 1, 2]], nearest[:, [0, 2, 3]]])
    return faces[:num_faces].astype(np.uint32)


def write_drawable_body_models(folder: Path) -> Path:
    """The stand-in body-model folder whose only neutral SMPL is an .npz with faces between neighbouring vertices."""
    folder = write_standin_body_models_dir(folder)
    (folder / "smpl" / "SMPL_NEUTRAL.pkl").unlink()
    (folder / "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl").unlink()
    arrays = standin_smpl_arrays("neutral")
    arrays["f"] = neighbour_faces(arrays["v_template"])
    np.savez(folder / "smpl" / "SMPL_NEUTRAL.npz", **arrays)
    return folder


STANDIN_CHECKPOINT = "standin_{method}.pth"


def write_checkpoints(folder: Path, methods=NETWORK_METHODS, keep_mean_camera: bool = False, names=None) -> Path:
    """Official keys, random values (seeded), as `standin_<method>.pth` (`names`: method → another file name, e.g.
    the official one to test that it is refused); see the module docstring for keep_mean_camera."""
    body_model = make_body_model()
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    for method in methods:
        state = official_state_dict(method, body_model)
        if keep_mean_camera and method != "hybrik":
            state.update({f"head.{k}": v for k, v in sane_hmr(body_model, method).head.state_dict().items()})
        name = (names or {}).get(method, STANDIN_CHECKPOINT.format(method=method))
        save_checkpoint(folder / name, state, {"method": method})
    return folder


def standin_checkpoints(data: Path) -> dict[str, Path]:
    """Method → the stand-in checkpoint `write_checkpoints` left in data/checkpoints (methods without one left out)."""
    folder = Path(data) / "checkpoints"
    found = {method: folder / STANDIN_CHECKPOINT.format(method=method) for method in NETWORK_METHODS}
    return {method: path for method, path in found.items() if path.is_file()}


@contextmanager
def use_standin_data(data: Path, body_models: Path | None = None):
    """core.settings.use_data_folders(data) with the stand-in checkpoints as the user's own, and the model caches
    emptied before and after."""
    inference.clear_cache()
    with use_data_folders(data, body_models=body_models, own_checkpoints=standin_checkpoints(data)):
        try:
            yield
        finally:
            inference.clear_cache()


def prepare_data(folder: Path, methods=("hmr", "spin_gta")) -> Path:
    """A data folder: drawable body models and random-weight checkpoints of `methods`."""
    write_drawable_body_models(folder / "body_models")
    write_checkpoints(folder / "checkpoints", methods)
    return folder


def write_app_data(root: Path) -> Path:
    """A data folder for the served app: drawable body models and the three methods' checkpoints, meshes in view."""
    write_drawable_body_models(root / "body_models")
    write_checkpoints(root / "checkpoints", keep_mean_camera=True)
    return root


def analysed(image, options, data: Path):
    """core.pipeline.analyse on the data folder `data` (core.settings.use_data_folders)."""
    from core.pipeline.analyse import analyse

    with use_standin_data(data):
        return analyse(image, options)


_analyses: dict = {}


def skier_analysis(tmp_path_factory, **options):
    """The example skier photo analysed once per test process and options (treat it as read-only)."""
    from core.pipeline.analyse import PipelineOptions

    key = tuple(sorted(options.items()))
    if key not in _analyses:
        data = prepare_data(tmp_path_factory.mktemp("demo_data"))
        _analyses[key] = analysed(example_image("sport_skier_fullbody"), PipelineOptions(**options), data)
    return _analyses[key]
