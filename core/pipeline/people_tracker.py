"""Several people followed through a video, each keeping one identity.

Per frame:
1. Every person seen in the previous frame is read again where they were (`track_person`, one
   landmark-model run, as MediaPipe's video mode does). A reading that jumps away from where the
   person was heading, or that two people share (the one behind read as the one in front), is not
   kept for the one whose prediction it fits worse: that person is lost for this frame.
2. Detection (`detect_people`) runs every `detect_every` frames, at once when someone was lost, and
   every other frame while someone lost may come back. Detections on a person already read are
   dropped; the rest are matched to the lost people (distance from where each was heading at their
   last speed, similar height and clothing colours, one to one by the Hungarian method); what is
   left starts new people.
3. A new person counts once seen in `confirm` frames; until then they are tentative, and a tentative
   person who disappears never existed (single-frame detections of furniture do not become people).
   A lost person is kept for `keep_lost` frames and picked up again if found near where they were
   heading; after that their identity ends.
Identities are numbered 1, 2, ... in the order people are confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from core.pipeline.detect import Person, detect_people, track_person
from core.pipeline.detection_windows import box_iou

VIDEO_MIN_HEIGHT_FRACTION = 0.15  # detection windows for people down to this share of the frame height
DETECT_EVERY = 5  # frames between detections while everyone is followed
CONFIRM = 3  # frames a new person must be seen in before they count
KEEP_LOST = 20  # frames a lost person is waited for
FOLLOW_IOU = 0.3  # a followed reading overlapping its prediction less than this has jumped to something else
SAME_BODY_IOU = 0.5  # two readings overlapping this much are one body
DUPLICATE_IOU = 0.4  # a detection overlapping a followed person this much is them
REACQUIRE_DISTANCE = 1.0  # most distance (× their height) between a detection and where a lost person was heading
REACQUIRE_SIZE = 1.6  # most ratio between their heights
COLOUR_WEIGHT = 0.5  # share of the matching cost given to clothing colours (the rest to box overlap)
HUE_BINS, SATURATION_BINS = 12, 4


@dataclass(eq=False)  # one object per person: tracks are dictionary keys
class Track:
    """One person through the video."""

    key: int  # internal, in order of first sighting
    first_frame: int
    last_frame: int
    seen: dict[int, Person] = field(default_factory=dict)  # frame index → reading
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # box centre's change per frame (2,) pixels
    colours: np.ndarray | None = None  # (HUE_BINS * SATURATION_BINS,) torso colour histogram, running mean
    identity: int | None = None  # 1, 2, ... once confirmed

    @property
    def person(self) -> Person:
        return self.seen[self.last_frame]

    def predicted_box(self, frame: int) -> np.ndarray:
        """(4,) the last box moved on at the last speed (its size kept)."""
        return self.person.box + np.tile(self.velocity * (frame - self.last_frame), 2)

    def add(self, frame: int, person: Person, colours: np.ndarray | None) -> None:
        gap = frame - self.last_frame
        if self.seen and gap > 0:
            step = (_centre(person.box) - _centre(self.person.box)) / gap
            self.velocity = step if len(self.seen) == 1 else 0.7 * self.velocity + 0.3 * step
        self.seen[frame] = person
        self.last_frame = frame
        if colours is not None:
            self.colours = colours if self.colours is None else 0.8 * self.colours + 0.2 * colours


class PeopleTracker:
    """Feed frames in order with `update`; `people()` gives the confirmed tracks."""

    def __init__(
        self,
        detect_every: int = DETECT_EVERY,
        confirm: int = CONFIRM,
        keep_lost: int = KEEP_LOST,
        min_height_fraction: float = VIDEO_MIN_HEIGHT_FRACTION,
        max_people: int = 10,
    ):
        self.detect_every, self.confirm, self.keep_lost = detect_every, confirm, keep_lost
        self.min_height_fraction, self.max_people = min_height_fraction, max_people
        self.tracks: list[Track] = []
        self.ended: list[Track] = []
        self.last_detection: int | None = None
        self.detections_run = 0
        self._next_key = 0
        self._next_identity = 1

    def update(self, frame: int, rgb: np.ndarray) -> list[Track]:
        """Follow, detect and match on one frame (H, W, 3) uint8; returns the confirmed people seen in it."""
        followed = self._follow(frame, rgb)
        lost = [t for t in self.tracks if t not in followed]
        if self._should_detect(frame, lost, followed):
            self._detect(frame, rgb, followed, lost)
        for track, person in followed.items():
            track.add(frame, person, torso_colours(rgb, person))
        self._retire(frame)
        return [t for t in self.tracks if t.identity is not None and t.last_frame == frame]

    def people(self) -> list[Track]:
        """Every confirmed person, by identity."""
        return sorted((t for t in self.tracks + self.ended if t.identity is not None), key=lambda t: t.identity)

    # ---- steps ----------------------------------------------------------------------------------

    def _follow(self, frame: int, rgb: np.ndarray) -> dict[Track, Person]:
        readings = {}
        for track in self.tracks:
            if track.last_frame != frame - 1:
                continue
            person = track_person(rgb, track.person)
            if person is not None and box_iou(person.box, track.predicted_box(frame)) >= FOLLOW_IOU:
                readings[track] = person
        for a in list(readings):
            for b in list(readings):
                if a is b or a not in readings or b not in readings:
                    continue
                if box_iou(readings[a].box, readings[b].box) >= SAME_BODY_IOU:
                    worse = min((a, b), key=lambda t: box_iou(readings[t].box, t.predicted_box(frame)))
                    del readings[worse]  # the one behind, read as the one in front
        return readings

    def _should_detect(self, frame: int, lost: list[Track], followed: dict) -> bool:
        if self.last_detection is None:
            return True
        since = frame - self.last_detection
        just_lost = any(t.last_frame == frame - 1 for t in lost)
        return since >= self.detect_every or just_lost or (bool(lost) and since >= 2)

    def _detect(self, frame: int, rgb: np.ndarray, followed: dict[Track, Person], lost: list[Track]) -> None:
        self.last_detection, self.detections_run = frame, self.detections_run + 1
        found = detect_people(rgb, max_people=self.max_people, min_height_fraction=self.min_height_fraction).people
        fresh = [p for p in found if all(box_iou(p.box, f.box) < DUPLICATE_IOU for f in followed.values())]
        colours = [torso_colours(rgb, p) for p in fresh]
        taken = self._match(frame, fresh, colours, lost)
        for index, track in taken.items():
            followed[track] = fresh[index]
        for index, person in enumerate(fresh):
            if index not in taken:
                track = Track(self._next_key, frame, frame)
                self._next_key += 1
                track.add(frame, person, colours[index])
                self.tracks.append(track)

    def _match(self, frame: int, people: list[Person], colours: list, lost: list[Track]) -> dict[int, Track]:
        """Detections ↔ lost people, one to one, by overlap with where each was heading and clothing colours."""
        if not people or not lost:
            return {}
        cost = np.full((len(people), len(lost)), 1e6)
        for i, person in enumerate(people):
            for j, track in enumerate(lost):
                expected = track.predicted_box(frame)
                size = expected[3] - expected[1]
                distance = np.linalg.norm(_centre(person.box) - _centre(expected)) / size
                ratio = (person.box[3] - person.box[1]) / size
                if distance > REACQUIRE_DISTANCE or not 1 / REACQUIRE_SIZE < ratio < REACQUIRE_SIZE:
                    continue
                difference = colour_distance(colours[i], track.colours)
                cost[i, j] = (1 - COLOUR_WEIGHT) * distance / REACQUIRE_DISTANCE + COLOUR_WEIGHT * difference
        rows, cols = linear_sum_assignment(cost)
        return {int(i): lost[j] for i, j in zip(rows, cols) if cost[i, j] < 1e6}

    def _retire(self, frame: int) -> None:
        for track in list(self.tracks):
            if track.identity is None and len(track.seen) >= self.confirm:
                track.identity, self._next_identity = self._next_identity, self._next_identity + 1
            unconfirmed_gone = track.identity is None and track.last_frame < frame
            if unconfirmed_gone or frame - track.last_frame > self.keep_lost:
                self.tracks.remove(track)
                if track.identity is not None:
                    self.ended.append(track)


def _centre(box: np.ndarray) -> np.ndarray:
    return (box[:2] + box[2:]) / 2


def torso_colours(rgb: np.ndarray, person: Person) -> np.ndarray | None:
    """(HUE_BINS * SATURATION_BINS,) normalised hue-saturation histogram inside the shoulders-hips quadrilateral."""
    corners = person.landmarks[[11, 12, 24, 23], :2]
    height, width = rgb.shape[:2]
    x0, y0 = np.clip(np.floor(corners.min(0)).astype(int), 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(corners.max(0)).astype(int) + 1, 1, [width, height])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners - [x0, y0]).astype(np.int32), 1)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    histogram = cv2.calcHist([hsv], [0, 1], mask, [HUE_BINS, SATURATION_BINS], [0, 180, 0, 256]).ravel()
    total = histogram.sum()
    return histogram / total if total > 0 else None


def colour_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Hellinger distance in [0, 1] between two histograms; 0.5 when either is unknown."""
    if a is None or b is None:
        return 0.5
    return float(np.sqrt(max(0.0, 1.0 - np.sqrt(a * b).sum())))
