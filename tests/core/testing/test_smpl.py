"""The stand-in SMPL writer produces the official layout: shapes, dtypes and pickled global names."""

import pickletools

import numpy as np

from core.testing.smpl import write_standin_smpl


def _pickled_globals(path) -> set[str]:
    with open(path, "rb") as file:
        return {str(arg) for op, arg, _ in pickletools.genops(file.read()) if op.name == "GLOBAL"}


def test_pickle_references_chumpy_and_old_scipy_names_like_the_official_files(tmp_path):
    write_standin_smpl(tmp_path / "SMPL_NEUTRAL.pkl")
    names = _pickled_globals(tmp_path / "SMPL_NEUTRAL.pkl")
    assert {"chumpy.ch Ch", "scipy.sparse.csc csc_matrix", "numpy.core.multiarray _reconstruct"} <= names
    assert not any(name.startswith(("copyreg", "_codecs", "builtins ")) for name in names)


def test_v1_pickle_has_chumpy_expressions(tmp_path):
    write_standin_smpl(tmp_path / "basic.pkl", fmt="pkl_v1")
    assert {"chumpy.reordering transpose", "chumpy.ch_ops add"} <= _pickled_globals(tmp_path / "basic.pkl")


def test_arrays_have_official_shapes_and_sane_values(tmp_path):
    arrays = write_standin_smpl(tmp_path / "SMPL_MALE.npz", gender="male", fmt="npz", num_betas=300)
    loaded = dict(np.load(tmp_path / "SMPL_MALE.npz", allow_pickle=False))
    assert loaded["v_template"].shape == (6890, 3)
    assert loaded["shapedirs"].shape == (6890, 3, 300)
    assert loaded["posedirs"].shape == (6890, 3, 207)
    assert loaded["f"].shape == (13776, 3) and loaded["f"].dtype == np.uint32
    assert loaded["kintree_table"][0, 0] == 4294967295 and list(loaded["kintree_table"][1]) == list(range(24))
    np.testing.assert_allclose(loaded["weights"].sum(1), 1.0)
    np.testing.assert_allclose(loaded["J_regressor"].sum(1), 1.0)
    np.testing.assert_array_equal(loaded["J"], arrays["J"])


def test_genders_differ_and_seed_is_reproducible():
    from core.testing.smpl import standin_smpl_arrays

    male, female = standin_smpl_arrays("male"), standin_smpl_arrays("female")
    assert not np.allclose(male["v_template"], female["v_template"])
    np.testing.assert_array_equal(standin_smpl_arrays("male")["v_template"], male["v_template"])


def test_fixture_lays_out_the_body_models_folder(standin_body_models_dir):
    import os

    assert os.environ["HMRC_BODY_MODELS"] == str(standin_body_models_dir)
    for name in [
        "smpl/SMPL_NEUTRAL.pkl",
        "smpl/SMPL_MALE.pkl",
        "smpl/SMPL_FEMALE.pkl",
        "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl",
        "smpl_mean_params.npz",
        "h36m_mean_beta.npy",
    ]:
        assert (standin_body_models_dir / name).is_file(), name
    assert np.load(standin_body_models_dir / "J_regressor_extra.npy").shape == (9, 6890)
    assert np.load(standin_body_models_dir / "J_regressor_h36m.npy").shape == (17, 6890)
    mean = np.load(standin_body_models_dir / "smpl_mean_params.npz")
    assert mean["pose"].shape == (144,) and mean["shape"].shape == (10,)
    np.testing.assert_array_equal(mean["cam"], [0.9, 0.0, 0.0])
