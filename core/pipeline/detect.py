"""Find every person in a photo with the BlazePose models bundled in MediaPipe 0.10.21, offline.

`mp.solutions.pose` follows one person, and the tasks API's PoseLandmarker needs a downloaded `.task`
bundle. Both are built from the same two stages, and MediaPipe's wheel ships both compiled as
subgraphs together with their models, so this module runs the stages itself through MediaPipe's graph
runner (`mediapipe.python.solution_base.SolutionBase`, which `mp.solutions.pose` is built on):

1. Detection, subgraph `PoseDetectionCpu` (`pose_detection.tflite`): 224 × 224 letterboxed input,
   2254 SSD anchors, weighted non-maximum suppression. Each detection has a score, a box and four
   keypoints: hip centre, a point on the circle around the whole body, shoulder centre, a point on the
   circle around the upper body. One 224-pixel look at a wide group photo misses small or tightly
   packed people, so the detector also runs on overlapping square windows at several scales, down to
   windows where a person of `min_height_fraction` of the image height is a third of the window
   (`core.pipeline.detection_windows`); detections of one face in several windows are merged.
2. Landmarks, subgraph `PoseLandmarkByRoiCpu` (`pose_landmark_full.tflite`): 33 landmarks in pixels with
   visibility, 33 metric world landmarks (hip-centred) and a segmentation mask, for one rotated square
   region. The region comes from the detection exactly as MediaPipe's `PoseDetectionToRoi` builds it
   (centre = hip centre, side = 2 × radius × 1.25, rotated so the body points up); if the model's own
   presence flag says "no person" the region is retried upright. The region is then rebuilt from the
   model's two auxiliary landmarks and run once more, as MediaPipe's video tracking does between frames;
   if the model finds nobody in that region, or the skeleton is not a person's
   (`core.pipeline.person_check`: visibility, torso length, shoulder width, limb proportions in metres), the
   detection was furniture or clutter and is dropped.
3. Several people: candidates are taken best score first. Each accepted person is painted out
   (segmentation mask → gray) before the next ones are read and before detecting again, so
   neighbours hidden by suppression or pulled onto another body get their own turn; windows that no
   painting touched keep their detections from the round before. Two results whose faces land at the
   same place are one person.

`person_from_box` skips stage 1: the app's drawn box becomes the region for stage 2.
Models load once per process and every call holds one lock, so a Gradio server can share them. MediaPipe
runs each graph on one thread and releases the GIL while it runs, so the windows of a round are shared
out over `DETECTION_THREADS` detector graphs working side by side (the same detections as one graph).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.image_io import LoadedImage
from core.pipeline.detection_windows import merge_detections, window_levels, window_touches
from core.pipeline.person_check import check_person

if TYPE_CHECKING:  # MediaPipe is imported where it is used
    from mediapipe.framework.formats.rect_pb2 import NormalizedRect

NUM_LANDMARKS = 33
ROI_SCALE = 1.25  # MediaPipe's PoseDetectionToRoi / PoseLandmarksToRoi enlarge the body circle by this
MIN_HEIGHT_FRACTION = 0.08  # photos: people down to this share of the image height are looked for
SAME_FACE_FRACTION = 0.5  # faces closer than this × shoulder width belong to one person
BOX_MARGIN = 0.1  # person box = visible landmarks + this fraction of their extent on each side
VISIBLE = 0.5  # landmark visibility above which a landmark counts as seen
PAINT_THRESHOLD = 0.5  # mask value above which a found person is painted out
PAINT_GRAY = 128
MAX_ROUNDS = 3  # detect → read landmarks → paint out, at most this many times (coarsest windows)
CONFIDENT_SCORE = 0.6  # weaker detections count only when another window finds the same body
AGREE_FRACTION = 0.5  # a reading's shoulder centre this far (× detected torso) from the detection's: another body
SAME_BODY_FRACTION = 0.5  # shoulder centres closer than this × the shoulder-hip distance: one body
MOSTLY_PAINTED = 0.5  # finer windows, and detected faces, this much painted out are not run or read
PART_INSIDE = 0.8  # a reading whose box lies this much inside another person's box...
PART_HEIGHT = 0.4  # ...and is less than this fraction of its height is a body part read as a person
DETECTION_THREADS = min(2, os.cpu_count() or 1)  # detector graphs run side by side on the windows of a round
FACE = slice(0, 11)  # MediaPipe landmarks 0..10: nose, eyes, ears, mouth
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
TORSO = (11, 12, 23, 24)  # shoulders and hips
NO_PERSON_MESSAGE = (
    "No person found. Draw a box around the person (or pick a region) to read the pose there, "
    "or try a photo where the whole body is larger and less hidden."
)

_DETECTION_GRAPH = """
input_stream: "image"
output_stream: "detections"
node { calculator: "PoseDetectionCpu" input_stream: "IMAGE:image" output_stream: "DETECTIONS:detections" }
"""

_LANDMARK_GRAPH = """
input_stream: "image"
input_stream: "roi"
output_stream: "landmarks"
output_stream: "auxiliary_landmarks"
output_stream: "world_landmarks"
output_stream: "segmentation_mask"
input_side_packet: "model_complexity"
input_side_packet: "enable_segmentation"
node {
  calculator: "PoseLandmarkByRoiCpu"
  input_side_packet: "MODEL_COMPLEXITY:model_complexity"
  input_side_packet: "ENABLE_SEGMENTATION:enable_segmentation"
  input_stream: "IMAGE:image"
  input_stream: "ROI:roi"
  output_stream: "LANDMARKS:landmarks"
  output_stream: "AUXILIARY_LANDMARKS:auxiliary_landmarks"
  output_stream: "WORLD_LANDMARKS:world_landmarks"
  output_stream: "SEGMENTATION_MASK:segmentation_mask_image"
}
node {
  calculator: "FromImageCalculator"
  input_stream: "IMAGE:segmentation_mask_image"
  output_stream: "IMAGE_CPU:segmentation_mask"
}
"""
_MODEL_COMPLEXITY_FULL = 1  # selects pose_landmark_full.tflite, the one model the wheel ships


@dataclass
class Person:
    box: np.ndarray  # (4,) x0, y0, x1, y1 pixels (original image when given a LoadedImage)
    score: float  # detector confidence in [0, 1]; 1.0 for a user-drawn box
    landmarks: np.ndarray  # (33, 3) MediaPipe order: x, y pixels; z relative depth in the same pixel scale
    visibility: np.ndarray  # (33,) in [0, 1]
    world_landmarks: np.ndarray  # (33, 3) metres, origin between the hips, x right, y down, z away from camera
    mask: np.ndarray | None = None  # (H, W) float32 in [0, 1], pixels of the image that was processed
    source: str = "detector"  # 'detector', 'box', or 'track' (followed from the previous video frame)
    auxiliary: np.ndarray | None = None  # (2, 2) hip centre and body-circle point, pixels: where to look next frame


@dataclass
class DetectionResult:
    people: list[Person]  # sorted left to right by box centre
    image_size: tuple[int, int]  # (height, width) of the image the coordinates refer to
    message: str = ""  # non-empty when nobody was found, saying what to try
    notes: list[str] = field(default_factory=list)


@dataclass
class _Candidate:
    score: float
    box: np.ndarray  # (4,) detector box, pixels
    keypoints: np.ndarray  # (4, 2) hip centre, body-circle point, shoulder centre, upper-body-circle point
    support: int = 1  # detections of this body over all windows of its scale, itself included


@dataclass
class _Reading:
    """One landmark-model output, in pixels of the image it was run on."""

    landmarks: np.ndarray  # (33, 3)
    visibility: np.ndarray  # (33,)
    world_landmarks: np.ndarray  # (33, 3)
    auxiliary: np.ndarray  # (2, 2) hip centre and body-circle point, for the next region
    mask: np.ndarray  # (H, W) float32
    painted_box: np.ndarray | None = None  # (4,) what painting this person out changed, once accepted


class _PoseModels:
    """The MediaPipe graphs, built once: `threads` detectors (with a pool of as many threads), one landmark
    reader; every use goes through `lock`."""

    def __init__(self, threads: int = DETECTION_THREADS):
        from mediapipe.python.solution_base import SolutionBase

        self.lock = threading.Lock()
        self.detectors = [SolutionBase(graph_config=_DETECTION_GRAPH) for _ in range(threads)]
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="pose-detector") if threads > 1 else None
        self.landmarker = SolutionBase(
            graph_config=_LANDMARK_GRAPH,
            side_inputs={"model_complexity": _MODEL_COMPLEXITY_FULL, "enable_segmentation": True},
        )


_models: _PoseModels | None = None
_models_lock = threading.Lock()


def pose_models() -> _PoseModels:
    """Load MediaPipe's pose graphs on first use and reuse them afterwards."""
    global _models
    with _models_lock:
        if _models is None:
            _models = _PoseModels()
        return _models


def detect_people(
    image: np.ndarray | LoadedImage,
    max_people: int = 10,
    min_score: float = 0.5,
    with_masks: bool = False,
    min_height_fraction: float = MIN_HEIGHT_FRACTION,
) -> DetectionResult:
    """Every person in `image` ((H, W, 3) uint8 RGB, or a LoadedImage whose coordinates map back to the original).

    People smaller than `min_height_fraction` of the image height may be missed; a larger fraction
    means fewer detection windows (faster), e.g. for video frames.
    """
    rgb = _rgb_of(image)
    levels = window_levels(*rgb.shape[:2], min_height_fraction)
    models = pose_models()
    with models.lock:
        found = _find_people(models, rgb, levels, max_people, min_score)
    people = sorted((_to_person(reading, score, rgb.shape, with_masks) for score, reading in found), key=_centre_x)
    return _result(image, people)


def person_from_box(image: np.ndarray | LoadedImage, box, with_mask: bool = False) -> Person | None:
    """Landmarks of the one person inside `box` (x0, y0, x1, y1 pixels, same frame as the results); None if none.

    Everything outside the box (plus a small margin) is painted gray first, so neighbours cannot
    pull the landmarks onto themselves; the box itself is the landmark model's upright region.
    """
    rgb = _rgb_of(image)
    box_px = np.asarray(box, dtype=np.float64).reshape(4)
    if isinstance(image, LoadedImage):
        box_px = image.to_processing(box_px.reshape(2, 2)).reshape(4)
    x0, y0, x1, y1 = box_px
    assert x1 > x0 and y1 > y0, f"box must be (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got {box}"
    side = max(x1 - x0, y1 - y0) * ROI_SCALE
    isolated = _keep_only(rgb, box_px)
    models = pose_models()
    with models.lock:
        reading = _read(models, isolated, _region(np.array([(x0 + x1) / 2, (y0 + y1) / 2]), side, 0.0, rgb.shape))
        if reading is not None:
            reading = _refine(models, isolated, reading) or reading  # the user says someone is there
    if reading is None:
        return None
    person = _to_person(reading, 1.0, rgb.shape, with_mask, source="box")
    return _result(image, [person]).people[0]


def track_person(image: np.ndarray | LoadedImage, previous: Person, with_mask: bool = False) -> Person | None:
    """The person of the previous video frame, read again where they were; None once they are lost.

    As MediaPipe's video mode does: one landmark-model run in the region the previous frame's auxiliary
    landmarks imply, no detection. None when the model's presence flag says nobody is there or the
    reading is implausible; then detect again.
    """
    if previous.auxiliary is None:
        return None
    rgb = _rgb_of(image)
    points = np.asarray(previous.auxiliary, dtype=np.float64)
    if isinstance(image, LoadedImage):
        points = image.to_processing(points)
    models = pose_models()
    with models.lock:
        reading = _read(models, rgb, _region_from_points(points[0], points[1], rgb.shape))
    if reading is None or not _plausible(reading):
        return None
    person = _to_person(reading, previous.score, rgb.shape, with_mask, source="track")
    return _result(image, [person]).people[0]


def _keep_only(rgb: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Copy of `rgb` painted gray outside `box` (4,) grown by BOX_MARGIN of its size on each side."""
    x0, y0, x1, y1 = box
    grow_x, grow_y = BOX_MARGIN * (x1 - x0), BOX_MARGIN * (y1 - y0)
    height, width = rgb.shape[:2]
    left, top = int(max(0, x0 - grow_x)), int(max(0, y0 - grow_y))
    right, bottom = int(min(width, math.ceil(x1 + grow_x))), int(min(height, math.ceil(y1 + grow_y)))
    isolated = np.full_like(rgb, PAINT_GRAY)
    isolated[top:bottom, left:right] = rgb[top:bottom, left:right]
    return isolated


# ---- detection stage ----------------------------------------------------------------------------


def _detect(models: _PoseModels, rgb: np.ndarray, windows, min_score: float, cache: dict) -> list[_Candidate]:
    """Pose detections in `windows` and those cached from earlier rounds, in pixels of `rgb`, merged, best first.

    `cache` maps each window run so far to its detections; the windows given are (re)run into it.
    """
    for window, found in zip(windows, _run_windows(models, rgb, windows)):
        cache[window] = found
    candidates = [c for found in cache.values() for c in found if c.score >= min_score]
    keep = [candidates[i] for i in merge_detections([c.box for c in candidates], [c.score for c in candidates])]
    for candidate in keep:
        candidate.support = sum(_same_body(candidate, other) for other in candidates)
    return keep


def _run_windows(models: _PoseModels, rgb: np.ndarray, windows: list[tuple]) -> list[list[_Candidate]]:
    """Detections in each window, in the order given; every k-th window goes to the k-th detector graph."""
    count = min(len(models.detectors), len(windows))
    if count <= 1:
        return [_run_window(models.detectors[0], rgb, window) for window in windows]
    shares = models.pool.map(
        lambda k: [_run_window(models.detectors[k], rgb, window) for window in windows[k::count]], range(count)
    )
    found: list = [None] * len(windows)
    for k, share in enumerate(shares):
        found[k::count] = share
    return found


def _run_window(detector, rgb: np.ndarray, window: tuple[int, int, int, int]) -> list[_Candidate]:
    x0, y0, x1, y1 = window
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    detections = detector.process({"image": crop}).detections or []
    return [_candidate_from(d, (x0, y0), crop.shape) for d in detections]


def _same_body(a: _Candidate, b: _Candidate) -> bool:
    """Two detections (from different windows) whose shoulder centres fall together, relative to the torso."""
    torso = np.linalg.norm(a.keypoints[2] - a.keypoints[0])
    return bool(np.linalg.norm(a.keypoints[2] - b.keypoints[2]) < SAME_BODY_FRACTION * torso)


def _candidate_from(detection, offset: tuple[int, int], window_shape) -> _Candidate:
    """A MediaPipe Detection (normalised to its window) → pixels of the full image."""
    height, width = window_shape[:2]
    location = detection.location_data
    keypoints = np.array([[k.x * width, k.y * height] for k in location.relative_keypoints]) + offset
    b = location.relative_bounding_box
    box = np.array([b.xmin * width, b.ymin * height, (b.xmin + b.width) * width, (b.ymin + b.height) * height])
    return _Candidate(float(detection.score[0]), box + np.tile(offset, 2), keypoints)


# ---- landmark stage -----------------------------------------------------------------------------


def _region(centre: np.ndarray, side: float, rotation: float, shape) -> "NormalizedRect":
    """A square region in pixels → MediaPipe's NormalizedRect (normalised by the image's width and height)."""
    from mediapipe.framework.formats.rect_pb2 import NormalizedRect

    height, width = shape[:2]
    return NormalizedRect(
        x_center=centre[0] / width,
        y_center=centre[1] / height,
        width=side / width,
        height=side / height,
        rotation=rotation,
    )


def _region_from_points(centre: np.ndarray, circle_point: np.ndarray, shape, upright: bool = False):
    """MediaPipe's PoseDetectionToRoi: centre the square on the hips, turn it so the body points up."""
    dx, dy = circle_point - centre
    side = 2.0 * math.hypot(dx, dy) * ROI_SCALE
    rotation = 0.0 if upright else _wrap_angle(math.pi / 2 - math.atan2(-dy, dx))
    return _region(centre, side, rotation, shape)


def _wrap_angle(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def _read(models: _PoseModels, rgb: np.ndarray, roi) -> _Reading | None:
    """Run the landmark model on one region; None when its presence flag says nobody is there."""
    output = models.landmarker.process({"image": rgb, "roi": roi})
    if output.landmarks is None:
        return None
    height, width = rgb.shape[:2]
    image_points = np.array([[p.x * width, p.y * height, p.z * width] for p in output.landmarks.landmark])
    auxiliary = np.array([[p.x * width, p.y * height] for p in output.auxiliary_landmarks.landmark])
    return _Reading(
        landmarks=image_points,
        visibility=np.array([p.visibility for p in output.landmarks.landmark]),
        world_landmarks=np.array([[p.x, p.y, p.z] for p in output.world_landmarks.landmark]),
        auxiliary=auxiliary,
        mask=np.asarray(output.segmentation_mask, dtype=np.float32).reshape(height, width),
    )


def _refine(models: _PoseModels, rgb: np.ndarray, reading: _Reading) -> _Reading | None:
    """Read again in the region the first reading implies (MediaPipe's PoseLandmarksToRoi); None if nobody is there.

    A first reading on a detection of furniture often passes the model's presence threshold once, and
    fails it in the region its own landmarks imply.
    """
    roi = _region_from_points(reading.auxiliary[0], reading.auxiliary[1], rgb.shape)
    return _read(models, rgb, roi)


def _read_candidate(models: _PoseModels, rgb: np.ndarray, candidate: _Candidate) -> _Reading | None:
    """Detection → region → landmarks, retrying upright, then refined once."""
    hips, circle = candidate.keypoints[0], candidate.keypoints[1]
    for upright in (False, True):
        reading = _read(models, rgb, _region_from_points(hips, circle, rgb.shape, upright))
        if reading is not None:
            return _refine(models, rgb, reading)
    return None


# ---- several people -----------------------------------------------------------------------------


class _Canvas:
    """The image with every person found so far painted out in gray, and what the last paint changed."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.covered = np.zeros(rgb.shape[:2], dtype=bool)
        self.painted = rgb

    def paint(self, mask: np.ndarray) -> np.ndarray | None:
        """Paint out a person's mask (H, W); returns the box x0, y0, x1, y1 it changed (None: nothing)."""
        new = (mask > PAINT_THRESHOLD) & ~self.covered
        rows, cols = np.flatnonzero(new.any(1)), np.flatnonzero(new.any(0))
        if not len(rows):
            return None
        self.covered |= new
        self.painted = self.painted.copy()
        self.painted[new] = PAINT_GRAY
        return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])

    def painted_share(self, window: tuple[int, int, int, int]) -> float:
        x0, y0, x1, y1 = window
        return float(self.covered[y0:y1, x0:x1].mean())


def _find_people(models: _PoseModels, rgb: np.ndarray, levels: list[list[tuple]], max_people: int, min_score: float):
    """Detect, read, paint out the people found, and detect again, coarse windows to fine.

    The coarsest windows (whole image, squares of the short side) get up to MAX_ROUNDS rounds, each
    re-running only the windows the last round's painting touched; each finer scale then runs once on
    the painted image, skipping windows that are already mostly painted out.
    """
    found: list[tuple[float, _Reading]] = []
    canvas = _Canvas(rgb)
    for depth, windows in enumerate(levels):
        cache, changed = {}, None
        for _ in range(MAX_ROUNDS if depth == 0 else 1):
            to_run = [
                w
                for w in windows
                if (w not in cache or window_touches(w, changed)) and canvas.painted_share(w) < MOSTLY_PAINTED
            ]
            candidates = _detect(models, canvas.painted, to_run, min_score, cache)
            new = _one_round(models, canvas, candidates, found, max_people)
            found += new
            if not new or len(found) >= max_people:
                break
            changed = _union_box([reading.painted_box for _, reading in new])
        if len(found) >= max_people:
            break
    return _without_parts(found, rgb.shape)


def _union_box(boxes: list[np.ndarray | None]) -> np.ndarray | None:
    boxes = [box for box in boxes if box is not None]
    if not boxes:
        return None
    stacked = np.stack(boxes)
    return np.concatenate([stacked[:, :2].min(0), stacked[:, 2:].max(0)])


def _without_parts(found: list[tuple[float, "_Reading"]], shape) -> list[tuple[float, "_Reading"]]:
    """Drop readings of a hand, knee or ski inside a person already found (small boxes within a big one)."""
    boxes = [person_box(reading.landmarks, reading.visibility, shape) for _, reading in found]
    keep = []
    for i, box in enumerate(boxes):
        height = box[3] - box[1]
        is_part = any(
            j != i and _fraction_inside(box, other) >= PART_INSIDE and height < PART_HEIGHT * (other[3] - other[1])
            for j, other in enumerate(boxes)
        )
        if not is_part:
            keep.append(found[i])
    return keep


def _fraction_inside(box: np.ndarray, other: np.ndarray) -> float:
    """Share of `box`'s area (x0, y0, x1, y1) that lies inside `other`."""
    width = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
    height = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    return float(width * height / area)


def _one_round(models, canvas: _Canvas, candidates, found, max_people) -> list[tuple[float, _Reading]]:
    """Read every new candidate on the canvas, painting each accepted person out before reading the next.

    A person half hidden behind another is often read as the one in front. When a reading lands on
    another detected body instead of its own, it is taken as that body's, painted out, and the hidden
    person's detection is read once more on the painted canvas.
    """
    new: list[tuple[float, _Reading]] = []
    queue, retried = list(candidates), set()
    while queue and len(found) + len(new) < max_people:
        candidate = queue.pop(0)
        if canvas.painted_share(_pixel_bounds(candidate.box, canvas.covered.shape)) >= MOSTLY_PAINTED:
            continue  # the face it found is someone's already painted out
        if candidate.score < CONFIDENT_SCORE and candidate.support < 2:
            continue  # a weak detection that no overlapping window repeats
        reading = _read_candidate(models, canvas.painted, candidate)
        if reading is None or not _plausible(reading):
            continue
        if not _agrees(reading, candidate):
            owner = next((other for other in candidates if other is not candidate and _agrees(reading, other)), None)
            if owner is None or id(candidate) in retried:
                continue  # a skeleton mixed from neighbours, or read twice in vain
            retried.add(id(candidate))
            queue.insert(0, candidate)
            candidate = owner
        if _on_found_people(reading, canvas.covered):
            continue
        if any(_same_person(reading, other) for _, other in found + new):
            continue
        reading.painted_box = canvas.paint(reading.mask)
        new.append((candidate.score, reading))
    return new


def _agrees(reading: _Reading, candidate: _Candidate) -> bool:
    """Whether the landmarks sit on the detected body: shoulder centres within half the detected torso.

    Where two small people stand close, the region around one can hold the other, and the landmark
    model then mixes their bodies into one skeleton; such a reading has moved off the detection.
    """
    torso = np.linalg.norm(candidate.keypoints[2] - candidate.keypoints[0])
    shoulders = reading.landmarks[[LEFT_SHOULDER, RIGHT_SHOULDER], :2].mean(0)
    return bool(np.linalg.norm(shoulders - candidate.keypoints[2]) < AGREE_FRACTION * torso)


def _pixel_bounds(box: np.ndarray, shape) -> tuple[int, int, int, int]:
    """A box (4,) x0, y0, x1, y1 as whole pixels inside an image of `shape`, at least one pixel wide and high."""
    height, width = shape[:2]
    x0, y0 = int(np.clip(box[0], 0, width - 1)), int(np.clip(box[1], 0, height - 1))
    x1, y1 = int(np.clip(math.ceil(box[2]), x0 + 1, width)), int(np.clip(math.ceil(box[3]), y0 + 1, height))
    return x0, y0, x1, y1


def _on_found_people(reading: _Reading, covered: np.ndarray) -> bool:
    """Whether the reading's face and most of its torso (shoulders, hips) lie on people already found: a second
    reading of them. A face in the open above a painted torso is someone standing behind a person found."""
    torso_covered = sum(_on_covered(reading.landmarks[i, :2], covered) for i in TORSO) >= 3
    return torso_covered and _on_covered(reading.landmarks[FACE, :2].mean(0), covered)


def _on_covered(point: np.ndarray, covered: np.ndarray) -> bool:
    """Whether `point` (2,) pixels lies on a person already found (so the detection is about them)."""
    height, width = covered.shape
    x, y = int(np.clip(point[0], 0, width - 1)), int(np.clip(point[1], 0, height - 1))
    return bool(covered[y, x])


def _plausible(reading: _Reading) -> bool:
    """Whether the skeleton is a person's (core.pipeline.person_check), not furniture's or painted-out gray's."""
    return check_person(reading.world_landmarks, reading.visibility, reading.landmarks).ok


def _same_person(a: _Reading, b: _Reading) -> bool:
    """Faces at the same place (within half a shoulder width) mean the same person."""
    face_distance = np.linalg.norm(a.landmarks[FACE, :2].mean(0) - b.landmarks[FACE, :2].mean(0))
    return face_distance < SAME_FACE_FRACTION * max(_shoulder_width(a), _shoulder_width(b))


def _shoulder_width(reading: _Reading) -> float:
    return float(np.linalg.norm(reading.landmarks[LEFT_SHOULDER, :2] - reading.landmarks[RIGHT_SHOULDER, :2]))


# ---- outputs ------------------------------------------------------------------------------------


def _rgb_of(image: np.ndarray | LoadedImage) -> np.ndarray:
    rgb = image.rgb if isinstance(image, LoadedImage) else image
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8, (
        f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}; load files with core.image_io.load_image"
    )
    return np.ascontiguousarray(rgb)


def person_box(landmarks: np.ndarray, visibility: np.ndarray, shape) -> np.ndarray:
    """(4,) box around the visible landmarks ((33, 2+) pixels) plus a margin, clipped to the image.

    The torso (shoulders, hips) counts even where the model calls it hidden: a portrait's hips below
    the frame still mean the body fills the picture down to its edge.
    """
    height, width = shape[:2]
    torso = np.clip(landmarks[list(TORSO), :2], 0, [width, height])
    seen = np.concatenate([landmarks[visibility > VISIBLE, :2], torso])
    low, high = seen.min(0), seen.max(0)
    margin = BOX_MARGIN * (high - low)
    low = np.clip(low - margin, 0, [width, height])
    high = np.clip(high + margin, 0, [width, height])
    return np.concatenate([low, high])


def _to_person(reading: _Reading, score: float, shape, with_mask: bool, source: str = "detector") -> Person:
    return Person(
        box=person_box(reading.landmarks, reading.visibility, shape),
        score=score,
        landmarks=reading.landmarks,
        visibility=reading.visibility,
        world_landmarks=reading.world_landmarks,
        mask=reading.mask if with_mask else None,
        source=source,
        auxiliary=reading.auxiliary,
    )


def _centre_x(person: Person) -> float:
    return float(person.box[0] + person.box[2]) / 2


def _result(image: np.ndarray | LoadedImage, people: list[Person]) -> DetectionResult:
    """Package people, mapping pixels back to the original image when `image` is a LoadedImage."""
    if not isinstance(image, LoadedImage):
        return DetectionResult(people, tuple(image.shape[:2]), "" if people else NO_PERSON_MESSAGE)
    for person in people:
        person.box = image.to_original(person.box.reshape(2, 2)).reshape(4)
        person.landmarks = person.landmarks.copy()
        person.landmarks[:, :2] = image.to_original(person.landmarks[:, :2])
        person.landmarks[:, 2] *= image.to_original([[1.0, 1.0]])[0, 0]
        if person.auxiliary is not None:
            person.auxiliary = image.to_original(person.auxiliary)
    notes = list(image.notes)
    if any(person.mask is not None for person in people) and image.scale < 1.0:
        notes.append("Masks are at the processing size, not the original size.")
    return DetectionResult(people, image.original_size, "" if people else NO_PERSON_MESSAGE, notes)
