"""Several people in a video: identity switches where the truth is known, joint jitter before and after smoothing."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.results import Results
from bench.timing import timing_of
from core.body_models.open_model import load_open_body_model
from core.evaluation.temporal import identity_score, joint_jitter_mm
from core.outputs.motion import process_people_video
from core.pipeline.people_tracker import PeopleTracker
from core.testing.examples import PERSON_IN_CLIP, example_image
from core.testing.synthetic_people import crossing_clip, plaza, write_clip

GROUP = "tracking"
METHOD = "fit"  # needs no downloaded weights


def run(results: Results, quick: bool) -> None:
    height, width, frames = (240, 320, 24) if quick else (480, 640, 48)
    clip, truths = crossing_clip(plaza(height, width), load_open_body_model(), frames=frames)
    what = f"drawn crossing clip, {frames} frames {width}×{height}, 3 people"
    tracker, reported, seconds = PeopleTracker(), [], []
    for index, frame in enumerate(clip):
        start = time.perf_counter()
        reported.append({t.identity: t.person.box for t in tracker.update(index, frame)})
        seconds.append(time.perf_counter() - start)
    score = identity_score([[person.box for person in truth] for truth in truths], reported)
    results.add_value(
        GROUP,
        f"identity switches ({what})",
        score.switches,
        "switches",
        note=f"identities per true person: {score.identities}; must be 0",
    )
    results.add_value(
        GROUP,
        f"people-frames followed ({what})",
        100 * score.recall,
        "%",
        note=f"{score.matched} of {score.visible} (a person hidden behind another is not counted "
        f"as followed); {score.false} reported boxes matching nobody",
    )
    results.add_time(
        GROUP,
        f"following everyone, per frame ({what})",
        timing_of(seconds),
        note=f"{tracker.detections_run} detections in {frames} frames",
    )
    walker_of = {identities[0]: walker for walker, identities in score.identities.items() if len(identities) == 1}
    true_joints = {
        identity: np.stack([truth[walker].joints for truth in truths]) for identity, walker in walker_of.items()
    }
    with tempfile.TemporaryDirectory() as scratch:
        path = write_clip(Path(scratch) / "crossing.webm", clip)
        jitter(results, path, what, 0, None, Path(scratch) / "crossing", true_joints)
        if not quick:
            jitter(
                results,
                example_image("walking_person_clip"),
                "example clip, frames 40–99",
                PERSON_IN_CLIP,
                60,
                Path(scratch) / "example",
            )


def jitter(
    results: Results,
    path,
    what: str,
    start: int,
    frames: int | None,
    out: Path,
    true_joints: dict[int, np.ndarray] | None = None,
) -> None:
    """Per person: joint jitter before and after smoothing (and of the drawn motion itself, when known)."""
    begin = time.perf_counter()
    _, people = process_people_video(path, METHOD, out, start=start, max_frames=frames, body_model="open")
    seconds = time.perf_counter() - begin
    for person in people:
        first, last = person.frame_range
        seen = f"frames {first}–{last}, {person.frames_seen} with the person; method {METHOD}"
        if true_joints and person.identity in true_joints:
            drawn = joint_jitter_mm(true_joints[person.identity], person.motion.found)
            seen += f"; the drawn walk's own joint acceleration on the same frames: {drawn:.1f} mm/frame²"
        results.add_value(
            GROUP,
            f"joint jitter, person {person.identity}, unsmoothed ({what})",
            person.jitter_raw_mm,
            "mm/frame²",
            note=seen,
        )
        results.add_value(
            GROUP,
            f"joint jitter, person {person.identity}, smoothed over 5 frames ({what})",
            person.jitter_smoothed_mm,
            "mm/frame²",
        )
    total = len(people[0].motion.found)
    results.add_value(
        GROUP,
        f"everyone reconstructed and written, per frame ({what})",
        1000 * seconds / total,
        "ms",
        note=f"{len(people)} {'person' if len(people) == 1 else 'people'}, method {METHOD}, open body model",
        runs=1,
    )
