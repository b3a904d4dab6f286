"""The labelled detection set: hand-labelled photos plus composites of drawn people at known boxes.

Photos and their boxes: `assets/detection/labels.json` (sources and licences in
`assets/detection/PROVENANCE.md` and `assets/examples/NOTICE.md`). Composites: bodies of the open
body model (`core.testing.synthetic_people`) drawn over photos without people (the median of OpenCV's
pedestrian video, the example clip's empty room, both at their size and enlarged), several per
picture, at heights spread over the three size groups, some partly behind others; made the same way
for the same seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core.evaluation.detection_score import Truth
from core.image_io import load_image
from core.paths import REPO_ROOT

DETECTION_ASSETS = REPO_ROOT / "assets" / "detection"
LABELS_FILE = DETECTION_ASSETS / "labels.json"
EMPTY_BACKGROUND = DETECTION_ASSETS / "photos" / "background_opencv_vtest_median_768x576.jpg"
EXAMPLE_CLIP = REPO_ROOT / "assets" / "examples" / "walking_person_clip18s_intel_ccby4_768x432.mp4"
EMPTY_CLIP_FRAMES = range(0, 10)  # the example clip shows only a table in these frames
HEIGHT_GROUPS = ((0.09, 0.145), (0.16, 0.28), (0.32, 0.6))  # drawn people's heights, share of the image
SHIRTS = (
    (0.2, 0.3, 0.7),
    (0.7, 0.2, 0.2),
    (0.2, 0.6, 0.3),
    (0.8, 0.75, 0.2),
    (0.5, 0.3, 0.6),
    (0.9, 0.9, 0.9),
    (0.1, 0.1, 0.1),
    (0.9, 0.5, 0.2),
)
TROUSERS = ((0.25, 0.25, 0.3), (0.15, 0.2, 0.4), (0.4, 0.35, 0.3), (0.1, 0.1, 0.1), (0.6, 0.6, 0.65))


@dataclass
class LabelledImage:
    name: str
    rgb: np.ndarray  # (H, W, 3) uint8
    people: list[Truth]
    kind: str = "photo"  # 'photo' or 'composite'
    notes: list[str] = field(default_factory=list)


def labelled_photos(labels_file: Path = LABELS_FILE) -> list[LabelledImage]:
    """The hand-labelled photos with their boxes (pixels of the files as stored)."""
    data = json.loads(Path(labels_file).read_text())
    images = []
    for entry in data["images"]:
        rgb = load_image(REPO_ROOT / entry["file"], max_side=100_000).rgb
        people = [
            Truth(np.array(p["box"], dtype=np.float64), p.get("head_torso", True), p.get("ignore", False))
            for p in entry["people"]
        ]
        images.append(LabelledImage(Path(entry["file"]).name, rgb, people))
    return images


def empty_backgrounds() -> list[tuple[str, np.ndarray]]:
    """Photos without people: (name, (H, W, 3) uint8), at their size and enlarged 2×."""
    plaza = cv2.cvtColor(cv2.imread(str(EMPTY_BACKGROUND)), cv2.COLOR_BGR2RGB)
    room = example_clip_frames(EMPTY_CLIP_FRAMES[:1])[0]
    found = [("plaza", plaza), ("room", room)]
    return found + [
        (f"{name}_2x", cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)) for name, rgb in found
    ]


def example_clip_frames(indices) -> list[np.ndarray]:
    """RGB frames of the example clip at the given indices (ascending)."""
    capture = cv2.VideoCapture(str(EXAMPLE_CLIP))
    frames, wanted, index = [], list(indices), 0
    while wanted:
        ok, frame = capture.read()
        if not ok:
            break
        if index == wanted[0]:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            wanted.pop(0)
        index += 1
    capture.release()
    return frames


def composite_images(count: int = 16, seed: int = 0, body_model=None) -> list[LabelledImage]:
    """`count` pictures of 3 to 6 drawn people over the empty backgrounds, the same for the same seed."""
    from core.body_models.open_model import load_open_body_model
    from core.testing.synthetic_people import SyntheticPerson, camera_for, depth_for_height, draw_people

    body_model = body_model or load_open_body_model()
    backgrounds = empty_backgrounds()
    rng = np.random.default_rng(seed)
    images = []
    for number in range(count):
        name, background = backgrounds[number % len(backgrounds)]
        height, width = background.shape[:2]
        K = camera_for(height, width)
        people = []
        for slot in range(int(rng.integers(3, 7))):
            low, high = HEIGHT_GROUPS[(number + slot) % len(HEIGHT_GROUPS)]
            share = rng.uniform(low, high)
            centre = (rng.uniform(0.08, 0.92) * width, rng.uniform(share / 2, 1 - share / 2) * height)
            if people and rng.random() < 0.35:  # partly behind someone already placed
                front = people[int(rng.integers(len(people)))]
                front_share = K[1, 1] * 1.7 / front.depth / height
                share = min(share, front_share * 0.9)
                centre = (
                    front.centre[0] + rng.choice([-1, 1]) * rng.uniform(0.15, 0.3) * front_share * height,
                    front.centre[1] + rng.uniform(-0.1, 0.1) * front_share * height,
                )
            people.append(
                SyntheticPerson(
                    depth=depth_for_height(share, height, K),
                    centre=centre,
                    yaw_deg=float(rng.uniform(-60, 60)),
                    pose=str(rng.choice(["stand", "walk", "wave"])),
                    phase=float(rng.uniform(0, 2 * np.pi)),
                    shirt=SHIRTS[int(rng.integers(len(SHIRTS)))],
                    trousers=TROUSERS[int(rng.integers(len(TROUSERS)))],
                )
            )
        picture, drawn = draw_people(background, body_model, people, K)
        truths = [Truth(d.box, d.head_torso, ignore=d.visible_share < 0.25) for d in drawn if d.box is not None]
        images.append(LabelledImage(f"composite{number:02d}_{name}", picture, truths, kind="composite"))
    return images
