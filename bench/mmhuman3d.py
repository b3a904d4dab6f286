"""Side by side with mmhuman3d 0.11.0's own modules on the same weights: scripts/compare_with_mmhuman3d.py --speed,
run with the interpreter of an environment that has mmhuman3d (`--mmhuman3d-python`, see that script's docstring).

It builds mmhuman3d's ResNet + head + SMPL and core's models from one random state_dict and times them in one
process, interleaved, at batch 1 and 16; the rows here are its medians and their ratio.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from bench.results import Results
from core.paths import REPO_ROOT
from core.settings import child_environment

GROUP = "mmhuman3d"
SCRIPT = REPO_ROOT / "scripts" / "compare_with_mmhuman3d.py"
MINIMUM_RATIO = {"HMR": {1: 2.5, 16: 3.0}, "SPIN-GTA": {1: 2.5, 16: 3.0}, "HybrIK": {1: 2.0, 16: 2.0}}  # issue 16


def run(results: Results, quick: bool, python: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "speed.json"
        command = [python, str(SCRIPT), "--speed", "--json", str(output)] + (["--quick"] if quick else [])
        subprocess.run(command, cwd=REPO_ROOT, env=child_environment(PYTHONPATH=str(REPO_ROOT)), check=True)
        rows = json.loads(output.read_text())
    for row in rows:
        what = f"{row['method']} network + body model, batch {row['batch']}"
        low, high = row["mmhuman3d_range_ms"]
        results.add_value(
            GROUP,
            f"{what} (mmhuman3d 0.11.0)",
            row["mmhuman3d_ms"],
            "ms",
            runs=row["runs"],
            note=f"calls took {low:.1f}–{high:.1f} ms",
        )
        low, high = row["core_range_ms"]
        target = MINIMUM_RATIO[row["method"]][row["batch"]]
        results.add_value(
            GROUP,
            f"{what} (core)",
            row["core_ms"],
            "ms",
            runs=row["runs"],
            note=f"×{row['ratio']:.2f} mmhuman3d's time (target ≥ ×{target}: {'met' if row['ratio'] >= target else 'NOT met'}); "
            f"vertices differ by {1000 * row['max_vertex_diff_m']:.3f} mm; calls took {low:.1f}–{high:.1f} ms",
        )
