"""`cmu_mosh.npz`: real SMPL bodies for HMR's adversarial prior, from HMR's MoSh release or from AMASS.

mmhuman3d publishes cmu_mosh.npz only as a download (no converter in the repository); its dataset class
(MeshDataset) reads `smpl` {global_orient (N, 3), body_pose (N, 23, 3), betas (N, 10)}. Two raw sources:

- HMR's neutrMosh release (akanazawa/hmr, "mocap" download; read as its src/datasets/smpl_to_tfrecords.py does):
      cmu_mosh/neutrSMPL_CMU/<subject>/<sequence>.pkl    ('poses' or 'new_poses' (F, 72), 'betas' (10,))
  every pose of every file, files in sorted order (HMR shuffles them for its tfrecords; order does not matter to
  the prior, so it is kept here), skipping Human3.6M's test subjects S9 and S11 as HMR does.
- AMASS's CMU subset (https://amass.is.tue.mpg.de, SMPL+H "CMU" archive):
      cmu_mosh/CMU/<subject>/<sequence>_poses.npz        (poses (F, 156), betas (16,), mocap_framerate)
  sampled at 10 frames per second as mmhuman3d's AmassConverter does; SMPL's 23 body joints are SMPL+H's 21
  body joints plus zero hands; betas are the first 10 of SMPL+H's 16, which live in SMPL+H's shape space, not
  SMPL's (close, not equal: prefer the neutrMosh source for HMR's published recipe).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from train.prepare.common import (
    Column,
    Options,
    RawDataError,
    load_pickle,
    progress,
    report,
    require_dir,
    write_human_data,
)


def convert(raw: Path, out: Path, options: Options) -> list[str]:
    raw = require_dir(raw, "a folder with neutrSMPL_CMU/ (HMR's neutrMosh) or CMU/ (AMASS)")
    pose, betas = Column((72,), np.float64), Column((10,), np.float64)
    if (raw / "neutrSMPL_CMU").is_dir():
        files = sorted(p for p in (raw / "neutrSMPL_CMU").glob("*/*.pkl") if "S9" not in str(p) and "S11" not in str(p))
        source = "neutrSMPL_CMU"
        for file in progress(files, "neutrMosh sequences", options):
            _add_neutr_mosh(file, pose, betas)
    elif (raw / "CMU").is_dir():
        files = sorted(p for p in (raw / "CMU").glob("*/*.npz") if not p.name.endswith("shape.npz"))
        source = "AMASS CMU"
        for file in progress(files, "AMASS sequences", options):
            _add_amass(file, pose, betas)
    else:
        raise RawDataError(
            f"{raw}: expected neutrSMPL_CMU/<subject>/*.pkl (HMR's neutrMosh) or "
            "CMU/<subject>/*_poses.npz (AMASS); see docs/data.md"
        )
    if not files:
        raise RawDataError(f"{raw / source.split()[-1]}: no sequence files found")
    thetas = pose.array()
    fields = {
        "smpl": {
            "global_orient": thetas[:, :3].copy(),
            "body_pose": thetas[:, 3:].reshape(-1, 23, 3),
            "betas": betas.array(),
        },
        "config": "cmu_mosh",
    }
    path = write_human_data(Path(out) / "cmu_mosh.npz", fields)
    return [report(path, len(thetas), extra=f"from {len(files)} {source} sequences")]


def _add_neutr_mosh(file: Path, pose: Column, betas: Column) -> None:
    data = load_pickle(file, "neutrMosh sequence pickle")
    poses = data.get("poses", data.get("new_poses")) if isinstance(data, dict) else None
    if poses is None or "betas" not in data or np.ndim(poses) != 2 or np.shape(poses)[1] != 72:
        raise RawDataError(f"{file}: expected 'poses' (or 'new_poses') of shape (F, 72) and 'betas' (10,)")
    shape = np.reshape(data["betas"], 10)
    for row in np.asarray(poses):
        pose.append(row)
        betas.append(shape)


def _add_amass(file: Path, pose: Column, betas: Column) -> None:
    try:
        with np.load(file, allow_pickle=False) as data:
            poses, shape, rate = data["poses"], data["betas"][:10], int(data["mocap_framerate"])
    except (KeyError, ValueError, OSError) as error:
        raise RawDataError(f"{file}: expected an AMASS sequence (poses, betas, mocap_framerate): {error}") from None
    step = max(rate // 10, 1)
    for i in range(0, len(poses), step):
        row = np.zeros(72)
        row[:66] = poses[i, :66]  # root + 21 body joints; SMPL's two hand joints stay zero
        pose.append(row)
        betas.append(shape)
