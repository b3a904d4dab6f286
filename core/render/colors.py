"""One colour per method, so every view (overlay, side view, GLB, plots) tells the methods apart the same way.

Colours are RGB in [0, 1]; each method's colour and name come from the method table (core.methods).
"""

from __future__ import annotations

from core.checkpoints import custom_label
from core.methods import METHODS

GROUND_TRUTH = "ground_truth"
METHOD_COLORS: dict[str, tuple[float, float, float]] = {m.id: m.color for m in METHODS}
METHOD_COLORS[GROUND_TRUTH] = (0.85, 0.85, 0.85)  # light grey
METHOD_LABELS: dict[str, str] = {m.id: m.short_label for m in METHODS}
METHOD_LABELS[GROUND_TRUTH] = "Ground truth"

REFINED_LIGHTEN = 0.45  # "hmr+fit" (a method refined by another) is its base colour this far towards white

KEYPOINT_COLOR = (1.0, 0.2, 0.2)
BACKGROUND_COLOR = (1.0, 1.0, 1.0)  # side and top views


def method_color(method: str) -> tuple[float, float, float]:
    """RGB in [0, 1] of a method ('hmr', 'hybrik', 'spin_gta', 'fit', 'ground_truth'), or of a refined
    method such as 'hmr+fit': a lighter shade of its base method, so the pair reads as related."""
    base, refined, _ = method.partition("+")
    if base not in METHOD_COLORS:
        raise ValueError(f"no colour for method '{method}'; known methods: {sorted(METHOD_COLORS)}")
    color = METHOD_COLORS[base]
    if refined:
        color = tuple(c + REFINED_LIGHTEN * (1.0 - c) for c in color)
    return color


def method_label(method: str, custom=()) -> str:
    """Short display name: 'hmr' → 'HMR', 'hmr+fit' → 'HMR + Fit'; unknown parts are shown as given. Parts named in
    `custom` (methods run with the user's own checkpoint, core.checkpoints) read 'HMR (custom)'."""
    return " + ".join(custom_label(METHOD_LABELS.get(part, part), part in custom) for part in method.split("+"))


def to_uint8(color: tuple[float, float, float]) -> tuple[int, int, int]:
    """RGB in [0, 1] → RGB in 0..255, e.g. for OpenCV drawing."""
    return tuple(int(round(255 * min(max(c, 0.0), 1.0))) for c in color)


def method_hex(method: str) -> str:
    """The method's colour as '#rrggbb' (matplotlib, HTML)."""
    return "#{:02x}{:02x}{:02x}".format(*to_uint8(method_color(method)))


def dark_text_on(color: tuple[float, float, float]) -> bool:
    """Whether text on a tag of `color` should be dark (light tags) rather than white."""
    return sum(to_uint8(color)) > 1.5 * 255


# One colour per tracked person in videos (person 1, 2, ...), distinct from each other on photos.
IDENTITY_COLORS = (
    (0.12, 0.47, 0.71),
    (1.0, 0.5, 0.05),
    (0.17, 0.63, 0.17),
    (0.84, 0.15, 0.16),
    (0.58, 0.4, 0.74),
    (0.55, 0.34, 0.29),
    (0.89, 0.47, 0.76),
    (0.74, 0.74, 0.13),
    (0.09, 0.75, 0.81),
)


def identity_color(identity: int) -> tuple[float, float, float]:
    """RGB in [0, 1] of tracked person `identity` (1, 2, ...); colours repeat after nine people."""
    return IDENTITY_COLORS[(identity - 1) % len(IDENTITY_COLORS)]
