"""Where a group photo's Compare goes, sampled by py-spy: docs/bench/profile.md.

A child process presses Compare on the group photo (app.tabs.compare.analyse_photo, a new session each time) once
to load everything, then py-spy attaches and samples every thread (OpenGL's and the drawing threads included)
while it runs RUNS more. Each sample is put in the first part of the request its stack reaches, from the top;
py-spy leaves out threads that sleep (and here, pool threads waiting for work), so the table counts threads that
run or wait for a core.
Needs py-spy (requirements-dev.txt) and the right to trace a child process.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.data import GROUP as GROUP_PHOTO
from bench.results import Results
from core.paths import REPO_ROOT
from core.settings import data_environment

GROUP = "profile"
RATE = 100  # samples per second and thread
CHILD = """
import sys
from app.tabs.compare import analyse_photo
from core.methods import METHOD_IDS
photo = sys.argv[1]
def press():
    analyse_photo(photo, list(METHOD_IDS), None, None, None, None, None, None, None, None)
press()
print("READY", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    press()
"""
# (part of the request, what a frame's "function (file:line)" text contains), checked in this order per frame.
PARTS = (
    ("detection (MediaPipe)", "core/pipeline/detect"),
    ("networks in ONNX Runtime", "core/networks/onnx.py"),
    ("keypoint fit", "core/pipeline/fit.py"),
    ("crops, IK, body model, cameras", "core/pipeline/estimate.py"),
    ("2D errors", "_measure"),
    ("drawing: OpenGL (llvmpipe)", "pyrender"),
    ("drawing: lighting, blending, labels", "core/render/"),
    ("drawing: lighting, blending, labels", "core/outputs/pictures.py"),
    ("3D scene (GLB)", "core/outputs/meshes.py"),
    ("tables, people picture, heat-map", "app/report.py"),
    ("tables, people picture, heat-map", "person_details"),
    ("reading the photo", "core/image_io.py"),
)


def run(results: Results, quick: bool, work: Path, out: Path) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    runs = 2 if quick else 6
    raw = work / "profile.txt"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(GROUP_PHOTO), str(runs)],
        cwd=REPO_ROOT,
        env=data_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while (line := child.stdout.readline()) and line.strip() != "READY":
            pass
        recorder = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(child.pid),
                "--rate",
                str(RATE),
                "--format",
                "raw",
                "--threads",
                "-o",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(2)  # py-spy attaches
        start = time.perf_counter()
        child.stdin.write("go\n")
        child.stdin.flush()
        child.wait(timeout=1200)
        wall = time.perf_counter() - start
        recorder.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    parts = parts_of(raw.read_text())
    table = markdown(parts, runs, wall, results.rows[-1].load_average if results.rows else None)
    out.mkdir(parents=True, exist_ok=True)
    (out / "profile.md").write_text(table)
    results.add_value(
        GROUP,
        "group photo Compare, busy thread-seconds sampled per press",
        sum(parts.values()) / RATE / runs,
        "s",
        runs=runs,
        note="parts in profile.md",
    )


def parts_of(collapsed: str) -> Counter:
    """py-spy's raw output (one 'frame;frame;... count' line per stack, outermost first) → samples per part."""
    parts: Counter = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if len(frames) > 1 and not frames[-1].startswith("_worker (concurrent/futures/thread.py"):
            parts[_part(frames)] += int(count)  # else a thread waiting for work, which py-spy samples as busy
    return parts


def _part(frames: list[str]) -> str:
    for frame in reversed(frames):  # innermost first: the most specific part wins
        for part, marker in PARTS:
            if marker in frame:
                return part
    return "other (Gradio, Python, threads)"


def markdown(parts: Counter, runs: int, wall: float, load) -> str:
    total = sum(parts.values())
    lines = [
        "# Where a group photo's Compare goes (py-spy)",
        "",
        f"`python -m bench --only profile`: the Compare tab's handler on the 1600 × 1064 group photo (6 people, 4 "
        f"methods, what the page shows first), {runs} presses after a warm-up, sampled at {RATE} Hz on every "
        f"busy thread (bench/profile.py). Wall time {wall / runs:.2f} s per press; load average {load}.",
        "",
        "| part | busy thread-seconds per press | share |",
        "|---|---:|---:|",
    ]
    for part, samples in parts.most_common():
        lines.append(f"| {part} | {samples / RATE / runs:.2f} | {100 * samples / total:.0f} % |")
    lines += [
        "",
        f"Total: {total / RATE / runs:.2f} busy thread-seconds per press. A thread counts while it runs or waits for a "
        "core, so on a machine other jobs share this exceeds the CPU time; the shares are what matters.",
        "",
    ]
    return "\n".join(lines)
