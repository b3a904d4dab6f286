"""Peak resident memory: of a fresh process with every model loaded (core only), and of any process by pid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.results import Results
from core.paths import REPO_ROOT
from core.settings import data_environment

GROUP = "memory"
LOAD_EVERYTHING = """
import numpy as np
from core.pipeline import inference
from core.pipeline.analyse import PipelineOptions, analyse
from core.image_io import load_image
from core.outputs.pictures import render_views
from bench.data import ONE_PERSON
result = analyse(load_image(ONE_PERSON), PipelineOptions())
render_views(result)
assert set(result.methods) == {"hmr", "hybrik", "spin_gta", "fit"}, result.methods
print(open("/proc/self/status").read())
"""


def run(results: Results, quick: bool) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", LOAD_EVERYTHING],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=data_environment(),
    )
    results.add_value(
        GROUP,
        "peak RSS of one analysis with all models loaded (no web server)",
        _field_mb(completed.stdout, "VmHWM"),
        "MB",
        note="3 networks + ONNX Runtime sessions, MediaPipe, renderer",
    )


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of process `pid`, in MB (Linux)."""
    return _field_mb(Path(f"/proc/{pid}/status").read_text(), "VmHWM")


def _field_mb(status: str, field: str) -> float:
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no {field} in /proc status")
