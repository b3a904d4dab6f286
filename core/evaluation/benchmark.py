"""Benchmark sets: samples with 3D ground truth, each method run on them as on a photo and scored by mmhuman3d's
3DPW protocol (core.evaluation.pw3d.evaluate_batch: MPJPE and PA-MPJPE on the 14 LSP joints, PVE).

Two sources, both in mmhuman3d's 3DPW layout and read by core.evaluation.human_data:
- the bundled synthetic samples in assets/benchmark/ (made by `python -m train.synth` from the open body
  model with known parameters, so their ground truth is exact), and
- a real 3DPW folder (`preprocessed_datasets/pw3d_test.npz` and `datasets/pw3d/imageFiles/...`), scored
  against the gendered SMPL models when they are present.
The app's Benchmark tab (app/tabs/benchmark.py) shows what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core.body_models.gendered import genders_from_3dpw
from core.body_models.load import load_body_model
from core.evaluation.human_data import HumanData, load_human_data
from core.evaluation.metrics import J14_NAMES
from core.evaluation.pw3d import DATASET_NAME, TEST_FILES, EvalBodies, GroundTruth, Predictions, evaluate_batch
from core.image_io import load_image
from core.paths import BENCHMARK_DIR
from core.pipeline.analyse import ImageResult, PipelineOptions, analyse
from core.render.colors import method_label

TEST_FILE = Path("preprocessed_datasets") / TEST_FILES["hmr"]  # SMPL ground truth, gendered
MAX_LISTED = 300  # a 3DPW test set has 35,515 frames: list an evenly spaced subset
MAX_SCORED_AT_ONCE = 24  # scoring "all" runs at most this many listed samples, evenly spaced


@dataclass
class BenchmarkSet:
    name: str
    data: HumanData
    images: list[Path]
    bodies: EvalBodies
    gendered: bool  # score against the file's male/female ground truth
    note: str = ""

    def __len__(self) -> int:
        return len(self.images)

    def box_xyxy(self, index: int) -> list[float]:
        x, y, w, h = np.asarray(self.data["bbox_xywh"][index][:4], dtype=np.float64)
        return [x, y, x + w, y + h]


def bundled_set(root: Path = BENCHMARK_DIR) -> BenchmarkSet:
    """The synthetic samples shipped with the app; their ground truth comes from the open body model."""
    data = _read(root)
    bodies = EvalBodies(neutral=load_body_model("open"))
    return BenchmarkSet("synthetic samples (bundled)", data, data.image_paths(DATASET_NAME, root), bodies, False)


def pw3d_set(root: str | Path) -> BenchmarkSet:
    """A real 3DPW test folder in mmhuman3d's layout (data/ with preprocessed_datasets/ and datasets/)."""
    root = Path(root).expanduser()
    data = _read(root)
    neutral = load_body_model("smpl", "neutral")
    try:
        bodies = EvalBodies(neutral, load_body_model("smpl", "male"), load_body_model("smpl", "female"))
        return BenchmarkSet("3DPW test", data, data.image_paths(DATASET_NAME, root), bodies, True)
    except FileNotFoundError as missing:
        note = f"Gendered SMPL models not found, so the ground truth is posed by the neutral model ({missing})."
        return BenchmarkSet("3DPW test", data, data.image_paths(DATASET_NAME, root), EvalBodies(neutral), False, note)


def _read(root: Path) -> HumanData:
    path = root / TEST_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"No {TEST_FILE} under {root}: point at the data/ folder that holds "
            f"preprocessed_datasets/ and datasets/{DATASET_NAME}/ (mmhuman3d's layout)."
        )
    return load_human_data(path)


def sample_choices(benchmark: BenchmarkSet) -> list[tuple[str, int]]:
    """(label, index) of up to MAX_LISTED samples, evenly spaced."""
    indices = np.unique(np.linspace(0, len(benchmark) - 1, min(len(benchmark), MAX_LISTED)).round().astype(int))
    return [(f"{i}: {Path(benchmark.data['image_path'][i]).as_posix()}", int(i)) for i in indices]


@dataclass
class TruthMesh:
    """A sample's ground-truth body posed as it is scored, in the camera's orientation, pelvis at the origin."""

    vertices: np.ndarray  # (V, 3) metres
    faces: np.ndarray  # (F, 3)


@dataclass
class SampleScores:
    result: ImageResult
    summary: pd.DataFrame  # method → MPJPE, PA-MPJPE, PVE (mm)
    per_joint: pd.DataFrame  # LSP joint → MPJPE / PA-MPJPE per method (mm)
    message: str
    truth: TruthMesh | None = None  # None when nobody was found in the box


def evaluate_sample(benchmark: BenchmarkSet, index: int, methods: tuple[str, ...], fov_deg: float) -> SampleScores:
    """Run `methods` on one sample inside its ground-truth box and score each against the ground truth."""
    loaded = load_image(benchmark.images[index])
    options = PipelineOptions(methods=methods, fov_deg=fov_deg, boxes=[benchmark.box_xyxy(index)])
    result = analyse(loaded, options)
    if not result.people:
        return SampleScores(result, pd.DataFrame(), pd.DataFrame(), result.message or "Nobody found in the box.")
    person = result.people[0]
    truth = ground_truth(benchmark, index)
    rows, joint_columns = [], {"joint": list(J14_NAMES)}
    # SMPL's betas mean nothing to another body model: score the pose with that model's average shape.
    keep_betas = result.body_model.kind == benchmark.bodies.neutral.kind
    for method in result.methods:
        errors = score(person.predictions[method], truth, benchmark.bodies, keep_betas)
        rows.append(
            {
                "method": result.label(method),
                "MPJPE": errors.mpjpe.mean(),
                "PA-MPJPE": errors.pa_mpjpe.mean(),
                "PVE": float(errors.pve[0]),
            }
        )
        joint_columns[f"{result.label(method)} MPJPE"] = errors.mpjpe[0]
        joint_columns[f"{result.label(method)} PA-MPJPE"] = errors.pa_mpjpe[0]
    summary = pd.DataFrame(rows).round(1)
    missing = [f"{method_label(m)} did not run: {why}" for m, why in result.unavailable.items()]
    if not keep_betas:
        missing.append(
            f"Predicted shapes (betas) were set to zero: the methods ran with the "
            f"{result.body_model.kind} body model, the ground truth is the {benchmark.bodies.neutral.kind} one."
        )
    message = "\n\n".join(
        filter(None, [f"{benchmark.name}, sample {index}", benchmark.note, *result.image.notes, *missing])
    )
    return SampleScores(result, summary, pd.DataFrame(joint_columns).round(1), message, truth_mesh(benchmark, index))


def score(prediction, truth: GroundTruth, bodies: EvalBodies, keep_betas: bool = True):
    """mmhuman3d's 3DPW errors of one MeshPrediction (`evaluate_batch` with a batch of one)."""
    betas = torch.as_tensor(prediction.betas, dtype=torch.float32)[None]
    predicted = Predictions(
        rotmats=torch.as_tensor(prediction.rotmats, dtype=torch.float32)[None],
        betas=betas if keep_betas else torch.zeros_like(betas),
    )
    with torch.no_grad():
        return evaluate_batch(predicted, truth, bodies)


def ground_truth(benchmark: BenchmarkSet, index: int) -> GroundTruth:
    """Sample `index`'s ground truth as a batch of one (gendered by mmhuman3d's rule when the set is)."""
    data = benchmark.data

    def row(name: str, size: int) -> torch.Tensor:
        return torch.as_tensor(data.smpl(name)[index].reshape(1, size), dtype=torch.float32)

    is_male = None
    if benchmark.gendered:
        is_male = torch.as_tensor([genders_from_3dpw([data["meta"]["gender"][index]])[0] == "male"])
    return GroundTruth(
        betas=row("betas", 10), global_orient=row("global_orient", 3), body_pose=row("body_pose", 69), is_male=is_male
    )


def truth_mesh(benchmark: BenchmarkSet, index: int) -> TruthMesh:
    """Sample `index`'s ground-truth body, posed by the model it is scored with (the male or female one when the
    set is gendered), pelvis at the origin."""
    truth = ground_truth(benchmark, index)
    bodies = benchmark.bodies
    model = bodies.neutral if truth.is_male is None else (bodies.male if bool(truth.is_male[0]) else bodies.female)
    with torch.no_grad():
        posed = model.forward_axis_angle(truth.betas, truth.global_orient, truth.body_pose)
    vertices, pelvis = posed.vertices[0].double().numpy(), posed.joints[0, 0].double().numpy()
    return TruthMesh(vertices - pelvis, np.asarray(model.faces))


def score_listed(
    benchmark: BenchmarkSet, methods: tuple[str, ...], fov_deg: float
) -> tuple[pd.DataFrame | None, int, int]:
    """Mean MPJPE / PA-MPJPE / PVE per method over at most MAX_SCORED_AT_ONCE listed samples, evenly spaced:
    (table with a 'samples' column, or None when nobody was found, samples scored, samples tried)."""
    listed = [index for _, index in sample_choices(benchmark)]
    picked = [
        listed[i]
        for i in np.unique(np.linspace(0, len(listed) - 1, min(len(listed), MAX_SCORED_AT_ONCE)).round().astype(int))
    ]
    tables = [evaluate_sample(benchmark, index, methods, fov_deg).summary for index in picked]
    scored = [table for table in tables if not table.empty]
    if not scored:
        return None, 0, len(picked)
    means = pd.concat(scored).groupby("method", sort=False).agg(["mean", "count"])
    summary = pd.DataFrame(
        {
            "method": means.index,
            "samples": means[("MPJPE", "count")].to_numpy(),
            **{name: means[(name, "mean")].round(1).to_numpy() for name in ("MPJPE", "PA-MPJPE", "PVE")},
        }
    )
    return summary, len(scored), len(picked)
