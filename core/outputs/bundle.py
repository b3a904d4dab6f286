"""Everything about one analysed photo in a folder (or a zip): pictures, meshes, a GLB scene, parameters,
errors and a README that explains them.

    views = render_views(result)
    write_bundle(result, views, "out/skier")          # → list of written paths
    zip_bundle(result, views, "out/skier.zip")

The parameter files follow PARAMETER_SCHEMA, written into every bundle's README, so the documentation and
the files cannot drift apart. `read_parameters` reads either format back into the same dict.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import PIL.Image

from core.file_hash import sha256_of
from core.outputs.bvh import prediction_bvh
from core.outputs.meshes import export_glb, export_mesh
from core.outputs.pictures import (
    COMBINED,
    Views,
    comparison_image,
    mesh_name,
    method_file_stem,
    method_meshes,
    person_file_label,
    render_views,
)
from core.pipeline.inference import checkpoint_of
from core.render import renderer_info

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # 'str', 'int', 'float' or 'array' (float64)
    shape: tuple[int, ...]  # array shape; () for scalars
    description: str


PARAMETER_SCHEMA: tuple[Field, ...] = (
    Field("schema_version", "int", (), f"version of this schema ({SCHEMA_VERSION})"),
    Field("method", "str", (), "method id: hmr, hybrik, spin_gta, fit, or a refined one such as hmr+fit"),
    Field(
        "method_label", "str", (), "display name of the method; '(custom)' when it ran with the user's own checkpoint"
    ),
    Field("checkpoint", "str", (), "the checkpoint file the network ran with ('' for the keypoint fit)"),
    Field("checkpoint_origin", "str", (), "'official' (verified published file), 'custom' (the user's own) or ''"),
    Field("checkpoint_sha256", "str", (), "sha256 of that checkpoint file ('' for the keypoint fit)"),
    Field("body_model", "str", (), "'smpl' (the user's SMPL file) or 'open' (the bundled open body model)"),
    Field("body_model_description", "str", (), "which body-model file, vertex and face counts"),
    Field(
        "person_number", "int", (), "the person's number, as on the page ('Person 1'): detected people, left to right"
    ),
    Field("box_xyxy", "array", (4,), "the box every method saw: x0, y0, x1, y1 in processing-image pixels"),
    Field("global_orient", "array", (3,), "root rotation, axis-angle in radians, in the camera frame"),
    Field("body_pose", "array", (23, 3), "SMPL joints 1..23, axis-angle in radians, relative to the parent"),
    Field("betas", "array", (10,), "shape coefficients used for the mesh (zeros with the open body model)"),
    Field(
        "transl",
        "array",
        (3,),
        "camera-frame translation in metres (cam_t): camera-frame vertices = "
        "body model(betas, global_orient, body_pose) + transl",
    ),
    Field("K", "array", (3, 3), "camera intrinsics in processing-image pixels (OpenCV convention)"),
    Field("image_size", "array", (2,), "height, width of the processing image in pixels"),
    Field("original_image_size", "array", (2,), "height, width of the photo as stored (after EXIF rotation)"),
    Field("image_scale", "float", (), "processing pixels per original pixel (1.0 unless the photo was downscaled)"),
    Field("focal_length_px", "float", (), "focal length in processing-image pixels (K[0, 0])"),
    Field("fov_deg", "float", (), "diagonal field of view in degrees that gives this focal length"),
    Field(
        "fov_source",
        "str",
        (),
        "where fov_deg came from: 'given' (by the user), 'EXIF' (the photo's 35 mm-"
        "equivalent focal length) or 'default'",
    ),
)
ERROR_COLUMNS = ("person_number", "method", "joint", "error_px", "error_percent_of_box_height")
MEAN_ROW = "mean"  # joint name of each method's mean row in the error table


def write_bundle(result, views: Views, folder: str | Path) -> list[Path]:
    """Write every file of the bundle into `folder` (created); returns the written paths, README first."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [_write_readme(result, folder / "README.md")]
    written += _write_pictures(views, folder, result.custom_methods)
    for person in result.people:
        for method, prediction in person.predictions.items():
            stem = f"{person_file_label(person.index)}_{method_file_stem(method, result.custom_methods)}"
            name = mesh_name(method, person.index, result.custom_methods)
            mesh = next(m for m in method_meshes(result, method) if m.name == name)
            written += [export_mesh(mesh, folder / "meshes" / f"{stem}.{suffix}") for suffix in ("obj", "ply")]
            written += write_parameters(parameters(result, person, prediction), folder / "parameters" / stem)
            written.append(write_bvh(prediction, result.body_model, folder / "skeletons" / f"{stem}.bvh"))
    everything = [mesh for method in result.methods for mesh in method_meshes(result, method)]
    written.append(export_glb(everything, result.K, result.image.rgb, folder / "scene.glb"))
    written.append(write_error_table(result, folder / "errors_2d.csv"))
    written.append(_write_summary(result, views, folder / "summary.json"))
    return written


def bundle_photo(
    image, options, folder: str | Path, opacity: float = 0.8, show_keypoints: bool = False, top_view: bool = False
) -> tuple:
    """Analyse one photo (`core.pipeline.analyse.analyse(image, options)`), draw it and write its bundle into
    `folder`; returns (result, written paths), no paths when nobody was reconstructed."""
    from core.pipeline.analyse import analyse

    result = analyse(image, options)
    if not result.people:
        return result, []
    views = render_views(result, opacity=opacity, show_keypoints=show_keypoints, top_view=top_view)
    return result, write_bundle(result, views, folder)


def write_bvh(prediction, body_model, path: Path) -> Path:
    """The prediction's pose as a one-frame BVH file (core.outputs.bvh)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(prediction_bvh(prediction, body_model))
    return path


def zip_bundle(result, views: Views, zip_path: str | Path) -> Path:
    """The bundle as one zip file (for a download button); files sit at the zip's top level."""
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        files = write_bundle(result, views, scratch)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(scratch).as_posix())
    return zip_path


# --- parameters ------------------------------------------------------------------------------------


def parameters(result, person, prediction) -> dict:
    """One person and method as a dict following PARAMETER_SCHEMA (arrays float64)."""
    pose_aa = np.asarray(prediction.pose_aa, np.float64).reshape(-1, 3)
    assert pose_aa.shape == (24, 3), f"{prediction.method}: pose_aa must be (24, 3) axis-angle, got {pose_aa.shape}"
    height, width = result.image.size
    focal = float(prediction.K[0, 0])
    checkpoint = checkpoint_of(prediction)
    values = {
        "schema_version": SCHEMA_VERSION,
        "method": prediction.method,
        "method_label": result.label(prediction.method),
        "checkpoint": str(checkpoint.path) if checkpoint else "",
        "checkpoint_origin": ("custom" if checkpoint.custom else "official") if checkpoint else "",
        "checkpoint_sha256": sha256_of(checkpoint.path) if checkpoint and checkpoint.path.is_file() else "",
        "body_model": result.body_model.kind,
        "body_model_description": result.body_model_description,
        "person_number": int(person.index) + 1,
        "box_xyxy": prediction.box,
        "global_orient": pose_aa[0],
        "body_pose": pose_aa[1:],
        "betas": prediction.betas,
        "transl": prediction.cam_t,
        "K": prediction.K,
        "image_size": [height, width],
        "original_image_size": list(result.image.original_size),
        "image_scale": float(result.image.scale),
        "focal_length_px": focal,
        "fov_deg": math.degrees(2.0 * math.atan(math.hypot(width, height) / 2.0 / focal)),
        "fov_source": result.fov_source,
    }
    values = {f.name: _typed(f, values[f.name]) for f in PARAMETER_SCHEMA}
    wrong = [
        f"{f.name} {values[f.name].shape}"
        for f in PARAMETER_SCHEMA
        if f.kind == "array" and values[f.name].shape != f.shape
    ]
    assert not wrong, f"{prediction.method}: shapes differ from PARAMETER_SCHEMA: {wrong}"
    return values


def write_parameters(values: dict, stem: str | Path) -> list[Path]:
    """`values` (PARAMETER_SCHEMA) as stem.npz and stem.json; returns both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    npz_path, json_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
    np.savez(npz_path, **{f.name: np.asarray(values[f.name]) for f in PARAMETER_SCHEMA})
    as_json = {f.name: values[f.name].tolist() if f.kind == "array" else values[f.name] for f in PARAMETER_SCHEMA}
    # One key per line, each value compact: readable, and arrays stay one line per row at most.
    json_path.write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in as_json.items()) + "\n}\n")
    return [npz_path, json_path]


def read_parameters(path: str | Path) -> dict:
    """A parameter file (.npz or .json) back as the dict `parameters` made: str / int / float / float64 arrays."""
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            raw = {name: data[name] for name in data.files}
    elif path.suffix == ".json":
        raw = json.loads(path.read_text())
    else:
        raise ValueError(f"{path}: parameter files end in .npz or .json")
    missing = [f.name for f in PARAMETER_SCHEMA if f.name not in raw]
    if missing:
        raise ValueError(f"{path}: not a parameter file of schema {SCHEMA_VERSION}; missing keys {missing}")
    return {f.name: _typed(f, raw[f.name]) for f in PARAMETER_SCHEMA}


def _typed(field: Field, value):
    if field.kind == "array":
        return np.asarray(value, dtype=np.float64)
    if field.kind == "str":
        return str(value)
    if field.kind == "int":
        return int(value)
    return float(value)


# --- tables, pictures, README ----------------------------------------------------------------------


def error_rows(result) -> list[dict]:
    """Per person, method and joint: 2D error against MediaPipe (pixels, % of box height); then each method's mean."""
    rows = []
    for person in result.people:
        for method, errors in person.errors_2d.items():
            for joint, px, percent in zip(errors.names, errors.pixels, errors.percent_of_box_height):
                if np.isfinite(px):
                    rows.append(_error_row(person.index + 1, method, joint, px, percent))
            rows.append(_error_row(person.index + 1, method, MEAN_ROW, errors.mean_pixels, errors.mean_percent))
    return rows


def write_error_table(result, path: str | Path) -> Path:
    path = Path(path)
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=ERROR_COLUMNS)
        writer.writeheader()
        writer.writerows(error_rows(result))
    return path


def _error_row(person_number: int, method: str, joint: str, pixels: float, percent: float) -> dict:
    return dict(zip(ERROR_COLUMNS, (person_number, method, joint, _rounded(pixels), _rounded(percent))))


def _rounded(value: float):
    return "" if not np.isfinite(value) else round(float(value), 3)


def picture_files(views: Views, custom=()) -> dict[str, np.ndarray]:
    """File name → picture, for every picture in `views` plus the comparison sheet (`custom`: methods run with the
    user's own checkpoint, named 'hmr-custom' in file names)."""
    pictures = {"comparison.png": comparison_image(views)}
    pictures.update({f"overlay_{method_file_stem(m, custom)}.png": image for m, image in views.overlays.items()})
    if views.combined is not None:
        pictures[f"overlay_{COMBINED}.png"] = views.combined
    pictures.update({f"side_{method_file_stem(m, custom)}.png": image for m, image in views.side.items()})
    pictures.update({f"top_{method_file_stem(m, custom)}.png": image for m, image in views.top.items()})
    return pictures


def _write_pictures(views: Views, folder: Path, custom=()) -> list[Path]:
    written = []
    for name, image in picture_files(views, custom).items():
        PIL.Image.fromarray(image).save(folder / name)
        written.append(folder / name)
    return written


def _write_summary(result, views: Views, path: Path) -> Path:
    summary = {
        "schema_version": SCHEMA_VERSION,
        "methods": list(result.methods),
        "unavailable": result.unavailable,
        "people": [person.index + 1 for person in result.people],  # numbered as on the page: Person 1, ...
        "checkpoints": {
            method: {"path": str(choice.path), "origin": "custom" if choice.custom else "official"}
            for method, choice in _checkpoints(result).items()
        },
        "detected_people": len(result.detected),
        "body_model": result.body_model_description,
        "renderer": renderer_info(),
        "image_notes": list(result.image.notes),
        "timings_seconds": {**result.timings, "rendering": views.seconds},
        "message": result.message,
    }
    path.write_text(json.dumps(summary, indent=1))
    return path


README_FILES = (
    (
        "comparison.png",
        "every method side by side: overlays on the photo above, side views below; the last "
        "column holds all methods together",
    ),
    ("overlay_<method>.png", "the method's meshes of every person over the photo (overlay_all.png: all methods)"),
    ("side_<method>.png", "the same meshes turned 90° about the vertical axis (seen from the camera's right)"),
    ("top_<method>.png", "seen from above, the camera at the bottom (only when top views were asked for)"),
    (
        "meshes/person_<n>_<method>.obj, .ply",
        "one mesh per person and method, vertex-coloured, y-up (see below); people are numbered from 1 as on the page",
    ),
    (
        "skeletons/person_<n>_<method>.bvh",
        "the pose as a BVH motion file (one frame) on SMPL's 24-joint skeleton, "
        "for Blender and other animation tools; same y-up frame as the meshes",
    ),
    ("scene.glb", "all meshes, the camera and the photo as a textured plane behind the people (glTF, y-up)"),
    (
        "parameters/person_<n>_<method>.npz, .json",
        "the body-model parameters and camera (schema below); both files hold the same values",
    ),
    (
        "errors_2d.csv",
        "per person, method and joint: distance in pixels and in % of the person's box height "
        "between the method's projected joint and MediaPipe's landmark (visible landmarks the two "
        "skeletons share), then a 'mean' row per method",
    ),
    ("summary.json", "methods that ran, methods that could not run and why, body model, renderer, timings"),
)

CONVENTIONS = """\
- Pixels: the processing image (the photo, downscaled when its longest side is over 4096 pixels; see
  `image_scale`). x right, y down, pixel centres at integer coordinates.
- Parameters (.npz/.json) use the OpenCV camera frame: x right, y down, z forward (away from the
  camera), metres. Posing the body model with `global_orient`, `body_pose`, `betas` and adding
  `transl` (e.g. `smplx.SMPL(...)(betas=, global_orient=, body_pose=, transl=)`) gives the mesh
  exactly where it is drawn in the overlays; projecting it with `K` gives its pixels.
- Meshes (.obj/.ply), scene.glb and the BVH skeletons use the glTF / OpenGL convention: y up, the photo's
  camera at the origin looking down -z; they are the OpenCV-frame meshes with y and z negated. BVH: offsets and
  the root position in metres, rotations in degrees, channels Zrotation Yrotation Xrotation (R = Rz·Ry·Rx),
  joint names as SMPL's; the head, feet and hands end in End Sites.
- Method ids: hmr, hybrik, spin_gta (networks from mmhuman3d), fit (MediaPipe keypoint fit);
  'hmr+fit' is HMR refined with the keypoint fit (written 'hmr-fit' in file names). A network run with the
  user's own checkpoint instead of the official one is labelled '(custom)' and written 'hmr-custom'.
"""


def readme_text(result) -> str:
    """The bundle's README.md: files, coordinate conventions and the parameter schema (from PARAMETER_SCHEMA)."""
    lines = ["# hmr-compare results", ""]
    lines += [
        f"Methods: {', '.join(result.label(m) for m in result.methods) or 'none'}. "
        f"People: {len(result.people)}. Body model: {result.body_model.kind}.",
        "",
    ]
    for method, reason in result.unavailable.items():
        lines.append(f"- {result.label(method)} did not run: {reason}")
    lines += ["", "## Files", ""] + [f"- `{name}`: {text}" for name, text in README_FILES]
    lines += [
        "",
        "## Coordinate conventions",
        "",
        CONVENTIONS,
        f"## Parameter files (schema version {SCHEMA_VERSION})",
        "",
        "| key | type | shape | meaning |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{f.name}` | {f.kind} | {f.shape or ''} | {f.description} |" for f in PARAMETER_SCHEMA]
    lines += [
        "",
        "Read either file with `core.outputs.bundle.read_parameters(path)`, or `numpy.load` / `json.load`.",
        "",
    ]
    return "\n".join(lines)


def _checkpoints(result) -> dict:
    """Method → the CheckpointChoice its predictions came from (networks only)."""
    return {
        method: checkpoint_of(prediction)
        for person in result.people
        for method, prediction in person.predictions.items()
        if checkpoint_of(prediction) is not None
    }


def _write_readme(result, path: Path) -> Path:
    path.write_text(readme_text(result))
    return path
