"""Pictures of a pipeline result: one overlay per method, side and top views, a combined overlay, heat-maps.

    result = analyse(image, PipelineOptions())
    views = render_views(result, opacity=0.8, show_keypoints=True)
    picture = comparison_image(views)          # overlays in a row, side views under them

Every mesh is drawn where the pipeline placed it: model-frame vertices + cam_t, through the shared
camera result.K, on the processing image result.image.rgb. Colours come from core.render.colors, so
the overlays, the GLB, the legend and the app's plots agree.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from core import joints as joint_sets
from core.body_models import SMPL_PARENTS
from core.evaluation.metrics import MM_PER_M, method_vertex_distances
from core.pipeline.analyse import person_label
from core.render import (
    MeshToDraw,
    draw_keypoints,
    method_color,
    render_overlay,
    render_side_view,
    render_top_view,
    render_turned_view,
)
from core.render.camera import project
from core.render.colors import GROUND_TRUTH, dark_text_on, method_label, to_uint8

COMBINED = "all"  # key of the all-methods side / top view, beside the method names
LANDMARK_COLOR = (1.0, 1.0, 1.0)  # MediaPipe's landmarks: white, so they never read as a method
JOINT_HALO_COLOR = (0.1, 0.1, 0.1)
LANDMARK_VISIBLE = 0.5  # MediaPipe visibility above which a landmark is drawn
HEATMAP_COLORMAP = "inferno"
HEATMAP_LEVELS = 32  # colour steps of the heat-map (one flat-coloured mesh part per step)
HEATMAP_SCALE_PERCENTILE = 98.0  # the colour bar tops out here, so one outlier does not wash out the rest
AGAINST_TRUTH_BACKGROUND = (0.2, 0.22, 0.25)  # dark, so the light grey ground truth stands out
# Side and top views are drawn with the photo's shape but no longer than this on their long side: the page shows
# them about 500 pixels wide and the comparison picture 480 high, and drawing a 1600-pixel view costs four times
# as much as an 800-pixel one for nothing anyone sees. Overlays keep the photo's size.
TURNED_VIEW_MAX_SIDE = 800

SMPL_EDGES = tuple((parent, child) for child, parent in enumerate(SMPL_PARENTS) if parent >= 0)
MEDIAPIPE_EDGE_NAMES = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_wrist", "left_pinky"),
    ("left_wrist", "left_index"),
    ("left_wrist", "left_thumb"),
    ("right_wrist", "right_pinky"),
    ("right_wrist", "right_index"),
    ("right_wrist", "right_thumb"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("left_ear", "left_eye"),
    ("left_eye", "nose"),
    ("nose", "right_eye"),
    ("right_eye", "right_ear"),
    ("mouth_left", "mouth_right"),
)
MEDIAPIPE_EDGES = tuple(
    (joint_sets.MEDIAPIPE_33.index(a), joint_sets.MEDIAPIPE_33.index(b)) for a, b in MEDIAPIPE_EDGE_NAMES
)


@dataclass
class Views:
    """All pictures (H, W, 3) uint8 of one result; overlays are the size of result.image.rgb, side and top views
    the same shape at most TURNED_VIEW_MAX_SIDE pixels long (`turned_view_size`)."""

    overlays: dict[str, np.ndarray]  # method → every person of that method over the photo
    side: dict[str, np.ndarray] = field(default_factory=dict)  # method (and COMBINED) → side view
    top: dict[str, np.ndarray] = field(default_factory=dict)  # method (and COMBINED) → top view, when asked
    combined: np.ndarray | None = None  # every method's meshes over one photo (None until drawn)
    seconds: float = 0.0  # time spent rendering
    opacity: float = 0.8  # how they were drawn, for the all-methods pictures drawn later
    show_keypoints: bool = False
    side_view: bool = True
    top_view: bool = False

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.overlays)


# Pictures are drawn by two threads: while OpenGL draws one, the other lights the next one's meshes and
# blends the last one onto the photo (OpenGL itself draws on its own thread, one picture at a time).
_drawing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hmrc-views")


def render_views(
    result,
    opacity: float = 0.8,
    show_keypoints: bool = False,
    side_view: bool = True,
    top_view: bool = False,
    combined: bool = True,
) -> Views:
    """Overlays per method and combined, plus side / top views, of an `ImageResult` (core.pipeline).

    combined=False leaves out the all-methods pictures (the app shows them only in its zip);
    `add_combined_views` draws them when they are asked for.
    """
    start = time.perf_counter()
    views = Views({}, opacity=opacity, show_keypoints=show_keypoints, side_view=side_view, top_view=top_view)
    height, width = turned_view_size(result.image.rgb.shape[:2])
    jobs = {}
    for method in result.methods:
        tag = (result.label(method), method_color(method))
        jobs["overlays", method] = lambda m=method, t=tag: draw_label(_method_overlay(result, m, views), *t)
        if side_view:
            jobs["side", method] = lambda m=method, t=tag: draw_label(
                render_side_view(method_meshes(result, m), height, width), *t
            )
        if top_view:
            jobs["top", method] = lambda m=method, t=tag: draw_label(
                render_top_view(method_meshes(result, m), height, width), *t
            )
    for (kind, method), picture in zip(jobs, _drawing.map(lambda job: job(), jobs.values())):
        getattr(views, kind)[method] = picture
    views.seconds = time.perf_counter() - start
    if combined:
        add_combined_views(views, result)
    return views


def add_combined_views(views: Views, result) -> Views:
    """Draw the all-methods overlay (and side / top views, as `views` has them) when they are missing."""
    if views.combined is not None:
        return views
    start = time.perf_counter()
    photo = result.image.rgb
    height, width = turned_view_size(photo.shape[:2])
    everything = [mesh for method in result.methods for mesh in method_meshes(result, method)]
    several = len(result.methods) > 1
    jobs = {"overlay": lambda: render_overlay(photo, everything, result.K, views.opacity)}
    if views.side_view and several:
        jobs["side"] = lambda: draw_legend(render_side_view(everything, height, width), result.methods, result.label)
    if views.top_view and several:
        jobs["top"] = lambda: draw_legend(render_top_view(everything, height, width), result.methods, result.label)
    drawn = dict(zip(jobs, _drawing.map(lambda job: job(), jobs.values())))
    combined = drawn["overlay"]
    if views.show_keypoints:
        combined = draw_landmarks(combined, result)
    views.combined = draw_legend(combined, result.methods, result.label)
    if "side" in drawn:
        views.side[COMBINED] = drawn["side"]
    if "top" in drawn:
        views.top[COMBINED] = drawn["top"]
    views.seconds += time.perf_counter() - start
    return views


def turned_view_size(photo_size: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of side and top views for a photo of `photo_size` (height, width): its shape, scaled down
    so the long side is at most TURNED_VIEW_MAX_SIDE."""
    height, width = photo_size
    scale = min(1.0, TURNED_VIEW_MAX_SIDE / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _method_overlay(result, method: str, views: Views) -> np.ndarray:
    overlay = render_overlay(result.image.rgb, method_meshes(result, method), result.K, views.opacity)
    if views.show_keypoints:
        overlay = draw_landmarks(draw_method_joints(overlay, result, method), result)
    return overlay


def against_truth(result, truth_vertices: np.ndarray, truth_faces: np.ndarray, height: int, width: int):
    """Per method: the first person's mesh (its colour) and the ground truth (GROUND_TRUTH's grey; vertices with
    the pelvis at the origin), pelvises together as MPJPE compares them, seen from the camera and from its right
    side by side: {method: (height, width, 3) uint8}."""
    person = result.people[0]
    faces = np.asarray(result.body_model.faces)
    truth = MeshToDraw(truth_vertices, truth_faces, method_color(GROUND_TRUTH), name=GROUND_TRUTH)
    pictures = {}
    for method in result.methods:
        prediction = person.predictions[method]
        mesh = MeshToDraw(prediction.vertices - prediction.joints[0], faces, method_color(method), name=method)
        front = render_turned_view([truth, mesh], np.eye(3), height, width // 2, background=AGAINST_TRUTH_BACKGROUND)
        side = render_side_view([truth, mesh], height, width - width // 2, background=AGAINST_TRUTH_BACKGROUND)
        pictures[method] = draw_legend(np.hstack([front, side]), [method, GROUND_TRUTH], result.label)
    return pictures


def method_meshes(result, method: str) -> list[MeshToDraw]:
    """Each person's mesh of `method` in the camera frame (vertices + cam_t), named `mesh_name(...)`."""
    faces = np.asarray(result.body_model.faces)
    return [
        MeshToDraw(
            person.predictions[method].vertices + person.predictions[method].cam_t,
            faces,
            method_color(method),
            name=mesh_name(method, person.index, result.custom_methods),
        )
        for person in result.people
        if method in person.predictions
    ]


def mesh_name(method: str, person_index: int, custom=()) -> str:
    """'hmr_person_1': a person's mesh in GLB scenes and bundles, numbered from 1 as on the page ('Person 1');
    a method run with the user's own checkpoint reads 'hmr-custom_person_1', a refined one 'hmr-fit_person_1'."""
    return f"{method_file_stem(method, custom)}_{person_file_label(person_index)}"


def method_file_stem(method: str, custom=()) -> str:
    """A method as it appears in file and node names: 'hmr+fit' → 'hmr-fit'; run with the user's own checkpoint
    (`custom`), 'hmr' → 'hmr-custom'."""
    return "-".join(part + ("-custom" if part in custom else "") for part in method.split("+"))


def person_file_label(person_index: int) -> str:
    """'person_1' for the first person (index 0): how files name the person the page calls 'Person 1'."""
    return person_label(person_index).lower().replace(" ", "_")


def projected_joints(prediction) -> np.ndarray:
    """(24, 2) pixels: the method's SMPL joints placed by cam_t and projected through its K, like its mesh."""
    return project(prediction.joints + prediction.cam_t, prediction.K)


def draw_method_joints(image: np.ndarray, result, method: str) -> np.ndarray:
    """Every person's projected SMPL joints and skeleton of `method`, in its colour over a dark halo
    (the joints lie on the method's own mesh, drawn in the same colour)."""
    radius = max(2, round(0.006 * max(image.shape[:2])))
    for person in result.people:
        if method in person.predictions:
            points = projected_joints(person.predictions[method])
            image = draw_keypoints(image, points, SMPL_EDGES, color=JOINT_HALO_COLOR, radius=radius + 2)
            image = draw_keypoints(image, points, SMPL_EDGES, color=method_color(method), radius=radius)
    return image


def draw_landmarks(image: np.ndarray, result) -> np.ndarray:
    """Every reconstructed person's visible MediaPipe landmarks and skeleton, in white."""
    for person in result.people:
        detection = person.person
        image = draw_keypoints(
            image,
            detection.landmarks[:, :2],
            MEDIAPIPE_EDGES,
            color=LANDMARK_COLOR,
            visibility=detection.visibility,
            threshold=LANDMARK_VISIBLE,
        )
    return image


def vertex_difference_heatmap(
    result, person_index: int, method_a: str, method_b: str, opacity: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """How far apart two methods' meshes of one person are, vertex by vertex.

    Method a's vertices are aligned onto method b's with a similarity (Procrustes), so only the pose and
    shape difference remains. Returns the photo (H, W, 3) uint8 with method b's mesh, in place and
    coloured by distance (colour bar in the corner), and the distances (V,) in millimetres.
    """
    person = _person(result, person_index)
    for method in (method_a, method_b):
        if method not in person.predictions:
            raise ValueError(f"person {person_index} has no '{method}' result; it has {sorted(person.predictions)}")
    a, b = person.predictions[method_a], person.predictions[method_b]
    per_vertex_mm = MM_PER_M * method_vertex_distances(a.vertices, b.vertices)
    top = max(float(np.percentile(per_vertex_mm, HEATMAP_SCALE_PERCENTILE)), 1.0)
    meshes = heatmap_meshes(b.vertices + b.cam_t, np.asarray(result.body_model.faces), per_vertex_mm / top)
    picture = render_overlay(result.image.rgb, meshes, result.K, opacity)
    title = f"{result.label(method_a)} vs {result.label(method_b)}, {person_label(person_index)}"
    return draw_colorbar(picture, top, title), per_vertex_mm


def heatmap_meshes(vertices: np.ndarray, faces: np.ndarray, values: np.ndarray) -> list[MeshToDraw]:
    """One flat-coloured part per colour step: faces grouped by their mean vertex value in [0, 1] (clipped).

    The renderers colour whole meshes, so a per-vertex colour map becomes up to HEATMAP_LEVELS meshes that
    split the faces; each keeps only the vertices its faces use (lighting them all for every part took most of
    the heat-map's time).
    """
    colormap = _colormap()
    face_values = np.clip(np.asarray(values)[faces].mean(axis=1), 0.0, 1.0)
    levels = np.minimum((face_values * HEATMAP_LEVELS).astype(int), HEATMAP_LEVELS - 1)
    meshes = []
    for level in np.unique(levels):
        used, part_faces = np.unique(faces[levels == level], return_inverse=True)
        color = tuple(colormap((level + 0.5) / HEATMAP_LEVELS)[:3])
        meshes.append(MeshToDraw(vertices[used], part_faces.reshape(-1, 3), color, name=f"heat_{level}"))
    return meshes


def comparison_image(views: Views, tile_height: int = 480) -> np.ndarray:
    """One picture: a column per method (overlay on top, side view below) and a last column with every
    method together, when there are several. Tiles are scaled to `tile_height` pixels."""
    columns = [(views.overlays[m], views.side.get(m)) for m in views.methods]
    if len(views.methods) > 1 and views.combined is not None:
        columns.append((views.combined, views.side.get(COMBINED)))
    if not columns:
        raise ValueError("nothing to compare: the result has no method output")
    rows = [[_fit_height(top, tile_height) for top, _ in columns]]
    if all(side is not None for _, side in columns):
        rows.append([_fit_height(side, tile_height) for _, side in columns])
    gap = 6
    return _grid(rows, gap)


# --- drawing helpers -------------------------------------------------------------------------------


def draw_label(image: np.ndarray, text: str, color: tuple[float, float, float]) -> np.ndarray:
    """`text` on a coloured tag in the top-left corner."""
    return _draw_tags(image, [(text, color)])


def draw_legend(image: np.ndarray, methods, label=method_label) -> np.ndarray:
    """One coloured tag per method (named by `label`, e.g. ImageResult.label), stacked in the top-left corner."""
    return _draw_tags(image, [(label(m), method_color(m)) for m in methods])


def draw_colorbar(image: np.ndarray, top_mm: float, title: str) -> np.ndarray:
    """A vertical colour bar (0 mm at the bottom, `top_mm` at the top) and a title in the top-left corner."""
    canvas = _draw_tags(image, [(title, (0.15, 0.15, 0.15))])
    height, width = canvas.shape[:2]
    scale = _text_scale(canvas)
    labels = ((f"{top_mm:.0f} mm", 0.0), ("0 mm", 1.0))  # text and height along the bar, top to bottom
    text_width = max(cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)[0][0] for text, _ in labels)
    bar_h, bar_w = int(0.45 * height), max(8, int(0.03 * width))
    x0, y0 = width - bar_w - text_width - 12, int(0.1 * height)
    ramp = _colormap()(np.linspace(1.0, 0.0, bar_h))[:, :3]
    canvas[y0 : y0 + bar_h, x0 : x0 + bar_w] = (255 * ramp[:, None, :]).round().astype(np.uint8)
    for text, along in labels:
        _outlined_text(canvas, text, (x0 + bar_w + 4, y0 + int(along * bar_h) + int(6 * scale)), scale)
    return canvas


def _draw_tags(image: np.ndarray, tags: list[tuple[str, tuple[float, float, float]]]) -> np.ndarray:
    canvas = np.ascontiguousarray(image).copy()
    scale = _text_scale(canvas)
    thickness = max(1, round(2 * scale))
    pad, y = max(3, round(6 * scale)), max(3, round(6 * scale))
    for text, color in tags:
        (text_w, text_h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        fill = to_uint8(color)
        ink = (0, 0, 0) if dark_text_on(color) else (255, 255, 255)
        cv2.rectangle(canvas, (pad, y), (pad + text_w + 2 * pad, y + text_h + baseline + pad), fill, -1)
        cv2.putText(
            canvas, text, (2 * pad, y + text_h + pad // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, thickness, cv2.LINE_AA
        )
        y += text_h + baseline + 2 * pad
    return canvas


def _outlined_text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float) -> None:
    thickness = max(1, round(2 * scale))
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def _text_scale(image: np.ndarray) -> float:
    """Font scale that reads at a glance: about 1/25 of the image's shorter side per line."""
    return max(0.4, min(image.shape[:2]) / 700.0)


def _fit_height(image: np.ndarray, height: int) -> np.ndarray:
    if image.shape[0] == height:
        return image
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    interpolation = cv2.INTER_AREA if image.shape[0] > height else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def _grid(rows: list[list[np.ndarray]], gap: int) -> np.ndarray:
    """Tiles (equal heights per row, equal widths per column) on a white sheet with `gap` pixels between them."""
    widths = [max(row[c].shape[1] for row in rows) for c in range(len(rows[0]))]
    heights = [max(tile.shape[0] for tile in row) for row in rows]
    sheet = np.full((sum(heights) + gap * (len(rows) - 1), sum(widths) + gap * (len(widths) - 1), 3), 255, np.uint8)
    y = 0
    for row, row_height in zip(rows, heights):
        x = 0
        for tile, column_width in zip(row, widths):
            sheet[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
            x += column_width + gap
        y += row_height + gap
    return sheet


def _colormap():
    import matplotlib  # only the heat-map needs it

    return matplotlib.colormaps[HEATMAP_COLORMAP]


def _person(result, person_index: int):
    for person in result.people:
        if person.index == person_index:
            return person
    raise ValueError(f"no reconstructed person {person_index}; people: {[p.index for p in result.people]}")
