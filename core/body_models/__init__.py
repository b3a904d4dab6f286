"""Body models in SMPL's layout: the user's SMPL files or the bundled open model (see base.py)."""

from core.body_models.base import NUM_BETAS, NUM_JOINTS, SMPL_PARENTS, BodyModel, BodyModelOutput

__all__ = ["BodyModel", "BodyModelOutput", "NUM_BETAS", "NUM_JOINTS", "SMPL_PARENTS"]
