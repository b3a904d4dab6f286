"""3DPW evaluation exactly as mmhuman3d runs it (reference §4): MPJPE, PA-MPJPE and PVE in mm.

    python -m train.eval --method hmr|spin_gta|hybrik --checkpoint FILE --data-root data/ \
        [--batch-size 32] [--limit N] [--out DIR] [--device cpu|cuda] [--workers 2]
    torchrun --nproc_per_node 4 -m train.eval ...      (several GPUs; results gathered in sample order)

HMR and SPIN-GTA read `preprocessed_datasets/pw3d_test.npz`: a 224 crop of the square box around
bbox_xywh (no extra factor); predicted H36M joints from the NEUTRAL SMPL; ground truth from the
GENDERED SMPL ('m' → male, anything else → female) posed by the file's axis-angle parameters, no
translation. HybrIK reads `hybrik_pw3d_test.npz`: bbox_xywh holds xyxy, enlarged by 1.25 to a 256
crop; the network also gets the file's GT root (`root_cam`) and K⁻¹ (`cam_param.intrinsic`), with
depth_factor 2.0; ground truth joints are `keypoints3d17_relative`. Joints are then pelvis-aligned, the
14 LSP joints kept and compared by `core.evaluation.metrics`.

PVE follows mmhuman3d's `_parse_result(mode='vertice')`: for HMR/SPIN-GTA both the predicted and
the GT meshes are made by the GENDERED model (it passes the GT gender for the prediction too); for
HybrIK both by the neutral model. No alignment. (The published configs report only MPJPE/PA-MPJPE.)
"""
from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from core.evaluation import metrics
from core.body_models import BodyModel
from core.methods import NETWORK_METHODS
from core.networks.build import load_model
from core.settings import data_folders, distributed_settings
from core.evaluation.human_data import HumanData, load_human_data

DATASET_NAME = "pw3d"
TEST_FILES = {"hmr": "pw3d_test.npz", "spin_gta": "pw3d_test.npz", "hybrik": "hybrik_pw3d_test.npz"}
H36M_REGRESSOR = "h36m_17"
# Rows of the 17 H36M joints in the 190-joint human_data order (mmhuman3d `get_mapping('human_data', 'h36m')`).
H36M_IN_HUMAN_DATA = (148, 145, 4, 7, 144, 5, 8, 150, 146, 152, 147, 16, 18, 20, 17, 19, 21)


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
    is_male: torch.Tensor | None = None  # (B,) bool: gendered GT (pw3d_test); None: neutral (HybrIK)
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
        gt_h36m = gt.h36m_relative if gt.h36m_relative is not None else bodies.neutral.regress(gt_vertices, H36M_REGRESSOR)
    else:
        gt_vertices, gt_h36m = _gendered_axis_angle(bodies, gt)
        pred_vertices = _gendered_rotmats(bodies, gt.is_male, betas, rotmats)
    errors = metrics.pw3d_joint_errors(_np(pred_h36m), _np(gt_h36m))
    return BatchErrors(errors.mpjpe, errors.pa_mpjpe, metrics.pve_mm(_np(pred_vertices), _np(gt_vertices)))


def _gendered_axis_angle(bodies: EvalBodies, gt: GroundTruth):
    """GT vertices (B, V, 3) and H36M joints (B, 17, 3) from the male or female model per sample."""
    _require_gendered(bodies)
    args = (gt.betas.float(), gt.global_orient.float(), gt.body_pose.float())
    male, female = bodies.male.forward_axis_angle(*args), bodies.female.forward_axis_angle(*args)
    vertices = _pick(gt.is_male, male.vertices, female.vertices)
    h36m = _pick(gt.is_male, bodies.male.regress(male.vertices, H36M_REGRESSOR),
                 bodies.female.regress(female.vertices, H36M_REGRESSOR))
    return vertices, h36m


def _gendered_rotmats(bodies: EvalBodies, is_male: torch.Tensor, betas, rotmats) -> torch.Tensor:
    male = bodies.male(betas, rotmats[:, :1], rotmats[:, 1:]).vertices
    female = bodies.female(betas, rotmats[:, :1], rotmats[:, 1:]).vertices
    return _pick(is_male, male, female)


def _pick(is_male: torch.Tensor, male: torch.Tensor, female: torch.Tensor) -> torch.Tensor:
    return torch.where(is_male.to(male.device).view(-1, *([1] * (male.dim() - 1))), male, female)


def _require_gendered(bodies: EvalBodies) -> None:
    if bodies.male is None or bodies.female is None:
        raise FileNotFoundError(
            "3DPW ground truth for HMR/SPIN-GTA uses the gendered SMPL models: put SMPL_MALE.pkl and "
            "SMPL_FEMALE.pkl in data/body_models/smpl/ (from https://smpl.is.tue.mpg.de)"
        )


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


# ---------------------------------------------------------------- ground truth from the files


def ground_truth_arrays(data: HumanData, method: str) -> dict[str, np.ndarray]:
    """Per-sample GT arrays (N, ...) that the DataLoader hands out next to each image."""
    if method == "hybrik":
        thetas = data.smpl("thetas").reshape(-1, 24, 3)
        h36m = np.asarray(data["keypoints3d17_relative"])[:, list(H36M_IN_HUMAN_DATA), :3]
        return {"betas": data.smpl("betas"), "global_orient": thetas[:, 0], "body_pose": thetas[:, 1:].reshape(-1, 69),
                "h36m_relative": h36m}
    gender = np.asarray(data["meta"]["gender"])
    return {"betas": data.smpl("betas"), "global_orient": data.smpl("global_orient").reshape(-1, 3),
            "body_pose": data.smpl("body_pose").reshape(-1, 69), "is_male": gender == "m"}


def ground_truth_from_batch(batch: dict) -> GroundTruth:
    return GroundTruth(
        betas=batch["betas"], global_orient=batch["global_orient"], body_pose=batch["body_pose"],
        is_male=batch.get("is_male"), h36m_relative=batch.get("h36m_relative"),
    )


# ---------------------------------------------------------------- images → crops


def crop_box(method: str, box: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre (2,) and square side (pixels) of the test-time crop (§1.4) from one `bbox_xywh` row."""
    from core.pipeline import crop as preprocess

    if method == "hybrik":  # the file's bbox_xywh holds xyxy; box2cs with 1.25
        centers, sides = preprocess.box_to_center_size(box[None, :4], scale_factor=preprocess.BOX_SCALE_FACTOR)
    else:  # HumanImageDataset: centre of the xywh box, side max(w, h), no extra factor
        x, y, w, h = box[:4]
        centers, sides = preprocess.box_to_center_size(np.array([[x, y, x + w, y + h]]), scale_factor=1.0)
    return centers[0], float(sides[0])


def input_spec(method: str):
    from core.pipeline import crop as preprocess

    return preprocess.HYBRIK_INPUT if method == "hybrik" else preprocess.HMR_INPUT


def read_image_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB, decoded by OpenCV like mmcv's LoadImageFromFile."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read test image {path}: is the 3DPW imageFiles folder under "
                                f"<data>/datasets/{DATASET_NAME}/?")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class EvalImages(Dataset):
    """Decoded, cropped and normalised test images plus the per-sample inputs and GT (workers run this)."""

    def __init__(self, data: HumanData, method: str, limit: int | None = None, data_root: Path | None = None):
        self.data, self.method = data, method
        self.paths = data.image_paths(DATASET_NAME, data_root)
        self.indices = list(range(len(data) if limit is None else min(limit, len(data))))
        self.gt = ground_truth_arrays(data, method)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, position: int) -> dict:
        from core.pipeline import crop as preprocess

        index = self.indices[position]
        center, side = crop_box(self.method, self.data["bbox_xywh"][index])
        spec = input_spec(self.method)
        crop, crop_to_image = preprocess.crop(read_image_rgb(self.paths[index]), center, side, spec.size)
        image = torch.from_numpy(preprocess.normalize(crop, spec)).permute(2, 0, 1).contiguous()  # (3, S, S)
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
    """Run one of `core.pipeline.estimate`' networks on a batch of crops."""
    images = batch["img"].to(device)
    with torch.no_grad():
        if method == "hybrik":
            out = model(images, trans_inv=batch["trans_inv"].to(device), intrinsic_inv=batch["intrinsic_inv"].to(device),
                        joint_root=batch["joint_root"].to(device), depth_factor=batch["depth_factor"].to(device))
        else:
            out = model(images)
    return Predictions(rotmats=out.rotmats, betas=out.betas)


def load_eval_bodies(method: str, device: torch.device, folder: Path | None = None) -> EvalBodies:
    """Neutral SMPL (all), plus male and female SMPL for pw3d_test.npz, each with the H36M regressor, from the
    body-model folder `folder` (default: core.paths.body_models_dir())."""
    from core.body_models.smpl import load_smpl

    genders = ("neutral",) if method == "hybrik" else ("neutral", "male", "female")
    models = {gender: load_smpl(gender, folder).to(device) for gender in genders}
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


def run_evaluation(model, method: str, data: HumanData, bodies: EvalBodies, device: torch.device,
                   batch_size: int = 32, limit: int | None = None, workers: int = 2, progress: bool = True,
                   data_root: Path | None = None) -> EvalResult:
    """Evaluate `model` on `data` (images under `data_root`/datasets/pw3d, default core.paths.data_root());
    with torch.distributed initialised each rank takes a share."""
    from tqdm import tqdm

    dataset = EvalImages(data, method, limit, data_root)
    sampler = _distributed_sampler(dataset)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, sampler=sampler, num_workers=workers,
                        pin_memory=device.type == "cuda")
    rows = []
    for batch in tqdm(loader, desc=f"3DPW {method}", disable=not progress or _rank() != 0):
        pred = predict(model, batch, method, device)
        errors = evaluate_batch(pred, ground_truth_from_batch(_to(batch, device)), bodies)
        rows += [(int(i), errors.mpjpe[k], errors.pa_mpjpe[k], errors.pve[k]) for k, i in enumerate(batch["index"])]
    return _collect(_gather(rows), method, data)


def _collect(rows: list, method: str, data: HumanData) -> EvalResult:
    """Sort by sample index, dropping the duplicates DistributedSampler pads with."""
    unique = {row[0]: row for row in rows}
    ordered = [unique[i] for i in sorted(unique)]
    indices = np.array([r[0] for r in ordered])
    return EvalResult(method, indices, [data["image_path"][i] for i in indices],
                      np.stack([r[1] for r in ordered]), np.stack([r[2] for r in ordered]),
                      np.array([r[3] for r in ordered]))


def _to(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _distributed():
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _rank() -> int:
    return torch.distributed.get_rank() if _distributed() else 0


def _distributed_sampler(dataset):
    if not _distributed():
        return None
    from torch.utils.data.distributed import DistributedSampler

    return DistributedSampler(dataset, shuffle=False)


def _gather(rows: list) -> list:
    if not _distributed():
        return rows
    everyone = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(everyone, rows)
    return [row for part in everyone for row in part]


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
            writer.writerow([int(index), result.image_paths[k], f"{result.mpjpe[k].mean():.4f}",
                             f"{result.pa_mpjpe[k].mean():.4f}", f"{result.pve[k]:.4f}"])
    return json_path, csv_path


def test_file(method: str, root: Path) -> Path:
    path = root / "preprocessed_datasets" / TEST_FILES[method]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: download {TEST_FILES[method]} from mmhuman3d's data preparation docs, "
            f"or make a synthetic stand-in with `python -m train.synth --out {root}`"
        )
    return path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", required=True, choices=NETWORK_METHODS)
    parser.add_argument("--checkpoint", required=True, type=Path, help="the method's .pth checkpoint")
    parser.add_argument("--data-root", type=Path, default=None, help="mmhuman3d-style data/ folder (default $HMRC_DATA)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="only the first N samples")
    parser.add_argument("--out", type=Path, default=Path("eval_results"))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=("cpu", "cuda"))
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers decoding and cropping images")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    folders = data_folders(args.data_root)  # body models and images resolve under --data-root too
    device = _setup_device(args.device)
    data = load_human_data(test_file(args.method, folders.data))
    bodies = load_eval_bodies(args.method, device, folders.body_models)
    model = load_model(args.checkpoint, args.method, bodies.neutral, device)  # posing the neutral SMPL, as mmhuman3d
    result = run_evaluation(model, args.method, data, bodies, device, args.batch_size, args.limit, args.workers,
                            data_root=folders.data)
    if _rank() == 0:
        json_path, csv_path = write_outputs(result, args.out, args.checkpoint)
        summary = result.summary()
        print(f"{args.method}: MPJPE {summary['mpjpe_mm']:.2f} mm, PA-MPJPE {summary['pa_mpjpe_mm']:.2f} mm, "
              f"PVE {summary['pve_mm']:.2f} mm on {summary['num_samples']} samples → {json_path}, {csv_path}")
        return summary
    return {}


def _setup_device(name: str) -> torch.device:
    """Under torchrun (WORLD_SIZE > 1) join the process group and take this rank's GPU."""
    launch = distributed_settings()
    if launch.world_size > 1:
        backend = "nccl" if name == "cuda" else "gloo"
        torch.distributed.init_process_group(backend)
        if name == "cuda":
            torch.cuda.set_device(launch.local_rank)
            return torch.device("cuda", launch.local_rank)
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for but no CUDA GPU is visible; use --device cpu")
    return torch.device(name)


if __name__ == "__main__":
    main()
