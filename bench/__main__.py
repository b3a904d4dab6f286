"""python -m bench [--quick] [--out docs/bench] [--only models pipeline ...]: measure and write the tables."""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from pathlib import Path

from bench import (
    app,
    detection,
    learning,
    memory,
    mmhuman3d,
    models,
    pipeline,
    prepare,
    profile,
    roofline,
    tracking,
    training,
)
from bench.data import use_data, write_bench_data
from bench.results import Results, Target
from bench.timing import machine

GROUPS = (
    "models",
    "pipeline",
    "memory",
    "training",
    "prepare",
    "learning",
    "app",
    "detection",
    "tracking",
    "mmhuman3d",
    "roofline",
    "profile",
)
# Groups that draw meshes run on the open body model: the stand-in SMPL's random triangles cost far more to draw.
OPEN_MODEL_GROUPS = ("pipeline", "memory", "app", "detection", "tracking", "profile")
QUICK_SKIPS = {
    "app": "not in --quick (starting the web server alone takes most of its 2 minutes)",
    "learning": "not in --quick (training HMR until the held-out error halves takes tens of minutes)",
}
# (label, row before, row after) for the before/after table.
RATIOS = (
    [
        (
            "HMR network, batch 1: eager → ONNX Runtime",
            "HMR network, batch 1 (eager PyTorch)",
            "HMR network, batch 1 (ONNX Runtime)",
        ),
        (
            "HMR network, batch 1: eager → TorchScript frozen",
            "HMR network, batch 1 (eager PyTorch)",
            "HMR network, batch 1 (TorchScript frozen, BN folded)",
        ),
        (
            "HMR network, batch 1: eager → torch.compile",
            "HMR network, batch 1 (eager PyTorch)",
            "HMR network, batch 1 (torch.compile, inductor + freezing)",
        ),
    ]
    + [
        (
            f"{label} predict, batch {batch}: PyTorch → ONNX Runtime",
            f"{label} predict, batch {batch} (PyTorch)",
            f"{label} predict, batch {batch} (ONNX Runtime)",
        )
        for label in ("HMR", "SPIN-GTA", "HybrIK")
        for batch in (1, 4, 16)
    ]
    + [
        (
            f"{label} network + body model, batch {batch}: mmhuman3d 0.11.0's modules → core",
            f"{label} network + body model, batch {batch} (mmhuman3d 0.11.0)",
            f"{label} network + body model, batch {batch} (core)",
        )
        for label in ("HMR", "SPIN-GTA", "HybrIK")
        for batch in (1, 16)
    ]
    + [
        (
            "keypoint fit, group photo's 6 people: one by one → together",
            "keypoint fit, group photo's 6 people, one by one",
            "keypoint fit, group photo's 6 people, together",
        )
    ]
)


# Issue 16's targets. "before": the last full run before it (docs/bench/history.md, 2026-12-02, load ≈ 1.2–2.8)
# or, where that run had no such row, the figure issue 16 quotes (measured on a busy machine).
GROUP_ROW = "group photo, Compare tab's first page (1600×1064, 6 people, 4 methods)"
COLD_ROW = "cold start: `python app.py` to the first four-method Compare (graphs cached)"
LIVE_ROW = "live webcam mode, HMR, person followed between frames (768×432 frames)"
TARGETS = (
    [
        Target(
            "group photo (1600×1064, 6 people, 4 methods), what the Compare tab shows first ≤ 3.0 s",
            GROUP_ROW,
            3000,
            "ms",
            "8.9 s (analyse + ten views)",
        ),
        Target(
            "HybrIK predict, batch 16 ≤ 50 ms per person",
            "HybrIK predict, batch 16 (ONNX Runtime)",
            50,
            "ms",
            "148.5 ms",
            per=16,
        ),
        Target("HybrIK predict, batch 1 ≤ 60 ms", "HybrIK predict, batch 1 (ONNX Runtime)", 60, "ms", "88.8 ms"),
    ]
    + [
        Target(
            f"{label} batch {batch}: ≥ ×{goal} mmhuman3d 0.11.0's modules",
            f"{label} network + body model, batch {batch} (core)",
            goal,
            "×",
            before,
            higher_is_better=True,
            ratio_of=f"{label} network + body model, batch {batch} (mmhuman3d 0.11.0)",
        )
        for label, batch, goal, before in (
            ("HMR", 1, 2.5, "×1.5"),
            ("HMR", 16, 3.0, "×2"),
            ("SPIN-GTA", 1, 2.5, "×1.5"),
            ("SPIN-GTA", 16, 3.0, "×2"),
            ("HybrIK", 1, 2.0, "×1.3"),
            ("HybrIK", 16, 2.0, "×1.3"),
        )
    ]
    + [
        Target(
            "cold start: `python app.py` to the first four-method Compare ≤ 6 s",
            COLD_ROW,
            6000,
            "ms",
            "13.7 s (first request after start-up)",
        ),
        Target(
            "16 clients × 3 requests: throughput ≥ 1 request/s",
            "throughput, 16 concurrent clients",
            1.0,
            "requests/s",
            "0.38 requests/s (keypoint fit only, busy machine)",
            higher_is_better=True,
        ),
        Target(
            "16 clients × 3 requests: p95 latency ≤ 20 s",
            "p95 latency, 16 concurrent clients",
            20000,
            "ms",
            "44 s (keypoint fit only, busy machine)",
        ),
        Target("16 clients × 3 requests: no errors", "errors, 16 concurrent clients", 0, "errors", "0"),
        Target("app peak RSS ≤ 3 GB", "app peak RSS, all models loaded (VmHWM)", 3072, "MB", "2605.8 MB (4 clients)"),
        Target(
            "live webcam, one method ≥ 15 frames/s", LIVE_ROW, 15.0, "frames/s", "10.1 frames/s", higher_is_better=True
        ),
    ]
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a reduced run (under 2 minutes), e.g. for CI")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"), help="folder for results.json and results.md")
    parser.add_argument("--only", nargs="*", choices=GROUPS, default=None, help="run only these groups")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a new temporary folder)")
    parser.add_argument(
        "--mmhuman3d-python",
        default=None,
        help="python of an environment with mmhuman3d 0.11.0 (scripts/compare_with_mmhuman3d.py): runs group mmhuman3d",
    )
    return parser.parse_args(argv)


def main(argv=None) -> Results:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hmrc_bench_"))
    data = write_bench_data(work / "data")
    results = Results(machine(), "quick" if args.quick else "full")
    results.skipped["GPU"] = "no GPU on this machine" if results.machine["gpu"] is None else ""
    chosen = args.only or [g for g in GROUPS if not (args.quick and g in QUICK_SKIPS)]
    results.skipped.update({g: why for g, why in QUICK_SKIPS.items() if g not in chosen and args.quick})
    if "mmhuman3d" in chosen and args.mmhuman3d_python is None:
        chosen.remove("mmhuman3d")
        results.skipped["mmhuman3d"] = (
            "needs --mmhuman3d-python: an environment with mmhuman3d 0.11.0 (scripts/compare_with_mmhuman3d.py)"
        )
    for group in chosen:
        print(f"[{group}]", flush=True)
        start = time.perf_counter()
        try:
            with use_data(data, "open" if group in OPEN_MODEL_GROUPS else "smpl"):
                _run(group, results, args, work)
        except Exception as error:  # one broken group must not lose the others' figures
            traceback.print_exc()
            results.skipped[group] = f"failed: {type(error).__name__}: {error}"
        print(f"  ({group}: {time.perf_counter() - start:.0f} s)", flush=True)
    results.skipped = {k: v for k, v in results.skipped.items() if v}
    if args.only:
        results.keep_previous(args.out / "results.json", set(chosen))
    json_path, md_path = results.write(args.out, RATIOS, TARGETS)
    print(f"wrote {json_path} and {md_path}")
    return results


def _run(group: str, results: Results, args: argparse.Namespace, work: Path) -> None:
    quick = args.quick
    if group == "models":
        models.run(results, quick)
    elif group == "pipeline":
        pipeline.run(results, quick)
    elif group == "memory":
        memory.run(results, quick)
    elif group == "training":
        training.run(results, quick, work)
    elif group == "prepare":
        prepare.run(results, quick, work)
    elif group == "learning":
        learning.run(results, quick, work)
    elif group == "app":
        app.run(results, quick, work)
    elif group == "detection":
        detection.run(results, quick)
    elif group == "tracking":
        tracking.run(results, quick)
    elif group == "mmhuman3d":
        mmhuman3d.run(results, quick, args.mmhuman3d_python)
    elif group == "roofline":
        roofline.run(results, quick, args.out / "results.json")
    elif group == "profile":
        profile.run(results, quick, work, args.out)


if __name__ == "__main__":
    main()
