"""Reading SMPL files without chumpy, refusing unsafe pickles, helpful missing-file errors, and posing
that equals smplx.SMPL exactly on stand-in files with the official layout."""

import pickle
import sys
import types

import numpy as np
import pytest
import smplx
import torch

from core.body_models.gendered import forward_gendered, genders_from_3dpw, genders_from_codes, load_gendered_smpl
from core.body_models.load import describe_body_model, load_body_model
from core.body_models.smpl import (
    find_smpl_file,
    load_h36m_mean_beta,
    load_j_regressor_extra,
    load_j_regressor_h36m,
    load_smpl,
    load_smpl_mean_params,
)
from core.body_models.smpl_files import read_smpl_file
from core.testing.smpl import write_standin_smpl

PLAIN_KEYS = ("v_template", "shapedirs", "posedirs", "weights", "J_regressor", "J", "f", "kintree_table")


@pytest.fixture
def no_chumpy(monkeypatch):
    """Make `import chumpy` fail, as on a machine without it."""
    for name in [name for name in sys.modules if name.split(".")[0] == "chumpy"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "chumpy", None)


@pytest.mark.parametrize("fmt", ["pkl", "pkl_v1", "npz"])
def test_reads_every_format_to_the_written_arrays_without_chumpy(tmp_path, no_chumpy, fmt):
    path = tmp_path / f"model.{fmt[:3]}"
    written = write_standin_smpl(path, fmt=fmt)
    loaded = read_smpl_file(path)
    for key in PLAIN_KEYS:
        assert isinstance(loaded[key], np.ndarray), key
        np.testing.assert_array_equal(loaded[key], written[key], err_msg=key)
    assert sys.modules["chumpy"] is None


def test_pkl_keeps_strings_and_drops_unevaluated_chumpy_expressions(tmp_path, no_chumpy):
    write_standin_smpl(tmp_path / "basic.pkl", fmt="pkl_v1")
    loaded = read_smpl_file(tmp_path / "basic.pkl")
    assert loaded["bs_type"] == "lrotmin" and loaded["bs_style"] == "lbs"
    assert "v_shaped" not in loaded  # a chumpy.ch_ops.add expression, derived data
    assert "pose_training_info" not in loaded


class _RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_a_foreign_global_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"v_template": _RunsShell(marker)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"refused global '(os|posix)\.system'"):
        read_smpl_file(path)
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load")])
def test_other_globals_are_refused_by_name(tmp_path, module, name):
    path = tmp_path / "bad.pkl"
    path.write_bytes(b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"q\x00.")
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
        read_smpl_file(path)


def test_npz_is_read_without_unpickling(tmp_path):
    np.savez(tmp_path / "model.npz", v_template=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        read_smpl_file(tmp_path / "model.npz")


def test_missing_smpl_file_says_which_file_where_and_from_where(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_smpl("male", folder=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "smpl" / "SMPL_MALE.pkl") in message
    assert "https://smpl.is.tue.mpg.de" in message and "HMRC_BODY_MODELS" in message and "HMRC_DATA" in message


def test_neutral_falls_back_to_the_v1_basic_model(tmp_path):
    write_standin_smpl(tmp_path / "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl", fmt="pkl_v1")
    assert find_smpl_file("neutral", tmp_path).name == "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl"
    with pytest.raises(FileNotFoundError, match="SMPL_NEUTRAL.pkl"):
        find_smpl_file("neutral", tmp_path / "empty")


@pytest.mark.parametrize(
    "loader, file_name",
    [
        (load_j_regressor_h36m, "J_regressor_h36m.npy"),
        (load_j_regressor_extra, "J_regressor_extra.npy"),
        (load_smpl_mean_params, "smpl_mean_params.npz"),
        (load_h36m_mean_beta, "h36m_mean_beta.npy"),
    ],
)
def test_missing_auxiliary_file_names_path_and_url(tmp_path, loader, file_name):
    with pytest.raises(FileNotFoundError) as error:
        loader(tmp_path)
    message = str(error.value)
    assert str(tmp_path / file_name) in message
    assert "https://openmmlab-share.oss-cn-hangzhou.aliyuncs.com/mmhuman3d/" in message and file_name in message


def test_auxiliary_files_load_with_their_shapes(standin_body_models_dir):
    assert load_j_regressor_h36m().shape == (17, 6890) and load_j_regressor_extra().shape == (9, 6890)
    params = load_smpl_mean_params()
    assert {key: value.shape for key, value in params.items()} == {"pose": (144,), "shape": (10,), "cam": (3,)}
    np.testing.assert_allclose(params["cam"], [0.9, 0.0, 0.0])
    assert load_h36m_mean_beta().shape == (10,)


# ----------------------------------------------------------------------------------------------
# Posing equals smplx.SMPL


def _smplx_from_arrays(arrays: dict) -> smplx.SMPL:
    return smplx.SMPL(
        "",
        data_struct=smplx.utils.Struct(**arrays),
        create_betas=False,
        create_transl=False,
        create_body_pose=False,
        create_global_orient=False,
    )


def _random_inputs(batch=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return dict(
        betas=torch.randn(batch, 10, generator=generator),
        global_orient=torch.randn(batch, 3, generator=generator) * 0.7,
        body_pose=torch.randn(batch, 69, generator=generator) * 0.4,
        transl=torch.randn(batch, 3, generator=generator),
    )


@pytest.mark.parametrize("fmt", ["pkl", "npz"])
def test_axis_angle_posing_equals_smplx(tmp_path, fmt, capsys):
    arrays = write_standin_smpl(tmp_path / "smpl" / f"SMPL_FEMALE.{fmt}", gender="female", seed=3, fmt=fmt)
    ours = load_smpl("female", folder=tmp_path)
    reference = _smplx_from_arrays(arrays)
    inputs = _random_inputs()
    expected = reference(**inputs)
    got = ours.forward_axis_angle(**inputs)
    torch.testing.assert_close(got.vertices, expected.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(got.joints, expected.joints[:, :24], atol=1e-6, rtol=0)
    # smplx's joints 24..44 are its vertex picks: our 'smplx_21' regressor in the same order
    torch.testing.assert_close(ours.regress(got.vertices, "smplx_21"), expected.joints[:, 24:], atol=1e-6, rtol=0)


def test_rotation_matrix_posing_equals_smplx(standin_body_models_dir, capsys):
    arrays = read_smpl_file(standin_body_models_dir / "smpl" / "SMPL_NEUTRAL.pkl")
    reference = _smplx_from_arrays(arrays)
    ours = load_smpl("neutral")
    inputs = _random_inputs(seed=1)
    rotmats = smplx.lbs.batch_rodrigues(torch.cat([inputs["global_orient"], inputs["body_pose"]], 1).reshape(-1, 3))
    rotmats = rotmats.reshape(4, 24, 3, 3)
    expected = reference(
        betas=inputs["betas"],
        global_orient=rotmats[:, :1],
        body_pose=rotmats[:, 1:],
        transl=inputs["transl"],
        pose2rot=False,
    )
    got = ours(inputs["betas"], rotmats[:, :1], rotmats[:, 1:], inputs["transl"])
    torch.testing.assert_close(got.vertices, expected.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(got.joints, expected.joints[:, :24], atol=1e-6, rtol=0)


def test_300_betas_are_cut_to_10(tmp_path, capsys):
    arrays = write_standin_smpl(tmp_path / "smpl" / "SMPL_MALE.pkl", gender="male", num_betas=300)
    model = load_smpl("male", folder=tmp_path)
    np.testing.assert_allclose(model.shapedirs.numpy(), arrays["shapedirs"][:, :, :10].astype(np.float32))
    assert model.posedirs.shape == (207, 20670)


def test_loaded_model_has_the_contract_regressors(standin_body_models_dir):
    model = load_smpl("neutral")
    assert model.kind == "smpl" and model.faces.shape == (13776, 3)
    sizes = {name: model.regressor(name).shape[0] for name in model.regressor_names}
    assert sizes == {"smplx_21": 21, "hybrik_leaf_5": 5, "mediapipe_surface_21": 21, "extra_9": 9, "h36m_17": 17}
    for name in ("smplx_21", "hybrik_leaf_5", "mediapipe_surface_21"):
        torch.testing.assert_close(model.regressor(name).sum(1), torch.ones(sizes[name]))  # moves with the body
    np.testing.assert_allclose(
        model.regressor("h36m_17").numpy(), np.load(standin_body_models_dir / "J_regressor_h36m.npy"), rtol=1e-6
    )


def test_regressors_are_optional(tmp_path):
    write_standin_smpl(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl")
    assert load_smpl(folder=tmp_path).regressor_names == ["smplx_21", "hybrik_leaf_5", "mediapipe_surface_21"]


# ----------------------------------------------------------------------------------------------
# Gendered selection and the body-model choice


def test_gendered_forward_uses_each_samples_model(standin_body_models_dir):
    models = load_gendered_smpl()
    genders = ["male", "female", "neutral", "female"]
    inputs = _random_inputs(seed=2)
    merged = forward_gendered(models, genders, **inputs)
    for i, gender in enumerate(genders):
        single = models[gender].forward_axis_angle(
            *(inputs[k][i : i + 1] for k in ("betas", "global_orient", "body_pose", "transl"))
        )
        torch.testing.assert_close(merged.vertices[i : i + 1], single.vertices)
        torch.testing.assert_close(merged.joints[i : i + 1], single.joints)
    assert not torch.allclose(
        merged.vertices[1],
        models["male"]
        .forward_axis_angle(*(inputs[k][1:2] for k in ("betas", "global_orient", "body_pose", "transl")))
        .vertices[0],
    )


def test_gender_rules_follow_mmhuman3d():
    assert genders_from_3dpw(["m", "f", "n", "male"]) == ["male", "female", "female", "female"]
    assert genders_from_codes(torch.tensor([-1, 0, 1])) == ["neutral", "male", "female"]
    with pytest.raises(ValueError, match="gender codes"):
        genders_from_codes([2])


def test_load_body_model_prefers_smpl_when_present(standin_body_models_dir):
    model = load_body_model("auto", gender="male")
    assert model.kind == "smpl" and model.gender == "male"
    assert "SMPL (male)" in describe_body_model(model) and "h36m_17" in describe_body_model(model)


def test_load_body_model_falls_back_to_the_open_model(monkeypatch):
    fake = types.ModuleType("core.body_models.open_model")
    fake.load_open_body_model = lambda: "open model"
    monkeypatch.setitem(sys.modules, "core.body_models.open_model", fake)
    assert load_body_model("auto") == "open model"
    assert load_body_model("open") == "open model"
    with pytest.raises(FileNotFoundError, match="SMPL_NEUTRAL.pkl"):
        load_body_model("smpl")
    with pytest.raises(ValueError, match="prefer"):
        load_body_model("best")


def test_reads_chumpy_free_pickles_resaved_by_python_3(tmp_path):
    import scipy.sparse

    arrays = write_standin_smpl(tmp_path / "unused.npz", fmt="npz")
    resaved = {**arrays, "J_regressor": scipy.sparse.csc_matrix(arrays["J_regressor"])}
    for protocol in (2, 4):
        path = tmp_path / f"resaved_{protocol}.pkl"
        path.write_bytes(pickle.dumps(resaved, protocol=protocol))
        loaded = read_smpl_file(path)
        for key in PLAIN_KEYS:
            np.testing.assert_array_equal(loaded[key], arrays[key], err_msg=f"{key}, protocol {protocol}")
