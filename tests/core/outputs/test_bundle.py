"""The result bundle: every promised file, parameters exactly as documented, both formats equal."""

import csv
import json
import zipfile

import numpy as np
import pytest
import torch
import trimesh

from core.geometry import focal_from_fov
from core.joints import SMPL_JOINTS
from core.outputs.bundle import (
    ERROR_COLUMNS,
    MEAN_ROW,
    PARAMETER_SCHEMA,
    README_FILES,
    read_parameters,
    readme_text,
    write_bundle,
    zip_bundle,
)
from core.outputs.pictures import method_file_stem, render_views
from core.testing.bvh import forward_kinematics, parse_bvh
from core.testing.data import skier_analysis


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return skier_analysis(tmp_path_factory)  # HMR, SPIN-GTA (random stand-ins: custom) and the fit; HybrIK missing


def _stem(result, method: str) -> str:
    return f"person_1_{method_file_stem(method, result.custom_methods)}"


@pytest.fixture(scope="module")
def bundle(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    views = render_views(result)
    return folder, write_bundle(result, views, folder), views


def test_every_promised_file_is_written_and_listed(result, bundle, expected_files):
    folder, written, _ = bundle
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    expected = expected_files(result.methods, custom=result.custom_methods)
    assert on_disk == {p.relative_to(folder).as_posix() for p in written} == expected
    assert "person_1_hmr-custom.json" in {p.name for p in written}  # numbered as on the page, labelled custom
    assert all(p.stat().st_size > 0 for p in written)


def test_parameter_files_hold_exactly_the_documented_keys_in_both_formats(result, bundle):
    folder = bundle[0]
    names = [f.name for f in PARAMETER_SCHEMA]
    for method in result.methods:
        stem = folder / "parameters" / _stem(result, method)
        with np.load(stem.with_suffix(".npz")) as data:
            assert data.files == names
        assert list(json.loads(stem.with_suffix(".json").read_text())) == names
        from_npz, from_json = read_parameters(stem.with_suffix(".npz")), read_parameters(stem.with_suffix(".json"))
        for field in PARAMETER_SCHEMA:
            a, b = from_npz[field.name], from_json[field.name]
            if field.kind == "array":
                assert a.shape == b.shape == field.shape and np.array_equal(a, b), field.name
            else:
                assert type(a) is type(b) and a == b, field.name


def test_parameters_describe_the_drawn_mesh_and_camera(result, bundle):
    folder, person = bundle[0], result.people[0]
    for method, prediction in person.predictions.items():
        values = read_parameters(folder / "parameters" / f"{_stem(result, method)}.json")
        assert values["method"] == method and values["person_number"] == 1
        if method == "fit":
            assert values["method_label"] == "Fit" and values["checkpoint"] == values["checkpoint_origin"] == ""
        else:  # the stand-ins run as the user's own checkpoints
            assert values["method_label"].endswith("(custom)") and values["checkpoint_origin"] == "custom"
            assert values["checkpoint"].endswith(f"standin_{method}.pth") and len(values["checkpoint_sha256"]) == 64
        assert values["body_model"] == result.body_model.kind
        np.testing.assert_allclose(values["box_xyxy"], person.person.box, atol=1e-3)  # float32 in the models
        np.testing.assert_allclose(values["K"], result.K)
        assert tuple(values["image_size"]) == result.image.size and values["image_scale"] == 1.0
        assert focal_from_fov(values["fov_deg"], result.image.size) == pytest.approx(values["focal_length_px"])
        # Posing the body model with the file's values and adding transl gives the drawn mesh.
        as_tensor = lambda name: torch.as_tensor(values[name], dtype=torch.float32).reshape(1, -1)  # noqa: E731
        with torch.no_grad():
            posed = result.body_model.forward_axis_angle(
                as_tensor("betas"), as_tensor("global_orient"), as_tensor("body_pose"), as_tensor("transl")
            )
        np.testing.assert_allclose(posed.vertices[0].numpy(), prediction.vertices + prediction.cam_t, atol=2e-4)


def test_error_table_lists_visible_shared_joints_and_means(result, bundle):
    with open(bundle[0] / "errors_2d.csv", newline="") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames) == ERROR_COLUMNS
        rows = list(reader)
    person = result.people[0]
    for method, errors in person.errors_2d.items():
        mine = [row for row in rows if row["method"] == method]
        finite = np.isfinite(errors.pixels)
        assert [row["joint"] for row in mine] == [n for n, ok in zip(errors.names, finite) if ok] + [MEAN_ROW]
        np.testing.assert_allclose([float(row["error_px"]) for row in mine[:-1]], errors.pixels[finite], atol=1e-3)
        assert float(mine[-1]["error_percent_of_box_height"]) == pytest.approx(errors.mean_percent, abs=1e-3)


def test_meshes_and_scene_are_y_up_and_named(result, bundle):
    folder, person = bundle[0], result.people[0]
    prediction = person.predictions["fit"]
    mesh = trimesh.load(folder / "meshes" / "person_1_fit.obj", process=False)
    np.testing.assert_allclose(mesh.vertices, (prediction.vertices + prediction.cam_t) * [1, -1, -1], atol=1e-5)
    scene = trimesh.load(folder / "scene.glb")
    named = {f"{method_file_stem(m, result.custom_methods)}_person_1" for m in result.methods}
    assert set(scene.geometry) >= named | {"photo"} and "hmr-custom_person_1" in named


def test_skeletons_stand_where_the_meshes_are(result, bundle):
    folder, prediction = bundle[0], result.people[0].predictions["fit"]
    names, parents, offsets, channels, motion, _ = parse_bvh((folder / "skeletons" / "person_1_fit.bvh").read_text())
    world = forward_kinematics(parents, offsets, channels, motion[0])
    mesh_frame = (prediction.joints + prediction.cam_t) * [1, -1, -1]  # as the OBJ: y and z negated
    np.testing.assert_allclose(world, mesh_frame[[SMPL_JOINTS.index(name) for name in names]], atol=1e-4)


def test_readme_explains_every_file_key_and_convention(result, bundle):
    readme = (bundle[0] / "README.md").read_text()
    assert readme == readme_text(result)
    for field in PARAMETER_SCHEMA:
        assert f"`{field.name}`" in readme
    for name, _ in README_FILES:
        assert f"`{name}`" in readme
    assert "x right, y down, z forward" in readme and "y up" in readme
    assert "hybrik" in readme.lower() and "python -m core.weights fetch hybrik" in readme  # why it is missing


def test_zip_holds_the_same_files(result, bundle, tmp_path, expected_files):
    folder, _, views = bundle
    with zipfile.ZipFile(zip_bundle(result, views, tmp_path / "out" / "skier.zip")) as archive:
        assert set(archive.namelist()) == expected_files(result.methods, custom=result.custom_methods)


def test_reading_a_file_without_the_schema_names_the_missing_keys(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"method": "hmr"}))
    with pytest.raises(ValueError, match="missing keys.*schema_version"):
        read_parameters(path)
    with pytest.raises(ValueError, match=".npz or .json"):
        read_parameters(tmp_path / "params.txt")
