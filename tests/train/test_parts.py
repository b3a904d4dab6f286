"""Configs, sampler, augmentations, discriminator and loss terms of the training package."""

import json

import numpy as np
import pytest
import torch

from train import losses
from train.config import apply_overrides, default_config, load_config, save_config
from train.data import augment
from train.data.sampling import MixedSampler, epoch_length
from train.discriminator import SMPLDiscriminator


def test_configs_reproduce_mmhuman3d_and_take_overrides(tmp_path):
    hmr, spin, hybrik = default_config("hmr"), default_config("spin_gta"), default_config("hybrik")
    assert (hmr.optim.lr, hmr.optim.disc_lr, hmr.model.backbone_depth, hmr.data.convention) == (
        2.5e-4,
        1e-4,
        50,
        "smpl_54",
    )
    assert spin.optim.grad_clip is None and sum(spin.data.partitions.values()) == pytest.approx(2.0)
    assert (hybrik.optim.lr_milestones, hybrik.data.img_res, hybrik.loss.theta) == ([180, 240], 256, 0.01)
    apply_overrides(spin, ["optim.grad_clip=35", "data.batch_size=64", "data.partitions.gta=0.5", "optim.lr=1"])
    assert (spin.optim.grad_clip, spin.data.batch_size, spin.data.partitions["gta"], spin.optim.lr) == (
        35.0,
        64,
        0.5,
        1.0,
    )
    save_config(spin, tmp_path / "c.json")
    assert (
        load_config(tmp_path / "c.json") == spin
        and json.loads((tmp_path / "c.json").read_text())["method"] == "spin_gta"
    )
    with pytest.raises(ValueError, match="no field 'lrr'.*lr"):
        apply_overrides(spin, ["optim.lrr=1"])
    with pytest.raises(ValueError, match="expected"):
        apply_overrides(spin, ["data.batch_size='many'"])


def test_mixed_sampler_follows_partitions_and_shards_global_batches():
    lengths, partitions = [10, 1000], [1.0, 1.0]  # mmhuman3d weight partition/len: each set gets half
    sampler = MixedSampler(lengths, partitions, 4000, 8, seed=3)
    indices = np.array([i for _, _, i in sampler])
    assert abs((indices < 10).mean() - 0.5) < 0.04
    ranks = [MixedSampler(lengths, partitions, 4000, 4, seed=3, rank=r, world_size=2) for r in (0, 1)]
    shards = [[i for _, _, i in s] for s in ranks]
    merged = [x for b in range(len(shards[0]) // 4) for r in (0, 1) for x in shards[r][4 * b : 4 * b + 4]]
    assert merged == indices.tolist()
    sampler.set_epoch(0, start_batch=2)
    assert [i for _, _, i in sampler] == indices[16:].tolist()
    assert epoch_length([5, 9], None) == 9 and epoch_length([5, 9], 100) == 100


def test_flip_and_rotation_augmentations():
    names = ["pelvis", "left_hip", "right_hip", "left_hip_extra", "right_hip_extra", "neck"]
    perm = augment.flip_permutation(names)
    assert perm.tolist() == [0, 2, 1, 4, 3, 5]
    kps = np.random.default_rng(0).random((6, 3)) * 100
    twice = augment.flip_keypoints2d(augment.flip_keypoints2d(kps, perm, 200), perm, 200)
    np.testing.assert_allclose(twice, kps)
    assert augment.flip_keypoints2d(kps, perm, 200)[1, 0] == pytest.approx(199 - kps[2, 0])
    pose = np.random.default_rng(1).normal(size=(24, 3))
    flipped = augment.flip_smpl_pose(pose)
    np.testing.assert_allclose(flipped[1], pose[2] * [1, -1, -1])
    np.testing.assert_allclose(augment.flip_smpl_pose(flipped), pose)
    # rotating the image by 90° turns camera +x into −y for the 3D points
    np.testing.assert_allclose(augment.rotate_keypoints3d(np.array([[1.0, 0, 0]]), 90), [[0, -1, 0]], atol=1e-6)
    image = np.full((4, 4, 3), 100, np.uint8)
    noisy = augment.channel_noise(image, 0.4, np.random.default_rng(0))
    assert noisy.dtype == np.uint8 and np.all((noisy[0, 0] >= 60) & (noisy[0, 0] <= 140))


def test_discriminator_has_the_official_keys():
    state = SMPLDiscriminator().state_dict()
    assert len(state) == 60
    assert state["pose_discriminator.conv_blocks.conv_0.weight"].shape == (32, 9, 1, 1)
    assert state["full_pose_discriminator.fc_blocks.regressor_fc_0.weight"].shape == (1024, 736)
    assert state["shape_discriminator.fc_blocks.regressor_fc_1.weight"].shape == (1, 5)
    scores = SMPLDiscriminator()(torch.eye(3).expand(2, 24, 3, 3), torch.zeros(2, 10))
    assert scores.shape == (2, 25)


def test_loss_terms_match_hand_computation():
    cam = torch.tensor([[0.9, 0.1, -0.2]])
    depth = 2 * 5000 / (224 * 0.9 + 1e-9)
    point = torch.tensor([[[0.3, -0.1, 0.5]]])
    expected = 5000 * torch.tensor([0.4, -0.3]) / (0.5 + depth)
    torch.testing.assert_close(losses.project_points(point, cam, 224)[0, 0], expected)
    assert float(losses.camera_prior_loss(cam, 10)) == pytest.approx(np.exp(-9) ** 2)
    assert float(losses.lsgan_loss(torch.tensor([[0.5, 1.5]]), True)) == pytest.approx(0.25)
    weight = torch.tensor([[[1.0, 1, 1], [0, 0, 0]]])
    pred, gt = torch.zeros(1, 2, 3), torch.tensor([[[0.01, 0, 0], [5.0, 5, 5]]])
    assert float(losses.uvd_loss(pred, gt, weight)) == pytest.approx(0.64 / 3)
    kp_weight = torch.tensor([[1.0, 1.0, 0.0]])
    pred3, gt3 = torch.zeros(1, 3, 3), torch.tensor([[[0.0, 0, 0], [0, 0, 0], [3.0, 0, 0]]])
    assert float(losses.keypoints3d_loss(pred3, gt3, kp_weight, (0, 1))) == 0.0
    with pytest.raises(FloatingPointError, match="'vertex'"):
        losses.weighted_total({"vertex": torch.tensor(float("nan"))}, {"vertex": 2.0})
