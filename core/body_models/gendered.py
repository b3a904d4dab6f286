"""Per-sample gender selection over the three SMPL models, as mmhuman3d's GenderedSMPL does.

mmhuman3d codes: -1 → neutral, 0 → male, 1 → female. For 3DPW ground truth (HumanImageDataset.evaluate)
`meta['gender'] == 'm'` → male and anything else → female, so the GT uses gendered models.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from core.body_models.base import BodyModel, BodyModelOutput
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


def forward_gendered(
    models: dict[str, BodyModel],
    genders: Sequence[str],
    betas: torch.Tensor,
    global_orient: torch.Tensor,
    body_pose: torch.Tensor,
    transl: torch.Tensor | None = None,
) -> BodyModelOutput:
    """Pose each sample with the model of its gender, from axis-angle.

    genders: B names ('neutral'|'male'|'female'); betas (B, 10); global_orient (B, 3);
    body_pose (B, 69) or (B, 23, 3), radians; transl (B, 3) metres or None.
    """
    batch = betas.shape[0]
    assert len(genders) == batch, f"{len(genders)} genders for a batch of {batch}"
    unknown = sorted(set(genders) - set(models))
    if unknown:
        raise ValueError(f"genders {unknown} have no model; models are {sorted(models)}")
    parts = {}
    for gender in sorted(set(genders)):
        index = torch.tensor([i for i, g in enumerate(genders) if g == gender], device=betas.device)
        part_transl = None if transl is None else transl[index]
        parts[gender] = (index, models[gender].forward_axis_angle(
            betas[index], global_orient[index], body_pose.reshape(batch, -1)[index], part_transl))
    return _scatter(parts, batch)


def regress_gendered(models: dict[str, BodyModel], genders: Sequence[str], vertices: torch.Tensor,
                     name: str) -> torch.Tensor:
    """(B, V, 3) vertices → (B, K, 3) with each sample's own model's regressor `name`."""
    rows = [models[gender].regress(vertices[i:i + 1], name) for i, gender in enumerate(genders)]
    return torch.cat(rows, 0)


def _scatter(parts: dict, batch: int) -> BodyModelOutput:
    """Put each gender's outputs back at their batch positions."""
    first = next(iter(parts.values()))[1]
    fields = {}
    for field in ("vertices", "joints", "rotmats"):
        sample = getattr(first, field)
        merged = sample.new_zeros((batch, *sample.shape[1:]))
        for index, output in parts.values():
            merged[index] = getattr(output, field)
        fields[field] = merged
    return BodyModelOutput(**fields)
