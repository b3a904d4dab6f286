"""Rows of measurements → docs/bench/results.json and a Markdown table."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.timing import Timing, load_average


@dataclass
class Row:
    group: str  # models, pipeline, app, training, memory
    name: str  # what was measured, e.g. 'HMR predict, batch 1 (ONNX Runtime)'
    value: float  # the median (seconds are reported in ms)
    unit: str  # 'ms', 's', 'frames/s', 'samples/s', 'requests/s', 'MB'
    q1: float | None = None
    q3: float | None = None
    runs: int | None = None
    note: str = ""
    load_average: list[float] = field(default_factory=load_average)


@dataclass(frozen=True)
class Target:
    """A goal for one measured row, with the figure measured before the change (text, with its source)."""

    label: str  # e.g. 'HybrIK, batch 1 ≤ 60 ms'
    row: str  # the row measured now
    goal: float  # in `unit`
    unit: str
    before: str
    higher_is_better: bool = False
    per: int = 1  # the row's value divided by this (e.g. per person of a batch of 16)
    ratio_of: str | None = None  # the value is this row's value / `row`'s (a speed-up over it)

    def measured(self, find) -> float | None:
        row = find(self.row)
        if row is None:
            return None
        if self.ratio_of is None:
            return row.value / self.per
        reference = find(self.ratio_of)
        return None if reference is None or row.value <= 0 else reference.value / row.value

    def met(self, value: float) -> bool:
        return value >= self.goal if self.higher_is_better else value <= self.goal


@dataclass
class Results:
    machine: dict
    mode: str  # 'full' or 'quick'
    rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # group → why it did not run
    started: float = field(default_factory=time.time)
    note: str = ""  # shown under the machine description

    def add_time(self, group: str, name: str, timing: Timing, per: int = 1, note: str = "") -> Row:
        """A latency row in ms; `per` divides the times (e.g. per person of a batch)."""
        row = Row(
            group,
            name,
            1000 * timing.median_s / per,
            "ms",
            1000 * timing.q1_s / per,
            1000 * timing.q3_s / per,
            timing.runs,
            note,
        )
        self.rows.append(row)
        print(
            f"  {name}: {row.value:.1f} ms (IQR {row.q1:.1f}-{row.q3:.1f}, {row.runs} runs, load {row.load_average[0]})",
            flush=True,
        )
        return row

    def add_value(self, group: str, name: str, value: float, unit: str, note: str = "", runs: int | None = None) -> Row:
        row = Row(group, name, value, unit, runs=runs, note=note)
        self.rows.append(row)
        print(f"  {name}: {value:.2f} {unit} (load {row.load_average[0]})", flush=True)
        return row

    def keep_previous(self, path: Path, rerun: set[str]) -> None:
        """Take the rows of groups not in `rerun` from an earlier results.json (for `--only`)."""
        if path.is_file():
            earlier = json.loads(path.read_text())
            self.rows = [Row(**row) for row in earlier["rows"] if row["group"] not in rerun] + self.rows
            self.skipped = {**{k: v for k, v in earlier["skipped"].items() if k not in rerun}, **self.skipped}
            self.note = (
                f"groups {', '.join(sorted(rerun))} re-run on {time.strftime('%Y-%m-%d %H:%M')} "
                f"(the time above is theirs); the other groups' rows are from the earlier run"
            )

    def find(self, name: str) -> Row | None:
        return next((row for row in self.rows if row.name == name), None)

    def targets(self, targets: list[Target]) -> list[dict]:
        """Each target with what was measured before, what is measured now and whether it is met."""
        found = []
        for target in targets:
            value = target.measured(self.find)
            row = self.find(target.row)
            found.append(
                {
                    "target": target.label,
                    "before": target.before,
                    "after": None if value is None else round(value, 3),
                    "unit": target.unit,
                    "met": None if value is None else target.met(value),
                    "load": None if row is None else row.load_average[0],
                }
            )
        return found

    def write(
        self, folder: Path, ratios: list[tuple[str, str, str]] = (), targets: list[Target] = ()
    ) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        data = {
            "machine": self.machine,
            "mode": self.mode,
            "seconds": round(time.time() - self.started, 1),
            "skipped": self.skipped,
            "rows": [row.__dict__ for row in self.rows],
            "ratios": self.ratios(ratios),
            "targets": self.targets(list(targets)),
            "note": self.note,
        }
        json_path, md_path = folder / "results.json", folder / "results.md"
        json_path.write_text(json.dumps(data, indent=1) + "\n")
        md_path.write_text(markdown(data))
        return json_path, md_path

    def ratios(self, pairs) -> list[dict]:
        """'before → after' speed-ups: median of `before` / median of `after`, for rows that exist."""
        found = []
        for label, before, after in pairs:
            a, b = self.find(before), self.find(after)
            if a is not None and b is not None and b.value > 0:
                found.append(
                    {
                        "what": label,
                        "before": a.value,
                        "after": b.value,
                        "unit": a.unit,
                        "speedup": round(a.value / b.value, 2),
                    }
                )
        return found


def markdown(data: dict) -> str:
    m = data["machine"]
    lines = (
        [
            f"# Benchmarks ({data['mode']} run, {data['seconds']:.0f} s)",
            "",
            f"- CPU: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; GPU: {m['gpu'] or 'none'}",
            f"- Python {m['python']}, torch {m['torch']} ({m['torch_threads']} threads, {m['torch_interop_threads']} "
            f"inter-op), onnxruntime {m['onnxruntime'] or 'not installed'}",
            f"- Load average at start: {m['load_average_at_start']} (each row has its own; the benchmark's own "
            f"{m['torch_threads']} threads account for about {m['torch_threads']}, more means other jobs shared the "
            "machine: compare medians and ratios)",
            "- Body model: models and training use a stand-in SMPL (SMPL's sizes, random values); pipeline, memory, "
            "app, detection and tracking use the bundled open body model, whose real body shape makes drawing cost what "
            "it costs on a photo (bench/data.py)",
        ]
        + ([f"- {data['note']}"] if data.get("note") else [])
        + [""]
    )
    if data.get("targets"):
        lines += [
            "## Targets",
            "",
            "| target | before | after | load | |",
            "|---|---:|---:|---:|---|",
        ]
        for t in data["targets"]:
            after = "not measured" if t["after"] is None else _figure(t["after"], t["unit"])
            verdict = "" if t["met"] is None else ("met" if t["met"] else "**not met**")
            lines.append(f"| {t['target']} | {t['before']} | {after} | {t['load'] or ''} | {verdict} |")
        lines.append("")
    if data["ratios"]:
        lines += ["## Before / after", "", "| what | before | after | speed-up |", "|---|---:|---:|---:|"]
        lines += [
            f"| {r['what']} | {r['before']:.1f} {r['unit']} | {r['after']:.1f} {r['unit']} | ×{r['speedup']} |"
            for r in data["ratios"]
        ]
        lines.append("")
    for group in dict.fromkeys(row["group"] for row in data["rows"]):
        lines += [
            f"## {group}",
            "",
            "| measurement | median | IQR | runs | load | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in (r for r in data["rows"] if r["group"] == group):
            iqr = f"{row['q1']:.1f}–{row['q3']:.1f}" if row["q1"] is not None else ""
            lines.append(
                f"| {row['name']} | {row['value']:.1f} {row['unit']} | {iqr} | {row['runs'] or ''} | "
                f"{row['load_average'][0]} | {row['note']} |"
            )
        lines.append("")
    if data["skipped"]:
        lines += ["## Not measured", ""] + [f"- {group}: {why}" for group, why in data["skipped"].items()] + [""]
    return "\n".join(lines)


def _figure(value: float, unit: str) -> str:
    if unit == "×":
        return f"×{value:.2f}"
    if unit == "ms" and value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
