"""Per-sample gender over the SMPL models, as mmhuman3d's GenderedSMPL (mmhuman3d/models/body_models/smpl.py).

mmhuman3d codes: -1 → neutral, 0 → male, 1 → female. For 3DPW ground truth (HumanImageDataset._parse_result)
`meta['gender'] == 'm'` → male and anything else → female, so the GT uses gendered models
(core.evaluation.pw3d). Every model a batch needs poses the whole batch and each sample keeps the rows of
its own model: the same values as posing each sample alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from core.body_models.base import BodyModel, BodyModelOutput, axis_angle_rotmats
from core.body_models.smpl import GENDERS, load_smpl

GENDER_CODES = {-1: "neutral", 0: "male", 1: "female"}


def load_gendered_smpl(folder: Path | None = None) -> dict[str, BodyModel]:
    """{'neutral', 'male', 'female'} → SMPL BodyModel (FileNotFoundError names whichever file is missing)."""
    return {gender: load_smpl(gender, folder) for gender in GENDERS}


def genders_from_codes(codes) -> list[str]:
    """mmhuman3d's gender codes (-1 neutral, 0 male, 1 female), a (B,) tensor or sequence → names."""
    values = codes.tolist() if hasattr(codes, "tolist") else list(codes)
    unknown = sorted({int(code) for code in values} - set(GENDER_CODES))
    if unknown:
        raise ValueError(f"gender codes must be -1 (neutral), 0 (male) or 1 (female); got {unknown}")
    return [GENDER_CODES[int(code)] for code in values]


def genders_from_3dpw(meta_gender: Sequence[str]) -> list[str]:
    """3DPW `meta.gender` entries → names with mmhuman3d's rule: 'm' is male, anything else female."""
    return ["male" if str(gender) == "m" else "female" for gender in meta_gender]


def pose_gendered(
    models: dict[str, BodyModel],
    genders: Sequence[str],
    betas: torch.Tensor,
    rotmats: torch.Tensor,
    transl: torch.Tensor | None = None,
) -> BodyModelOutput:
    """Pose each sample with the model of its gender: betas (B, 10), rotmats (B, 24, 3, 3), transl (B, 3) or None."""
    _check(models, genders, len(betas))
    outputs = {gender: models[gender](betas, rotmats[:, :1], rotmats[:, 1:], transl) for gender in set(genders)}
    return BodyModelOutput(
        **{
            name: _own_rows(genders, {g: getattr(o, name) for g, o in outputs.items()})
            for name in ("vertices", "joints", "rotmats")
        }
    )


def forward_gendered(
    models: dict[str, BodyModel],
    genders: Sequence[str],
    betas: torch.Tensor,
    global_orient: torch.Tensor,
    body_pose: torch.Tensor,
    transl: torch.Tensor | None = None,
) -> BodyModelOutput:
    """`pose_gendered` from axis-angle: global_orient (B, 3), body_pose (B, 69) or (B, 23, 3), radians."""
    return pose_gendered(models, genders, betas, axis_angle_rotmats(global_orient, body_pose), transl)


def regress_gendered(
    models: dict[str, BodyModel], genders: Sequence[str], vertices: torch.Tensor, name: str
) -> torch.Tensor:
    """(B, V, 3) vertices → (B, K, 3) with each sample's own model's regressor `name`."""
    _check(models, genders, len(vertices))
    return _own_rows(genders, {gender: models[gender].regress(vertices, name) for gender in set(genders)})


def _check(models: dict, genders: Sequence[str], batch: int) -> None:
    assert len(genders) == batch, f"{len(genders)} genders for a batch of {batch}"
    unknown = sorted(set(genders) - set(models))
    if unknown:
        raise ValueError(f"genders {unknown} have no model; models are {sorted(models)}")


def _own_rows(genders: Sequence[str], per_gender: dict[str, torch.Tensor]) -> torch.Tensor:
    """One tensor whose row i is per_gender[genders[i]][i]."""
    merged = next(iter(per_gender.values())).clone()
    for gender, values in per_gender.items():
        rows = torch.tensor([g == gender for g in genders], device=values.device)
        merged[rows] = values[rows]
    return merged
