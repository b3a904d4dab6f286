"""The example photos and clip shipped in assets/examples/, as tests and benchmarks use them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.paths import ASSETS_DIR

EXAMPLES = ASSETS_DIR / "examples"
PERSON_IN_CLIP = 40  # the walking clip's first frames show only a table; from here on the person is in view


def example_image(prefix: str) -> Path:
    """The example photo (or clip) whose file name starts with `prefix`."""
    matches = sorted(EXAMPLES.glob(prefix + "*"))
    assert matches, f"no example photo starting with {prefix!r} in {EXAMPLES}"
    return matches[0]


@lru_cache(maxsize=None)
def clip_frames(count: int, start: int = PERSON_IN_CLIP) -> tuple:
    """`count` consecutive frames (RGB uint8) of the example walking clip, from frame `start` on."""
    import cv2

    capture = cv2.VideoCapture(str(example_image("walking_person_clip18s")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        assert ok, "could not read the example clip"
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return tuple(frames)


def write_test_clip(path, frames: int = 4):
    """A short WebM of the walking clip from the frame the person is in view; returns the path."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 10, (768, 432))
    for frame in clip_frames(frames):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path
