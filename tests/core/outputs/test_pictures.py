"""Pictures of a pipeline result: meshes where the camera puts them, side views, keypoints, labels, heat-maps."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from core.evaluation.metrics import method_vertex_distances
from core.outputs.pictures import (
    AGAINST_TRUTH_BACKGROUND,
    COMBINED,
    add_combined_views,
    against_truth,
    comparison_image,
    draw_landmarks,
    draw_method_joints,
    heatmap_meshes,
    projected_joints,
    render_views,
    turned_view_size,
    vertex_difference_heatmap,
)
from core.render import method_color
from core.render.camera import project
from core.render.colors import GROUND_TRUTH, METHOD_COLORS, method_hex, method_label, to_uint8
from core.testing.data import skier_analysis

LABELS_HEIGHT, LABELS_WIDTH = 80, 160  # top-left corner with the tags; the skier stands right of it


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return skier_analysis(tmp_path_factory)  # HMR, SPIN-GTA (random weights) and the fit; HybrIK missing


@pytest.fixture(scope="module")
def views(result):
    return render_views(result, opacity=1.0, side_view=True, top_view=True)


def _changed(picture: np.ndarray, photo: np.ndarray) -> np.ndarray:
    return (picture != photo).any(axis=-1)


def _camera_pixels(prediction, K, shift=(0.0, 0.0)) -> np.ndarray:
    return np.round(project(prediction.vertices + prediction.cam_t, K) + shift).astype(int)


def _fraction_inside(pixels: np.ndarray, mask: np.ndarray) -> float:
    height, width = mask.shape
    inside_image = (pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0) & (pixels[:, 1] < height)
    pixels = pixels[inside_image]
    return float(mask[pixels[:, 1], pixels[:, 0]].mean())


def test_every_method_has_an_overlay_and_views(result, views):
    assert result.methods == ("hmr", "spin_gta", "fit")
    assert tuple(views.overlays) == result.methods
    assert set(views.side) == set(views.top) == set(result.methods) | {COMBINED}
    for picture in [*views.overlays.values(), views.combined]:
        assert picture.shape == result.image.rgb.shape and picture.dtype == np.uint8
    for picture in [*views.side.values(), *views.top.values()]:
        assert picture.shape == (*turned_view_size(result.image.rgb.shape[:2]), 3) and picture.dtype == np.uint8
    assert views.seconds > 0


def test_turned_views_of_a_large_photo_are_drawn_smaller(result, views, monkeypatch):
    import core.outputs.pictures as pictures

    assert turned_view_size((1064, 1600)) == (532, 800)
    assert turned_view_size((425, 640)) == (425, 640)  # small photos keep their size
    monkeypatch.setattr(pictures, "TURNED_VIEW_MAX_SIDE", 320)
    small = render_views(result, side_view=True, top_view=True, combined=True)
    height, width = result.image.rgb.shape[:2]
    expected = (round(height * 320 / max(height, width)), round(width * 320 / max(height, width)), 3)
    assert all(picture.shape == expected for picture in [*small.side.values(), *small.top.values()])
    assert small.combined.shape == result.image.rgb.shape
    assert all(picture.shape == result.image.rgb.shape for picture in small.overlays.values())
    for method in result.methods:  # the same view, only smaller: the bodies fill about the same share of it
        share_small = (small.side[method] < 250).any(axis=-1).mean()
        share_full = (views.side[method] < 250).any(axis=-1).mean()  # (its label tag takes a larger share)
        assert share_small > 0.02 and abs(share_small - share_full) < 0.25 * share_full, method


def test_projected_vertices_fall_inside_each_methods_silhouette(result, views):
    person = result.people[0]
    for method, overlay in views.overlays.items():
        silhouette = _changed(overlay, result.image.rgb)
        # Vertices are triangle corners, on the silhouette's edge: allow one pixel.
        silhouette = cv2.dilate(silhouette.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        prediction = person.predictions[method]
        assert _fraction_inside(_camera_pixels(prediction, result.K), silhouette) >= 0.99, method
        # The same mesh drawn 40 pixels off would not match: the check can fail.
        assert _fraction_inside(_camera_pixels(prediction, result.K, (40, 0)), silhouette) < 0.9, method


def test_combined_overlay_holds_every_method(result, views):
    combined = _changed(views.combined, result.image.rgb)
    combined[:LABELS_HEIGHT, :LABELS_WIDTH] = True  # the corner tags differ: one label vs the legend
    for method, overlay in views.overlays.items():
        alone = _changed(overlay, result.image.rgb)
        assert (combined & alone).sum() >= 0.95 * alone.sum(), method


def test_the_all_methods_pictures_can_wait_until_asked_for(result, views):
    first = render_views(result, opacity=1.0, side_view=True, top_view=True, combined=False)
    assert first.combined is None and COMBINED not in first.side and COMBINED not in first.top
    for method in result.methods:  # what the page shows first is what a full drawing gives
        assert np.array_equal(first.overlays[method], views.overlays[method])
        assert np.array_equal(first.side[method], views.side[method])
    add_combined_views(first, result)
    assert np.array_equal(first.combined, views.combined)
    assert np.array_equal(first.side[COMBINED], views.side[COMBINED])
    assert np.array_equal(first.top[COMBINED], views.top[COMBINED])
    combined = first.combined
    assert add_combined_views(first, result).combined is combined  # drawn once


def test_side_view_shows_the_meshes_turned(result, views):
    from core.outputs.pictures import method_meshes
    from core.render import render_turned_view

    height, width = result.image.size
    for method in result.methods:
        side = (views.side[method] < 250).any(axis=-1)
        front = (render_turned_view(method_meshes(result, method), np.eye(3), height, width) < 250).any(axis=-1)
        assert side.sum() > 2000, method  # not empty
        iou = (side & front).sum() / (side | front).sum()
        assert iou < 0.8, f"{method}: the side view looks like the front view (IoU {iou:.2f})"
    assert not np.array_equal(views.side[COMBINED], views.top[COMBINED])


def test_labels_name_and_colour_each_picture(views):
    for method, overlay in views.overlays.items():
        corner = overlay[:14, :14].reshape(-1, 3)
        colours, counts = np.unique(corner, axis=0, return_counts=True)
        assert tuple(colours[counts.argmax()]) == to_uint8(method_color(method)), method


def test_each_method_is_drawn_with_the_ground_truth_in_its_own_grey(result):
    from core.evaluation.benchmark import bundled_set, truth_mesh

    truth = truth_mesh(bundled_set(), 0)  # posed by the open body model, the predictions by the stand-in SMPL
    pictures = against_truth(result, truth.vertices, truth.faces, 240, 320)
    assert tuple(pictures) == result.methods
    background = to_uint8(AGAINST_TRUTH_BACKGROUND)
    for method, picture in pictures.items():
        assert picture.shape == (240, 320, 3) and picture.dtype == np.uint8
        tags = [tuple(c) for c in picture[:LABELS_HEIGHT, :LABELS_WIDTH].reshape(-1, 3)]
        assert to_uint8(method_color(method)) in tags and to_uint8(METHOD_COLORS[GROUND_TRUTH]) in tags, method
        for half in (picture[:, :160], picture[:, 160:]):  # the camera's view and the view from its right
            drawn = (half != background).any(axis=-1)
            drawn[:LABELS_HEIGHT, :LABELS_WIDTH] = False
            assert drawn.sum() > 1000, method


def test_keypoints_are_drawn_on_request(result):
    only_fit = replace(result, methods=("fit",))
    plain = render_views(only_fit, side_view=False).overlays["fit"]
    marked = render_views(only_fit, show_keypoints=True, side_view=False).overlays["fit"]
    assert _changed(marked, plain).sum() > 200
    photo = result.image.rgb
    joints = projected_joints(result.people[0].predictions["fit"])
    radius = max(2, round(0.006 * max(photo.shape[:2])))
    gaps = np.linalg.norm(joints[:, None] - joints[None], axis=-1) + 1e3 * np.eye(len(joints))
    alone = np.round(joints[gaps.min(axis=1) > 2 * radius + 3]).astype(int)  # no neighbour's outline reaches them
    inside = (alone[:, 0] >= 0) & (alone[:, 0] < photo.shape[1]) & (alone[:, 1] >= 0) & (alone[:, 1] < photo.shape[0])
    assert inside.sum() >= 8
    drawn = draw_method_joints(photo, result, "fit")
    centre_colours = {tuple(drawn[y, x]) for x, y in alone[inside]}
    assert centre_colours == {to_uint8(method_color("fit"))}
    detection = result.people[0].person
    landmarks = detection.landmarks[detection.visibility > 0.5, :2]
    gaps = np.linalg.norm(landmarks[:, None] - landmarks[None], axis=-1) + 1e3 * np.eye(len(landmarks))
    apart = np.round(landmarks[gaps.min(axis=1) > 12]).astype(int)  # dots that no other dot's outline covers
    assert len(apart) >= 8
    assert (draw_landmarks(photo, result)[apart[:, 1], apart[:, 0]] == 255).all()


def test_heatmap_measures_procrustes_distances(result):
    picture, per_vertex_mm = vertex_difference_heatmap(result, 0, "hmr", "fit")
    person = result.people[0]
    expected = 1000 * method_vertex_distances(person.predictions["hmr"].vertices, person.predictions["fit"].vertices)
    np.testing.assert_allclose(per_vertex_mm, expected)
    assert picture.shape == result.image.rgb.shape and _changed(picture, result.image.rgb).sum() > 2000
    _, same_mm = vertex_difference_heatmap(result, 0, "fit", "fit")
    assert same_mm.max() < 1e-3
    with pytest.raises(ValueError, match="hybrik"):
        vertex_difference_heatmap(result, 0, "hybrik", "fit")
    with pytest.raises(ValueError, match="no reconstructed person 3"):
        vertex_difference_heatmap(result, 3, "hmr", "fit")


def test_heatmap_parts_split_the_faces_by_value():
    rng = np.random.default_rng(0)
    vertices = rng.normal(size=(40, 3)) + [0, 0, 5]
    faces = rng.permuted(np.tile(np.arange(40), (3, 1)), axis=1).T[:30]  # shared corners, 10 unused vertices
    values = rng.uniform(size=40)
    parts = heatmap_meshes(vertices, faces, values)
    corners = lambda triangles, points: sorted(map(tuple, points[triangles].reshape(-1, 9).round(9)))  # noqa: E731
    assert sorted(sum((corners(p.faces, p.vertices) for p in parts), [])) == corners(faces, vertices)
    for part in parts:  # each part keeps only the vertices its faces use
        assert len(part.vertices) == len(np.unique(part.faces)) == part.faces.max() + 1
    assert len(parts) > 1 and parts[0].color != parts[-1].color


def test_refined_methods_get_a_lighter_shade_and_a_label():
    base, refined = np.array(method_color("hmr")), np.array(method_color("hmr+fit"))
    assert (refined >= base).all() and (refined > base).any() and (refined < 1).any()
    assert method_label("hmr+fit") == "HMR + Fit"
    assert [method_label(m) for m in ["hmr", "hmr+fit"]] == ["HMR", "HMR + Fit"]
    assert method_hex("hmr") == "#{:02x}{:02x}{:02x}".format(*to_uint8(METHOD_COLORS["hmr"]))
    with pytest.raises(ValueError, match="no colour"):
        method_color("vibe+fit")


def test_comparison_sheet_has_a_column_per_method_and_one_for_all(views):
    sheet = comparison_image(views, tile_height=200)
    columns = len(views.overlays) + 1
    tile_width = round(views.combined.shape[1] * 200 / views.combined.shape[0])
    assert sheet.shape == (2 * 200 + 6, columns * tile_width + (columns - 1) * 6, 3)
