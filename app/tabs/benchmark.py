"""The Benchmark tab: run the methods on samples with 3D ground truth and score them like mmhuman3d does.

Two sources, both in mmhuman3d's 3DPW layout and read by core.evaluation.human_data:
- the bundled synthetic samples in assets/benchmark/ (made by `python -m train.synth` from the open body
  model with known parameters, so their ground truth is exact), and
- a real 3DPW folder the user points at (`preprocessed_datasets/pw3d_test.npz` and
  `datasets/pw3d/imageFiles/...`), scored against the gendered SMPL models when they are present.
Scores come from train.eval.evaluate_batch (MPJPE and PA-MPJPE on the 14 LSP joints, PVE).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch

from app.state import session_of
from core.pipeline import analyse as pipeline
from core.body_models.load import load_body_model
from core.image_io import load_image
from core.paths import BENCHMARK_DIR
from core.methods import METHOD_IDS, METHODS
from core.evaluation.metrics import J14_NAMES
from core.render.colors import method_label
from core.outputs.pictures import render_views
from core.evaluation.pw3d import EvalBodies, GroundTruth, Predictions, evaluate_batch
from core.evaluation.human_data import HumanData, load_human_data

TEST_FILE = Path("preprocessed_datasets") / "pw3d_test.npz"
DATASET_NAME = "pw3d"
MAX_LISTED = 300  # a 3DPW test set has 35,515 frames: list an evenly spaced subset
MAX_SCORED_AT_ONCE = 24  # "score all" runs at most this many listed samples, evenly spaced

PROTOCOL_CARD = """**How these numbers are computed** (mmhuman3d's 3DPW protocol, `train.eval`)
- **MPJPE**: mean distance (mm) between predicted and true joints over the 14 LSP joints, taken from the
  17 H36M joints that `J_regressor_h36m` regresses from each mesh, after putting both pelvises at the origin.
- **PA-MPJPE**: the same after a Procrustes (similarity: scale, rotation, translation) alignment of each
  prediction onto its ground truth: it scores the pose alone.
- **PVE**: mean vertex distance (mm) between the predicted and the true mesh, no alignment.
- Ground truth: 3DPW uses the gendered SMPL models (male/female), the synthetic samples the body model
  that rendered them (the open model). Predictions are posed by the neutral model.
- Here each method runs as in the Compare tab, on the ground-truth box with the app's camera (field of view),
  one frame at a time: HybrIK does not get 3DPW's true root depth and intrinsics, so its numbers are the
  in-the-wild ones, not the paper's ({published} mm MPJPE / PA-MPJPE on all 35,515 frames).""".format(
    published=", ".join(f"{m.label} {m.published_3dpw_mm[0]:.2f} / {m.published_3dpw_mm[1]:.2f}"
                        for m in METHODS if m.published_3dpw_mm))


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
        raise FileNotFoundError(f"No {TEST_FILE} under {root}: point at the data/ folder that holds "
                                f"preprocessed_datasets/ and datasets/pw3d/ (mmhuman3d's layout).")
    return load_human_data(path)


def sample_choices(benchmark: BenchmarkSet) -> list[tuple[str, int]]:
    """(label, index) of up to MAX_LISTED samples, evenly spaced."""
    indices = np.unique(np.linspace(0, len(benchmark) - 1, min(len(benchmark), MAX_LISTED)).round().astype(int))
    return [(f"{i}: {Path(benchmark.data['image_path'][i]).as_posix()}", int(i)) for i in indices]


@dataclass
class SampleScores:
    result: pipeline.ImageResult
    summary: pd.DataFrame  # method → MPJPE, PA-MPJPE, PVE (mm)
    per_joint: pd.DataFrame  # LSP joint → MPJPE / PA-MPJPE per method (mm)
    message: str


def evaluate_sample(benchmark: BenchmarkSet, index: int, methods: tuple[str, ...], fov_deg: float) -> SampleScores:
    """Run `methods` on one sample inside its ground-truth box and score each against the ground truth."""
    loaded = load_image(benchmark.images[index])
    options = pipeline.PipelineOptions(methods=methods, fov_deg=fov_deg, boxes=[benchmark.box_xyxy(index)])
    result = pipeline.analyse(loaded, options)
    if not result.people:
        return SampleScores(result, pd.DataFrame(), pd.DataFrame(), result.message or "Nobody found in the box.")
    person = result.people[0]
    truth = _ground_truth(benchmark, index)
    rows, joint_columns = [], {"joint": list(J14_NAMES)}
    # SMPL's betas mean nothing to another body model: score the pose with that model's average shape.
    keep_betas = result.body_model.kind == benchmark.bodies.neutral.kind
    for method in result.methods:
        errors = score(person.predictions[method], truth, benchmark.bodies, keep_betas)
        rows.append({"method": method_label(method), "MPJPE": errors.mpjpe.mean(), "PA-MPJPE": errors.pa_mpjpe.mean(),
                     "PVE": float(errors.pve[0])})
        joint_columns[f"{method_label(method)} MPJPE"] = errors.mpjpe[0]
        joint_columns[f"{method_label(method)} PA-MPJPE"] = errors.pa_mpjpe[0]
    summary = pd.DataFrame(rows).round(1)
    missing = [f"{method_label(m)} did not run: {why}" for m, why in result.unavailable.items()]
    if not keep_betas:
        missing.append(f"Predicted shapes (betas) were set to zero: the methods ran with the "
                       f"{result.body_model.kind} body model, the ground truth is the {benchmark.bodies.neutral.kind} one.")
    message = "\n\n".join(filter(None, [f"{benchmark.name}, sample {index}", benchmark.note, *result.image.notes,
                                         *missing]))
    return SampleScores(result, summary, pd.DataFrame(joint_columns).round(1), message)


def score(prediction, truth: GroundTruth, bodies: EvalBodies, keep_betas: bool = True):
    """mmhuman3d's 3DPW errors of one MeshPrediction (train.eval.evaluate_batch with a batch of one)."""
    betas = torch.as_tensor(prediction.betas, dtype=torch.float32)[None]
    predicted = Predictions(rotmats=torch.as_tensor(prediction.rotmats, dtype=torch.float32)[None],
                            betas=betas if keep_betas else torch.zeros_like(betas))
    with torch.no_grad():
        return evaluate_batch(predicted, truth, bodies)


def _ground_truth(benchmark: BenchmarkSet, index: int) -> GroundTruth:
    data = benchmark.data

    def row(name: str, size: int) -> torch.Tensor:
        return torch.as_tensor(data.smpl(name)[index].reshape(1, size), dtype=torch.float32)

    is_male = None
    if benchmark.gendered:
        is_male = torch.as_tensor([str(data["meta"]["gender"][index]) == "m"])
    return GroundTruth(betas=row("betas", 10), global_orient=row("global_orient", 3), body_pose=row("body_pose", 69),
                       is_male=is_male)


# --------------------------------------------------------------------------- the tab's handlers

SOURCES = ("Bundled synthetic samples", "3DPW folder")


def load_benchmark(source: str, folder: str | None, session):
    """Open the chosen sample set for this session; returns the sample picker, a message and the session."""
    session = session_of(session)
    try:
        benchmark = bundled_set() if source == SOURCES[0] else pw3d_set(folder or "")
    except (FileNotFoundError, ValueError) as problem:
        gr.Warning(str(problem))
        return gr.update(choices=[], value=None), f"**{problem}**", session
    session.benchmark = benchmark
    choices = sample_choices(benchmark)
    return (gr.update(choices=choices, value=choices[0][1]),
            f"{benchmark.name}: {len(benchmark)} samples ({len(choices)} listed). {benchmark.note}", session)


def run_benchmark(index, methods, fov_deg, session):
    """Score the methods on one sample: overlays, summary and per-joint tables, a message."""
    session = session_of(session)
    benchmark = session.benchmark
    if benchmark is None or index is None:
        return [], None, None, "Load a sample set and pick a sample first.", session
    chosen = tuple(methods or ()) or METHOD_IDS
    scores = evaluate_sample(benchmark, int(index), chosen, float(fov_deg or pipeline.DEFAULT_FOV_DEG))
    views = render_views(scores.result, side_view=False) if scores.result.people else None
    gallery = [(picture, method_label(m)) for m, picture in views.overlays.items()] if views else []
    return gallery, scores.summary, scores.per_joint, scores.message, session


def run_all(methods, fov_deg, session):
    """Mean MPJPE / PA-MPJPE / PVE per method over the listed samples (at most MAX_SCORED_AT_ONCE)."""
    session = session_of(session)
    benchmark = session.benchmark
    if benchmark is None:
        return None, "Load a sample set first.", session
    chosen = tuple(methods or ()) or METHOD_IDS
    listed = [index for _, index in sample_choices(benchmark)]
    picked = [listed[i] for i in np.unique(np.linspace(0, len(listed) - 1, min(len(listed), MAX_SCORED_AT_ONCE))
                                           .round().astype(int))]
    fov = float(fov_deg or pipeline.DEFAULT_FOV_DEG)
    tables = [evaluate_sample(benchmark, index, chosen, fov).summary for index in picked]
    scored = [table for table in tables if not table.empty]
    if not scored:
        return None, "No sample could be scored (nobody found in the boxes).", session
    means = pd.concat(scored).groupby("method", sort=False).agg(["mean", "count"])
    summary = pd.DataFrame({"method": means.index, "samples": means[("MPJPE", "count")].to_numpy(),
                            **{name: means[(name, "mean")].round(1).to_numpy() for name in ("MPJPE", "PA-MPJPE", "PVE")}})
    return summary, f"{benchmark.name}: means over {len(scored)} of {len(picked)} samples.", session
