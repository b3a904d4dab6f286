"""Tables, charts and pictures built from one analysis: what the Compare tab shows next to the overlays.

Plain functions of `core.pipeline` results, no Gradio: each returns a pandas DataFrame, a matplotlib
Figure, an RGB picture or Markdown text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import pandas as pd

from core.pipeline.analyse import ImageResult, PersonResult, disagreement_matrix
from core.render.colors import METHOD_LABELS, method_hex, method_label

if TYPE_CHECKING:  # matplotlib is imported by the chart, not with the page (app/startup.py loads it early)
    from matplotlib.figure import Figure


def shown_if(condition) -> bool:
    """Gradio visibility of a part of the page that may have nothing to show."""
    return bool(condition)


BOX_COLOR = (255, 200, 0)  # RGB of the numbered person boxes
CHOSEN_BOX_COLOR = (0, 200, 255)


def people_picture(result: ImageResult) -> np.ndarray:
    """The processing image (H, W, 3) uint8 with every detected person's box and number drawn on it."""
    canvas = result.image.rgb.copy()
    chosen = {p.index for p in result.people}
    thickness = max(2, round(0.004 * max(canvas.shape[:2])))
    for index, person in enumerate(result.detected):
        x0, y0, x1, y1 = (int(round(v)) for v in person.box)
        color = CHOSEN_BOX_COLOR if index in chosen else BOX_COLOR
        cv2.rectangle(canvas, (x0, y0), (x1, y1), color, thickness, cv2.LINE_AA)
        _draw_number(canvas, str(index + 1), (x0, y0), color, thickness)
    return canvas


def _draw_number(canvas: np.ndarray, text: str, corner: tuple[int, int], color, thickness: int) -> None:
    scale = max(0.6, 0.0015 * max(canvas.shape[:2]))
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    x, y = corner
    y = max(y, height + 2 * thickness)
    cv2.rectangle(canvas, (x, y - height - 2 * thickness), (x + width + 2 * thickness, y), color, -1)
    cv2.putText(
        canvas, text, (x + thickness, y - thickness), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA
    )


def error_table(result: ImageResult, person: PersonResult, methods: tuple[str, ...]) -> pd.DataFrame:
    """One row per MediaPipe landmark that any method could be scored on; columns: pixel error per method.

    The first two rows are the means; '% of box height' makes people of different sizes comparable.
    """
    scored = [m for m in methods if m in person.errors_2d]
    if not scored:
        return pd.DataFrame({"joint": []})
    names = person.errors_2d[scored[0]].names
    columns = {"joint": ["mean (px)", "mean (% of box height)", *names]}
    for method in scored:
        errors = person.errors_2d[method]
        columns[result.label(method)] = [
            round(errors.mean_pixels, 1),
            round(errors.mean_percent, 1),
            *np.round(errors.pixels, 1),
        ]
    table = pd.DataFrame(columns)
    keep = table.drop(columns="joint").notna().any(axis=1)
    return table[keep].reset_index(drop=True)


def error_figure(result: ImageResult, person: PersonResult, methods: tuple[str, ...]) -> Figure:
    """Grouped bars: per-joint 2D error (pixels) of each method against the MediaPipe landmarks."""
    from matplotlib.figure import Figure

    scored = [m for m in methods if m in person.errors_2d]
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    axes = figure.add_subplot()
    if not scored:
        axes.text(0.5, 0.5, "No method to score", ha="center", va="center")
        axes.set_axis_off()
        return figure
    errors = np.stack([person.errors_2d[m].pixels for m in scored])  # (M, K)
    shown = np.isfinite(errors).any(axis=0)
    names = np.array(person.errors_2d[scored[0]].names)[shown]
    width = 0.8 / len(scored)
    for row, method in enumerate(scored):
        positions = np.arange(len(names)) + (row - (len(scored) - 1) / 2) * width
        axes.bar(positions, errors[row, shown], width, label=result.label(method), color=method_hex(method))
    axes.set_xticks(np.arange(len(names)), names, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("error (pixels)")
    axes.set_title("Projected joints vs MediaPipe landmarks (lower is closer)", fontsize=10)
    axes.legend(fontsize=8, ncols=len(scored))
    return figure


def disagreement_table(result: ImageResult, person: PersonResult, methods: tuple[str, ...]) -> pd.DataFrame:
    """Methods × methods: mean distance (mm) between their 24 joints after Procrustes alignment."""
    ran = tuple(m for m in methods if m in person.predictions)
    matrix = disagreement_matrix(person, ran)
    labels = [result.label(m) for m in ran]
    table = pd.DataFrame(np.round(matrix, 1), columns=labels)
    table.insert(0, "mm", labels)
    return table


def timings_table(result: ImageResult, render_seconds: float | None) -> pd.DataFrame:
    """Stage → seconds, rendering included, in the order the stages ran."""
    rows = [
        (result.label(stage) if stage in METHOD_LABELS else stage, seconds) for stage, seconds in result.timings.items()
    ]
    if render_seconds is not None:
        rows.append(("rendering", render_seconds))
    rows.append(("total", sum(seconds for _, seconds in rows)))
    return pd.DataFrame({"stage": [r[0] for r in rows], "seconds": [round(r[1], 3) for r in rows]})


def status_text(result: ImageResult) -> str:
    """Markdown: who was found, which methods ran, what did not run and why, and the image notes."""
    lines = []
    if result.people:
        ran = ", ".join(result.label(m) for m in result.methods) or "none"
        lines.append(f"**{len(result.detected)} people detected, {len(result.people)} reconstructed.** Methods: {ran}.")
    elif result.message:
        lines.append(f"**{result.message}**")
    for method, why in result.unavailable.items():
        lines.append(f"- {method_label(method)} did not run: {why}")
    lines += [f"- {note}" for note in result.image.notes]
    if result.body_model.kind != "smpl":
        lines.append("- Body model: the open stand-in for SMPL (SMPL files not found); see the Setup tab.")
    return "\n".join(lines)
