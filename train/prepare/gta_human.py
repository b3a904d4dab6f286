"""GTA-Human: `gta_human.npz` from the released per-sequence annotation pickles, as mmhuman3d 0.11.0's
GTAHumanConverter writes it (needs the SMPL neutral model, like mmhuman3d's).

Raw layout (https://github.com/caizhongang/gta-human_toolbox, gta-human/README.md):

    gta_human/annotations/seq_00000001.pkl ...   (betas (F, 10), body_pose (F, 69), global_orient (F, 3), transl,
                                                  keypoints_2d (F, 100, 3), keypoints_3d (F, 100, 4), bbox_xywh)
    gta_human/images/seq_00000001/00000000.jpeg ...

Per frame: the box clipped to the 1920 × 1080 frame (frames whose clipped box is empty or outside are dropped);
SMPL parameters as given; `keypoints2d`/`keypoints3d` = the SMPL model's 54 joints in smpl_49 order (exact name
matches only, as mmhuman3d's SMPL(keypoint_approximate=False) gives them), 3D root-centred on pelvis_extra, 2D
projected with GTA-Human's camera (focal 1158.0337 px, centre (960, 540)); `keypoints2d_gta`/`keypoints3d_gta` =
the game's 100 joints in smpl_49 order.

One deliberate difference: the 25 OpenPose joints of smpl_49 have no exact match among SMPL's 54, so mmhuman3d's
converter stores them with confidence 1 at 0/0 = NaN pixels (2D) and at minus the root (3D); here they are 0 with
confidence 0, so training ignores them instead of meeting NaN (docs/mmhuman3d_equivalence.md).

What cannot be made here: mmhuman3d's SPIN-GTA config reads `gta_human_4x.npz`, a file mmhuman3d publishes
(preprocessed by the GTA-Human authors; its sampling is not documented) and that no converter produces. This
converter gives `gta_human.npz`; use it with `--set data.ann_files.gta=gta_human.npz` or download the
published file (docs/data.md). The projection uses a plain pinhole camera; mmhuman3d's goes through pytorch3d's
PerspectiveCameras (not importable without pytorch3d), so that step is not compared with mmhuman3d.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from train.prepare.common import (
    Column,
    Images,
    Options,
    RawDataError,
    human_data_keypoints,
    load_pickle,
    progress,
    report,
    require_dir,
    write_human_data,
)

FOCAL_LENGTH = 1158.0337
CAMERA_CENTER = (960.0, 540.0)
WIDTH, HEIGHT = 1920, 1080
ANNOTATION_KEYS = ("global_orient", "body_pose", "betas", "transl", "keypoints_2d", "keypoints_3d", "bbox_xywh")


def clip_box(xywh) -> list | None:
    """GTAHumanConverter's rule: clip to the frame; None when the box is empty or starts outside it."""
    x, y, w, h = xywh
    x, y = max([x, 0.0]), max([y, 0.0])
    w, h = min([w, WIDTH - x]), min([h, HEIGHT - y])
    if not (0 <= x < WIDTH and 0 <= y < HEIGHT and 0 < w < WIDTH and 0 < h < HEIGHT):
        return None
    return [x, y, w, h]


def smpl_keypoints(body_model, annotation: dict) -> tuple[np.ndarray, np.ndarray]:
    """(F, 49, 4) root-centred 3D joints and (F, 49, 3) pixels, with confidence, from one sequence's SMPL
    parameters; the joints SMPL does not give (the OpenPose ones) are 0 with confidence 0."""
    import torch

    from core.joints import convert, joint_index, keypoints

    as_tensor = lambda key: torch.as_tensor(np.asarray(annotation[key]), dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        output = body_model.forward_axis_angle(
            as_tensor("betas"), as_tensor("global_orient"), as_tensor("body_pose"), as_tensor("transl")
        )
        joints, mask = convert(keypoints(body_model, output, "smpl_54"), "smpl_54", "smpl_49", approximate=False)
    joints, given = joints.numpy(), mask.numpy().astype(bool)
    depth = np.where(given, joints[..., 2], np.float32(1.0))  # float32 maths, as mmhuman3d's torch camera
    pixels = np.stack(
        [
            joints[..., 0] / depth * FOCAL_LENGTH + CAMERA_CENTER[0],
            joints[..., 1] / depth * FOCAL_LENGTH + CAMERA_CENTER[1],
        ],
        -1,
    )
    root = joint_index("smpl_49", "pelvis_extra")
    joints = joints - joints[:, [root], :]
    confidence = np.broadcast_to(given.astype(np.float64), joints.shape[:2])[..., None]
    joints[:, ~given], pixels[:, ~given] = 0, 0
    return np.concatenate([joints, confidence], -1), np.concatenate([pixels, confidence], -1)


def convert(raw: Path, out: Path, options: Options, body_model=None) -> list[str]:
    from core.joints import convert as convert_kps
    from core.joints import joint_index

    raw = require_dir(raw, "the GTA-Human folder (annotations/, images/)")
    files = sorted(require_dir(raw / "annotations", "GTA-Human's annotations/seq_*.pkl").glob("*.pkl"))
    if not files:
        raise RawDataError(f"{raw / 'annotations'}: no seq_*.pkl annotation files")
    if body_model is None:
        from core.body_models.load import load_body_model

        body_model = load_body_model("smpl")  # FileNotFoundError names where SMPL_NEUTRAL.pkl goes
    images = Images(raw, options.skip_missing_images, raw / "annotations")
    image_path, bbox = [], Column((4,), np.float64)
    smpl = {key: Column() for key in ("body_pose", "global_orient", "betas", "transl")}
    kp2d, kp3d, kp2d_gta, kp3d_gta = Column((49, 3)), Column((49, 4)), Column((49, 3)), Column((49, 4))
    root = joint_index("smpl_49", "pelvis_extra")
    for file in progress(files, "GTA-Human sequences", options):
        annotation = load_pickle(file, "GTA-Human annotation pickle")
        if not isinstance(annotation, dict) or any(key not in annotation for key in ANNOTATION_KEYS):
            raise RawDataError(f"{file}: expected a GTA-Human annotation with {list(ANNOTATION_KEYS)}")
        gta2d = convert_kps(np.asarray(annotation["keypoints_2d"]), "gta_100", "smpl_49")[0]
        gta3d = convert_kps(np.asarray(annotation["keypoints_3d"]), "gta_100", "smpl_49")[0]
        gta3d = gta3d - gta3d[:, [root], :]
        joints3d, joints2d = smpl_keypoints(body_model, annotation)
        for frame in range(len(annotation["body_pose"])):
            path = f"images/{file.stem}/{frame:08d}.jpeg"
            box = clip_box(annotation["bbox_xywh"][frame])
            if box is None or not images.present(path):
                continue
            image_path.append(path)
            bbox.append(box)
            for key in smpl:
                smpl[key].append(np.asarray(annotation[key][frame]))
            kp2d_gta.append(gta2d[frame])
            kp3d_gta.append(gta3d[frame])
            kp2d.append(joints2d[frame])
            kp3d.append(joints3d[frame])
    fields = {
        "smpl": {
            "body_pose": smpl["body_pose"].array().reshape(-1, 23, 3),
            "global_orient": smpl["global_orient"].array().reshape(-1, 3),
            "betas": smpl["betas"].array().reshape(-1, 10),
            "transl": smpl["transl"].array().reshape(-1, 3),
        }
    }
    for name, column in (
        ("keypoints2d", kp2d),
        ("keypoints3d", kp3d),
        ("keypoints2d_gta", kp2d_gta),
        ("keypoints3d_gta", kp3d_gta),
    ):
        fields[name], fields[f"{name}_mask"] = human_data_keypoints(column.array(), "smpl_49")
    boxes = bbox.array()
    fields.update(image_path=image_path, bbox_xywh=np.hstack([boxes, np.ones([len(boxes), 1])]), config="gta_human")
    path = write_human_data(Path(out) / "gta_human.npz", fields)
    return [report(path, len(image_path), images)]
