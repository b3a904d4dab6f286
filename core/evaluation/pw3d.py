"""3DPW evaluation exactly as mmhuman3d runs it: MPJPE, PA-MPJPE and PVE in mm, for any model and data folder.

The protocol is mmhuman3d's `HumanImageDataset.evaluate` / `_parse_result` (HMR, SPIN-GTA;
mmhuman3d/data/datasets/human_image_dataset.py) and `HybrIKHumanImageDataset.evaluate`
(mmhuman3d/data/datasets/human_hybrik_dataset.py). HMR and SPIN-GTA read `preprocessed_datasets/pw3d_test.npz`:
a 224 crop of the square box around bbox_xywh (no extra factor); predicted H36M joints from the NEUTRAL SMPL;
ground truth from the GENDERED SMPL ('m' → male, anything else → female, core.body_models.gendered) posed by
the file's axis-angle parameters, no translation. HybrIK reads `hybrik_pw3d_test.npz`: bbox_xywh holds xyxy,
enlarged by 1.25 to a 256 crop; the network also gets the file's GT root (`root_cam`) and K⁻¹
(`cam_param.intrinsic`), with depth_factor 2.0; ground truth joints are `keypoints3d17_relative`. Joints are
then pelvis-aligned, the 14 LSP joints kept and compared by `core.evaluation.metrics`.

PVE follows mmhuman3d's `_parse_result(mode='vertice')`: for HMR/SPIN-GTA both the predicted and the GT
meshes are made by the GENDERED model (it passes the GT gender for the prediction too); for HybrIK both by
the neutral model. No alignment. (The published configs report only MPJPE/PA-MPJPE.)

`python -m train.eval` is the command line over `run_evaluation`; train.run validates with it and the app's
Benchmark tab scores single samples with `evaluate_batch`.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from core import distributed
from core.body_models import BodyModel
from core.body_models.gendered import forward_gendered, genders_from_3dpw, pose_gendered, regress_gendered
from core.body_models.smpl_files import SMPL_WEBSITE
from core.evaluation import metrics
from core.evaluation.human_data import HumanData
from core.joints import H36M_17
from core.joints.human_data import human_data_indices
from core.pipeline import crop

DATASET_NAME = "pw3d"
TEST_FILES = {"hmr": "pw3d_test.npz", "spin_gta": "pw3d_test.npz", "hybrik": "hybrik_pw3d_test.npz"}
H36M_REGRESSOR = "h36m_17"
H36M_IN_HUMAN_DATA = tuple(human_data_indices(H36M_17))  # rows of the 17 H36M joints in HumanData keypoints


# ---------------------------------------------------------------- per-batch maths (no images)


@dataclass
class Predictions:
    """What every method gives the evaluation: SMPL rotations and shape."""

    rotmats: torch.Tensor  # (B, 24, 3, 3) local rotations, index 0 = global orientation
    betas: torch.Tensor  # (B, 10)


@dataclass
class GroundTruth:
    """One batch of 3DPW ground truth, axis-angle SMPL parameters in the camera frame."""

    betas: torch.Tensor  # (B, 10)
    global_orient: torch.Tensor  # (B, 3)
    body_pose: torch.Tensor  # (B, 69)
    is_male: torch.Tensor | None = None  # (B,) bool: gendered GT (pw3d_test: 'm' → male, else female); None: neutral
    h36m_relative: torch.Tensor | None = None  # (B, 17, 3) metres: GT joints given by the file (HybrIK)


@dataclass
class EvalBodies:
    """Body models with an 'h36m_17' regressor; male/female are needed for pw3d_test.npz only."""

    neutral: BodyModel
    male: BodyModel | None = None
    female: BodyModel | None = None


@dataclass
class BatchErrors:
    mpjpe: np.ndarray  # (B, 14) mm
    pa_mpjpe: np.ndarray  # (B, 14) mm
    pve: np.ndarray  # (B,) mm


def evaluate_batch(pred: Predictions, gt: GroundTruth, bodies: EvalBodies) -> BatchErrors:
    """Errors of one batch by mmhuman3d's 3DPW protocol."""
    rotmats, betas = pred.rotmats.float(), pred.betas.float()
    pred_posed = bodies.neutral(betas, rotmats[:, :1], rotmats[:, 1:])
    pred_h36m = bodies.neutral.regress(pred_posed.vertices, H36M_REGRESSOR)
    if gt.is_male is None:
        gt_posed = bodies.neutral.forward_axis_angle(gt.betas.float(), gt.global_orient.float(), gt.body_pose.float())
        gt_vertices, pred_vertices = gt_posed.vertices, pred_posed.vertices
        gt_h36m = (
            gt.h36m_relative if gt.h36m_relative is not None else bodies.neutral.regress(gt_vertices, H36M_REGRESSOR)
        )
    else:
        models, genders = _gendered_models(bodies), ["male" if male else "female" for male in gt.is_male.tolist()]
        gt_vertices = forward_gendered(
            models, genders, gt.betas.float(), gt.global_orient.float(), gt.body_pose.float()
        ).vertices
        gt_h36m = regress_gendered(models, genders, gt_vertices, H36M_REGRESSOR)
        pred_vertices = pose_gendered(models, genders, betas, rotmats).vertices
    errors = metrics.pw3d_joint_errors(_np(pred_h36m), _np(gt_h36m))
    return BatchErrors(errors.mpjpe, errors.pa_mpjpe, metrics.pve_mm(_np(pred_vertices), _np(gt_vertices)))


def _gendered_models(bodies: EvalBodies) -> dict[str, BodyModel]:
    if bodies.male is None or bodies.female is None:
        raise FileNotFoundError(
            "3DPW ground truth for HMR/SPIN-GTA uses the gendered SMPL models: put SMPL_MALE.pkl and "
            f"SMPL_FEMALE.pkl in data/body_models/smpl/ (from {SMPL_WEBSITE})"
        )
    return {"male": bodies.male, "female": bodies.female}


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


# ---------------------------------------------------------------- ground truth from the files


def ground_truth_arrays(data: HumanData, method: str) -> dict[str, np.ndarray]:
    """Per-sample GT arrays (N, ...) that the DataLoader hands out next to each image."""
    if method == "hybrik":
        thetas = data.smpl("thetas").reshape(-1, 24, 3)
        h36m = np.asarray(data["keypoints3d17_relative"])[:, list(H36M_IN_HUMAN_DATA), :3]
        return {
            "betas": data.smpl("betas"),
            "global_orient": thetas[:, 0],
            "body_pose": thetas[:, 1:].reshape(-1, 69),
            "h36m_relative": h36m,
        }
    is_male = np.array([gender == "male" for gender in genders_from_3dpw(data["meta"]["gender"])])
    return {
        "betas": data.smpl("betas"),
        "global_orient": data.smpl("global_orient").reshape(-1, 3),
        "body_pose": data.smpl("body_pose").reshape(-1, 69),
        "is_male": is_male,
    }


def ground_truth_from_batch(batch: dict) -> GroundTruth:
    return GroundTruth(
        betas=batch["betas"],
        global_orient=batch["global_orient"],
        body_pose=batch["body_pose"],
        is_male=batch.get("is_male"),
        h36m_relative=batch.get("h36m_relative"),
    )


# ---------------------------------------------------------------- images → crops


def crop_box(method: str, box: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre (2,) and square side (pixels) of the test-time crop from one `bbox_xywh` row (mmhuman3d's test
    pipelines: HybrIK's `hybrik_transforms` box2cs, the others' `MeshAffine` around the xywh box)."""
    if method == "hybrik":  # the file's bbox_xywh holds xyxy; box2cs with 1.25
        centers, sides = crop.box_to_center_size(box[None, :4], scale_factor=crop.BOX_SCALE_FACTOR)
    else:  # HumanImageDataset: centre of the xywh box, side max(w, h), no extra factor
        x, y, w, h = box[:4]
        centers, sides = crop.box_to_center_size(np.array([[x, y, x + w, y + h]]), scale_factor=1.0)
    return centers[0], float(sides[0])


def read_image_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB, decoded by OpenCV like mmcv's LoadImageFromFile."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(
            f"cannot read test image {path}: is the 3DPW imageFiles folder under <data>/datasets/{DATASET_NAME}/?"
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class EvalImages(Dataset):
    """Decoded, cropped and normalised test images plus the per-sample inputs and GT (workers run this)."""

    def __init__(
        self,
        data: HumanData,
        method: str,
        limit: int | None = None,
        data_root: Path | None = None,
        img_res: int | None = None,
    ):
        self.data, self.method, self.img_res = data, method, img_res
        self.paths = data.image_paths(DATASET_NAME, data_root)
        self.indices = list(range(len(data) if limit is None else min(limit, len(data))))
        self.gt = ground_truth_arrays(data, method)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, position: int) -> dict:
        index = self.indices[position]
        center, side = crop_box(self.method, self.data["bbox_xywh"][index])
        spec = crop.input_spec(self.method)
        if self.img_res is not None:  # a model trained on other crops than the method's (e.g. a CPU benchmark)
            spec = dataclasses.replace(spec, size=self.img_res)
        pixels, crop_to_image = crop.crop(read_image_rgb(self.paths[index]), center, side, spec.size)
        image = torch.from_numpy(crop.normalize(pixels, spec)).permute(2, 0, 1).contiguous()  # (3, S, S)
        item = {"index": index, "img": image}
        item.update({key: torch.as_tensor(np.asarray(value[index])) for key, value in self.gt.items()})
        if self.method == "hybrik":
            item.update(self._hybrik_inputs(index, crop_to_image))
        return item

    def _hybrik_inputs(self, index: int, crop_to_image: np.ndarray) -> dict:
        return {
            "trans_inv": torch.as_tensor(crop_to_image, dtype=torch.float32),  # (2, 3)
            "intrinsic_inv": torch.as_tensor(self.data["cam_param"]["intrinsic"][index], dtype=torch.float32),
            "joint_root": torch.as_tensor(self.data["root_cam"][index], dtype=torch.float32),
            "depth_factor": torch.as_tensor(float(np.asarray(self.data["depth_factor"])[index]), dtype=torch.float64),
        }


# ---------------------------------------------------------------- running a model


def predict(model, batch: dict, method: str, device: torch.device) -> Predictions:
    """Run a method model (core.pipeline.estimate) on a batch of crops."""
    images = batch["img"].to(device)
    with torch.no_grad():
        if method == "hybrik":
            out = model(
                images,
                trans_inv=batch["trans_inv"].to(device),
                intrinsic_inv=batch["intrinsic_inv"].to(device),
                joint_root=batch["joint_root"].to(device),
                depth_factor=batch["depth_factor"].to(device),
            )
        else:
            out = model(images)
    return Predictions(rotmats=out.rotmats, betas=out.betas)


def load_eval_bodies(method: str, device: torch.device, folder: Path | None = None, prefer: str = "smpl") -> EvalBodies:
    """Neutral SMPL (all), plus male and female SMPL for pw3d_test.npz, each with the H36M regressor, from the
    body-model folder `folder` (default: core.paths.body_models_dir()). prefer='open' (a model trained on data
    rendered from the open body model, asked for with body_model=open) scores with the open model for every gender."""
    from core.body_models.load import load_body_model

    genders = ("neutral",) if method == "hybrik" else ("neutral", "male", "female")
    models = {gender: load_body_model(prefer, gender=gender, folder=folder).to(device) for gender in genders}
    for model in models.values():
        model.regressor(H36M_REGRESSOR)  # fails early, naming the missing J_regressor_h36m.npy
    return EvalBodies(**models)


# ---------------------------------------------------------------- the loop


@dataclass
class EvalResult:
    method: str
    indices: np.ndarray  # (N,)
    image_paths: list[str]
    mpjpe: np.ndarray  # (N, 14)
    pa_mpjpe: np.ndarray  # (N, 14)
    pve: np.ndarray  # (N,)
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "method": self.method,
            "num_samples": int(len(self.indices)),
            "mpjpe_mm": float(self.mpjpe.mean()),
            "pa_mpjpe_mm": float(self.pa_mpjpe.mean()),
            "pve_mm": float(self.pve.mean()),
            "per_joint_mpjpe_mm": dict(zip(metrics.J14_NAMES, map(float, self.mpjpe.mean(0)))),
            "per_joint_pa_mpjpe_mm": dict(zip(metrics.J14_NAMES, map(float, self.pa_mpjpe.mean(0)))),
            "protocol": PROTOCOL[self.method],
            **self.extra,
        }


PROTOCOL = {
    "hmr": "3DPW test (pw3d_test.npz), 14 LSP joints from the H36M regressor, pelvis-aligned; pred neutral "
    "SMPL, GT gendered SMPL; PA = similarity Procrustes per frame",
    "hybrik": "3DPW test (hybrik_pw3d_test.npz), GT root and intrinsics given to the network; 14 LSP joints of "
    "keypoints3d17_relative, pelvis-aligned; PA = similarity Procrustes per frame",
}
PROTOCOL["spin_gta"] = PROTOCOL["hmr"]


def run_evaluation(
    model,
    method: str,
    data: HumanData,
    bodies: EvalBodies,
    device: torch.device,
    batch_size: int = 32,
    limit: int | None = None,
    workers: int = 2,
    progress: bool = True,
    data_root: Path | None = None,
    img_res: int | None = None,
) -> EvalResult:
    """Evaluate `model` on `data` (images under `data_root`/datasets/pw3d, default core.paths.data_root()), on
    crops of `img_res` pixels (default the method's); with torch.distributed initialised each rank takes a share."""
    from tqdm import tqdm

    dataset = EvalImages(data, method, limit, data_root, img_res)
    sampler = DistributedSampler(dataset, shuffle=False) if distributed.is_distributed() else None
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        sampler=sampler,
        num_workers=workers,
        pin_memory=device.type == "cuda",
    )
    rows = []
    for batch in tqdm(loader, desc=f"3DPW {method}", disable=not progress or distributed.rank() != 0):
        pred = predict(model, batch, method, device)
        errors = evaluate_batch(pred, ground_truth_from_batch(_to(batch, device)), bodies)
        rows += [(int(i), errors.mpjpe[k], errors.pa_mpjpe[k], errors.pve[k]) for k, i in enumerate(batch["index"])]
    return _collect(distributed.gather(rows), method, data)


def _collect(rows: list, method: str, data: HumanData) -> EvalResult:
    """Sort by sample index, dropping the duplicates DistributedSampler pads with."""
    unique = {row[0]: row for row in rows}
    ordered = [unique[i] for i in sorted(unique)]
    indices = np.array([r[0] for r in ordered])
    return EvalResult(
        method,
        indices,
        [data["image_path"][i] for i in indices],
        np.stack([r[1] for r in ordered]),
        np.stack([r[2] for r in ordered]),
        np.array([r[3] for r in ordered]),
    )


def _to(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def write_outputs(result: EvalResult, out_dir: Path, checkpoint: Path | None = None) -> tuple[Path, Path]:
    """`<out>/<method>_pw3d.json` (summary) and `<out>/<method>_pw3d.csv` (one row per sample)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary() | {"checkpoint": str(checkpoint) if checkpoint else None}
    json_path, csv_path = out_dir / f"{result.method}_pw3d.json", out_dir / f"{result.method}_pw3d.csv"
    json_path.write_text(json.dumps(summary, indent=2))
    with open(csv_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "image_path", "mpjpe_mm", "pa_mpjpe_mm", "pve_mm"])
        for k, index in enumerate(result.indices):
            writer.writerow(
                [
                    int(index),
                    result.image_paths[k],
                    f"{result.mpjpe[k].mean():.4f}",
                    f"{result.pa_mpjpe[k].mean():.4f}",
                    f"{result.pve[k]:.4f}",
                ]
            )
    return json_path, csv_path


def test_file(method: str, root: Path) -> Path:
    path = root / "preprocessed_datasets" / TEST_FILES[method]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: make or download it as docs/data.md says "
            f"(python -m train.prepare --check {root}), or make a synthetic stand-in with "
            f"`python -m train.synth --out {root}`"
        )
    return path
