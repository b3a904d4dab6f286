"""End to end on train.synth data: HumanData files → datasets → a few training iterations per method."""

import numpy as np
import pytest
import torch

from train.config import synthetic_config


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory):
    """Stand-in SMPL files and synthetic data rendered with them (built once per module)."""
    from core.testing.smpl import write_standin_body_models_dir
    from train.synth import generate, load_synth_body_model

    root = tmp_path_factory.mktemp("synth")
    body_models = write_standin_body_models_dir(root / "body_models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HMRC_BODY_MODELS", str(body_models))
        generate(root, load_synth_body_model("smpl"), num_train=6, num_test=2, seed=0)
    return root, body_models


@pytest.fixture
def synth_root(synth_files, monkeypatch):
    root, body_models = synth_files
    monkeypatch.setenv("HMRC_BODY_MODELS", str(body_models))
    return root


@pytest.mark.slow
@pytest.mark.parametrize("method", ["hmr", "hybrik", "spin_gta"])
def test_a_few_iterations_on_synthetic_files(synth_root, tmp_path, method):
    from core.settings import data_folders
    from train.run import build_trainer

    config = synthetic_config(method, ["model.use_discriminator=false"] if method == "hmr" else [])
    trainer = build_trainer(config, tmp_path, data_folders(synth_root))  # body models in synth_root/body_models
    sample = trainer.train_set[(0, 0, 1)]
    assert sample["img"].shape == (3, config.data.img_res, config.data.img_res) and sample["valid"] == 1
    if method == "spin_gta":  # smpl_49's OpenPose joints count, as in mmhuman3d's code (keypoint_weight unused)
        assert trainer.loss_joints is None
    history = trainer.fit()
    assert len(history) == 2 and all(np.isfinite(row["loss"]) for row in history)
    assert (tmp_path / "epoch_1.pth").is_file()


@pytest.mark.slow  # shares the rendered synthetic set (about 40 s to build)
def test_missing_image_names_the_file_and_sample(synth_root, tmp_path):
    from core import joints
    from train.data.datasets import BadSampleError, MeshDataset, load_sources

    config = synthetic_config("hmr", [])
    sources = load_sources(config.data, synth_root)
    names = list(joints.joint_names(config.data.convention))
    dataset = MeshDataset(sources, config.data, config.augment, names, 0)
    missing = sources[0].image_dir / sources[0].data["image_path"][3]
    missing.rename(missing.with_suffix(".moved"))
    try:
        with pytest.raises(BadSampleError, match=r"sample 3.*image_0*3\.jpg"):
            dataset[(0, 0, 3)]
        config.data.skip_bad_samples = True
        skipping = MeshDataset(sources, config.data, config.augment, names, 0)
        assert skipping[(0, 0, 3)]["valid"] == 0 and skipping[(0, 0, 2)]["valid"] == 1
    finally:
        missing.with_suffix(".moved").rename(missing)
    assert torch.is_tensor(torch.as_tensor(dataset[(0, 0, 2)]["keypoints2d"]))
