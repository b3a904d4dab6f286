"""Data preparation at scale: peak memory and speed of `python -m train.prepare coco` on a synthetic COCO file
with 200,000 people (streamed with ijson), next to what loading the same file whole with json.load costs
(mmhuman3d's converters do that)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.memory import _field_mb
from bench.results import Results

GROUP = "prepare"
REPO = Path(__file__).resolve().parent.parent
PER_IMAGE = 5
PEAK = "\nprint(open('/proc/self/status').read())"


def run(results: Results, quick: bool, work: Path) -> None:
    from train.prepare.miniatures import write_coco_people

    people = 20_000 if quick else 200_000
    coco = work / "prepare_coco"
    annotations = write_coco_people(
        coco / "annotations" / "person_keypoints_train2014.json", people, per_image=PER_IMAGE
    )
    images = coco / "train2014"
    images.mkdir(parents=True, exist_ok=True)
    for i in range(people // PER_IMAGE):  # empty files: the converter only checks that each image exists
        (images / f"{i:012d}.jpg").touch()
    size_mb = annotations.stat().st_size / 1e6
    script = (
        "import sys; from train.prepare.__main__ import main; "
        f"code = main(['coco', '--raw', {str(coco)!r}, '--out', {str(work / 'prepare_out')!r}, '--no-progress'])" + PEAK
    )
    start = time.perf_counter()
    converted = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    baseline = subprocess.run(
        [sys.executable, "-c", "import train.prepare.coco" + PEAK], cwd=REPO, capture_output=True, text=True, check=True
    )
    whole = subprocess.run(
        [sys.executable, "-c", f"import json; data = json.load(open({str(annotations)!r}))" + PEAK],
        capture_output=True,
        text=True,
        check=True,
    )
    label = f"COCO keypoints, {people:,} people ({size_mb:.0f} MB json)"
    results.add_value(
        GROUP,
        f"{label}: peak RSS of python -m train.prepare coco",
        _field_mb(converted.stdout, "VmHWM"),
        "MB",
        note="streamed; includes the imports",
    )
    results.add_value(
        GROUP,
        "peak RSS of the same imports alone",
        _field_mb(baseline.stdout, "VmHWM"),
        "MB",
        note="numpy, torch (core.joints), ijson",
    )
    results.add_value(
        GROUP,
        f"{label}: peak RSS of json.load alone",
        _field_mb(whole.stdout, "VmHWM"),
        "MB",
        note="what loading the file whole costs (mmhuman3d's converters)",
    )
    results.add_value(
        GROUP,
        f"{label}: conversion speed",
        people / seconds,
        "people/s",
        note="one process, including start-up and writing the .npz",
    )
