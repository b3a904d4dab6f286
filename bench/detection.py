"""Detection on the labelled set: recall and precision by person size, time per image, empty frames."""

from __future__ import annotations

import time

import numpy as np

from bench.results import Results
from bench.timing import time_call, timing_of
from core.evaluation.detection_score import SIZE_BUCKETS, Score
from core.evaluation.detection_set import EMPTY_CLIP_FRAMES, composite_images, example_clip_frames, labelled_photos
from core.paths import REPO_ROOT
from core.pipeline.detect import DETECTION_THREADS, MIN_HEIGHT_FRACTION, detect_people
from core.pipeline.detection_windows import detection_windows

GROUP = "detection"
GROUP_PHOTO = REPO_ROOT / "assets" / "examples" / "group6_standing_meeting_stabenow_ccby2_1600x1064.jpg"
ONE_PERSON_PHOTO = REPO_ROOT / "assets" / "examples" / "sport_skier_fullbody_coco785_ccby2_640x425.jpg"
TARGETS = {"≥ 30 %": 0.95, "15–30 %": 0.95, "8–15 %": 0.80}
TARGET_PRECISION = 0.95


def run(results: Results, quick: bool) -> None:
    photos = labelled_photos()
    composites = composite_images(count=4 if quick else 16)
    seconds: list[float] = []
    for label, images in (("photos", photos), ("composites", composites), ("all", None)):
        score = Score()
        for image in images if images is not None else photos + composites:
            start = time.perf_counter()
            found = detect_people(image.rgb)
            if images is not None:
                seconds.append(time.perf_counter() - start)
            score.add(image.people, [p.box for p in found.people], image.rgb.shape[0])
        add_score(results, label, score, len(images) if images is not None else len(photos) + len(composites))
    results.add_value(
        GROUP,
        "detection time per image, labelled set (median)",
        1000 * float(np.median(seconds)),
        "ms",
        note=f"{len(seconds)} images, 218×346 to 2240×1680",
        runs=len(seconds),
    )
    group_photo(results, quick)
    empty_frames(results)


def add_score(results: Results, label: str, score: Score, images: int) -> None:
    for name, _, _ in SIZE_BUCKETS[:3]:
        tally = score.buckets[name]
        target = TARGETS[name]
        note = (
            f"{tally.found} of {tally.people} people with head and torso in view; target ≥ {target:.0%}"
            f"{' (met)' if tally.people and tally.recall >= target else ' (NOT met)' if tally.people else ''}"
        )
        if tally.partly_seen:
            note += f"; partly hidden: {tally.found_partly_seen} of {tally.partly_seen} found"
        results.add_value(
            GROUP, f"recall, people {name} of the image height ({label})", 100 * tally.recall, "%", note=note
        )
    false = sum(t.false for t in score.buckets.values())
    results.add_value(
        GROUP,
        f"precision ({label})",
        100 * score.precision,
        "%",
        note=f"{score.correct} correct, {false} false, {images} images; target ≥ {TARGET_PRECISION:.0%}"
        f"{' (met)' if score.precision >= TARGET_PRECISION else ' (NOT met)'}",
    )


def group_photo(results: Results, quick: bool) -> None:
    from core.image_io import load_image

    rgb = load_image(GROUP_PHOTO).rgb
    timing = time_call(lambda: detect_people(rgb), 3 if quick else 9, warmup=1)
    people = len(detect_people(rgb).people)
    results.add_time(
        GROUP,
        "group photo 1600×1064, detection",
        timing,
        note=f"{people} people; target ≤ 1000 ms{' (met)' if timing.median_s <= 1.0 else ' (NOT met)'}",
    )
    cpu = []
    for _ in range(3 if quick else 9):
        start = time.process_time()
        detect_people(rgb)
        cpu.append(time.process_time() - start)
    results.add_time(
        GROUP,
        "group photo 1600×1064, detection, CPU time of this process",
        timing_of(cpu),
        note=f"all threads of this process; the windows run on {DETECTION_THREADS} detector graphs side by side, "
        "so on an idle machine the wall time is below this",
    )
    one = load_image(ONE_PERSON_PHOTO).rgb
    timing = time_call(lambda: detect_people(one), 3 if quick else 9, warmup=1)
    results.add_time(
        GROUP,
        "one-person photo 640×425, detection",
        timing,
        note=f"{len(detect_people(one).people)} person; {len(detection_windows(*one.shape[:2], MIN_HEIGHT_FRACTION))} "
        "windows at three scales, few of them painted out",
    )


def empty_frames(results: Results) -> None:
    frames = example_clip_frames(EMPTY_CLIP_FRAMES)
    seconds, found = [], 0
    for frame in frames:
        start = time.perf_counter()
        found += len(detect_people(frame).people)
        seconds.append(time.perf_counter() - start)
    results.add_value(
        GROUP,
        "people found on the example clip's empty-room frames",
        found,
        "people",
        note=f"frames {EMPTY_CLIP_FRAMES.start}–{EMPTY_CLIP_FRAMES.stop - 1}; must be 0",
        runs=len(frames),
    )
    results.add_time(GROUP, "detection per frame, example clip 768×432", timing_of(seconds))
