"""One method on a video from the command line: the person followed from frame to frame, the motion smoothed,
and written out (core.pipeline.tracking follows and smooths, core.outputs.motion writes).

    python -m core.video VIDEO --method hmr --out DIR [--people one|all] [--smooth 5] [--start 0] [--max-frames N]
                         [--fov DEGREES]

DIR receives overlay.webm (the smoothed mesh over every frame), motion.bvh (the pose per frame on SMPL's
skeleton) and motion.npz (per-frame parameters); see core/outputs/motion.py. With `--people all` everyone is
followed with a stable identity and reconstructed, each person smoothed on their own: DIR receives overlay.webm
(everyone, one colour and number per person), person_N.bvh and person_N.npz for each person N, and people.json
(each person's frame range, frames seen and joint jitter before and after smoothing).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.cli import log_to_stderr
from core.methods import FIT, METHOD_IDS
from core.outputs.motion import process_people_video, process_video
from core.pipeline.tracking import DEFAULT_SMOOTHING, VideoError

log = logging.getLogger("core.video")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.video", description=__doc__.split("\n\n")[0])
    parser.add_argument("video", type=Path, help="a video file (MP4, AVI, MOV, ...)")
    parser.add_argument("--method", choices=METHOD_IDS, default=FIT, help="the method to run (default: fit)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--people",
        choices=("one", "all"),
        default="one",
        help="'one': the first person found, followed; 'all': everyone, each with an identity",
    )
    parser.add_argument(
        "--smooth",
        type=int,
        default=DEFAULT_SMOOTHING,
        help=f"frames in the smoothing window, 1 = none (default {DEFAULT_SMOOTHING})",
    )
    parser.add_argument("--start", type=int, default=0, help="first frame to process (default 0)")
    parser.add_argument("--max-frames", type=int, default=None, help="process at most this many frames")
    parser.add_argument("--fov", type=float, default=None, help="diagonal field of view in degrees (default 53.13)")
    parser.add_argument(
        "--body-model",
        choices=("auto", "smpl", "open"),
        default="auto",
        help="'auto': SMPL when its file is present, else the open body model",
    )
    return parser


def main(argv=None) -> int:
    log_to_stderr(log)
    args = build_parser().parse_args(argv)
    if args.smooth < 1 or args.start < 0 or (args.max_frames is not None and args.max_frames < 1):
        log.error("--smooth and --max-frames must be at least 1, --start at least 0")
        return 2
    try:
        if args.people == "all":
            written, people = process_people_video(
                args.video, args.method, args.out, args.smooth, args.start, args.max_frames, args.fov, args.body_model
            )
            for person in people:
                first, last = person.frame_range
                log.info(
                    "person %d: frames %d-%d (%d with them), jitter %.1f -> %.1f mm/frame^2",
                    person.identity,
                    first,
                    last,
                    person.frames_seen,
                    person.jitter_raw_mm,
                    person.jitter_smoothed_mm,
                )
        else:
            written, _ = process_video(
                args.video, args.method, args.out, args.smooth, args.start, args.max_frames, args.fov, args.body_model
            )
    except VideoError as problem:
        log.error("%s", problem)
        return 1
    for path in written:
        log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
