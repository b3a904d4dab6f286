"""Several people in a video: identity switches where the truth is known, joint jitter before and after smoothing."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.results import Results
from bench.timing import timing_of
from core.body_models.open_model import load_open_body_model
from core.evaluation.temporal import identity_score
from core.pipeline.people_tracker import PeopleTracker
from core.pipeline.tracking import process_people_video
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
    results.add_value(GROUP, f"identity switches ({what})", score.switches, "switches",
                      note=f"identities per true person: {score.identities}; must be 0")
    results.add_value(GROUP, f"people-frames followed ({what})", 100 * score.recall, "%",
                      note=f"{score.matched} of {score.visible} (a person hidden behind another is not counted "
                           f"as followed); {score.false} reported boxes matching nobody")
    results.add_time(GROUP, f"following everyone, per frame ({what})", timing_of(seconds),
                     note=f"{tracker.detections_run} detections in {frames} frames")
    with tempfile.TemporaryDirectory() as scratch:
        path = write_clip(Path(scratch) / "crossing.webm", clip)
        jitter(results, path, what, 0, None, Path(scratch) / "crossing")
        if not quick:
            jitter(results, example_image("walking_person_clip"), "example clip, frames 40–99",
                   PERSON_IN_CLIP, 60, Path(scratch) / "example")


def jitter(results: Results, path, what: str, start: int, frames: int | None, out: Path) -> None:
    begin = time.perf_counter()
    _, people = process_people_video(path, METHOD, out, start=start, max_frames=frames, body_model="open")
    seconds = time.perf_counter() - begin
    for person in people:
        first, last = person.frame_range
        results.add_value(GROUP, f"joint jitter, person {person.identity}, raw → smoothed ({what})",
                          person.jitter_smoothed_mm, "mm/frame²",
                          note=f"raw {person.jitter_raw_mm:.1f} mm/frame², smoothed over 5 frames; frames "
                               f"{first}–{last}, {person.frames_seen} with the person; method {METHOD}")
    total = len(people[0].motion.found)
    results.add_value(GROUP, f"everyone reconstructed and written, per frame ({what})", 1000 * seconds / total, "ms",
                      note=f"{len(people)} people, method {METHOD}, open body model", runs=1)
