"""A synthetic HMRC_DATA folder for benchmarking: the stand-in SMPL and checkpoints with the official names.

Built by core.testing.data (the builders the tests use too). The
stand-in SMPL has SMPL's 6,890 vertices and 13,776 faces, so the networks and the body model compute what they
compute with the real one, but its surface is a spiky tangle of random triangles: drawing it costs far more
than drawing a body. Everything that renders therefore runs on the bundled open body model (a real body, with
twice SMPL's triangles, so its figures err on the slow side): `use_data(root, "open")` hides the stand-in.
The weights are random with HMR's mean camera kept, so meshes land on the person. Random weights run exactly
as fast as the official ones.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.pipeline import inference
from core.methods import NETWORK_METHODS, checkpoint_path
from core.testing.data import write_app_data


def write_bench_data(root: Path) -> Path:
    """root/body_models (stand-in SMPL), root/body_models_open (the same without SMPL) and root/checkpoints."""
    if all((root / "checkpoints" / checkpoint_path(m).name).is_file() for m in NETWORK_METHODS):
        return root
    write_app_data(root)
    shutil.copytree(root / "body_models", root / "body_models_open",
                    ignore=shutil.ignore_patterns("smpl", "basicModel_*"))
    return root


def use_data(root: Path, body_model: str = "smpl") -> None:
    """Point this process (and the app it starts) at `root`, with the stand-in SMPL ('smpl') or without it
    ('open': the networks and the fit then run on the open body model, as on a fresh install)."""
    assert body_model in ("smpl", "open"), body_model
    os.environ["HMRC_DATA"] = str(root)
    os.environ.pop("HMRC_CHECKPOINTS", None)
    if body_model == "open":
        os.environ["HMRC_BODY_MODELS"] = str(root / "body_models_open")
    else:
        os.environ.pop("HMRC_BODY_MODELS", None)
    inference.clear_cache()


EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples"
ONE_PERSON = EXAMPLES / "sport_skier_fullbody_coco785_ccby2_640x425.jpg"
GROUP = EXAMPLES / "group6_standing_meeting_stabenow_ccby2_1600x1064.jpg"
VIDEO = EXAMPLES / "walking_person_clip18s_intel_ccby4_768x432.mp4"


PERSON_IN_CLIP = 20  # the clip's first frames show an empty room; the person walks in here


def video_frames(count: int, start: int = 0) -> list:
    """`count` consecutive frames (RGB uint8) of the example clip from frame `start` on."""
    import cv2

    capture = cv2.VideoCapture(str(VIDEO))
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise FileNotFoundError(f"could not read frames from {VIDEO}")
    return frames
