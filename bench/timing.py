"""Repeated timing with warm-up (median and interquartile range) and the machine description."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass
class Timing:
    median_s: float
    q1_s: float  # 25th percentile
    q3_s: float  # 75th percentile
    runs: int

    @property
    def iqr_s(self) -> float:
        return self.q3_s - self.q1_s


def time_call(function, runs: int, warmup: int = 1) -> Timing:
    """Run `function()` warmup times untimed, then `runs` times timed."""
    for _ in range(warmup):
        function()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return timing_of(seconds)


def timing_of(seconds: list[float]) -> Timing:
    q1, q3 = np.percentile(seconds, [25, 75])
    return Timing(statistics.median(seconds), float(q1), float(q3), len(seconds))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        return names[0] if names else platform.processor()
    except OSError:
        return platform.processor() or "unknown"


def gpu_name() -> str | None:
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def machine() -> dict:
    """What the figures were measured on."""
    from core.networks import onnx

    ort = None
    if onnx.onnxruntime_available():
        import onnxruntime

        ort = onnxruntime.__version__
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu_name(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": ort,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def as_dict(timing: Timing) -> dict:
    return asdict(timing)
