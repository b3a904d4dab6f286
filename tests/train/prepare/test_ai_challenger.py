"""AI Challenger: its 14 joints by name (pytorch_HMR's mapping to LSP), a round trip through human_data, the
people kept, and HMR training on it as one more partition."""

import numpy as np

from core.evaluation.human_data import decompress
from core.joints import convert, joint_names, mapping
from train.prepare.ai_challenger import overlap_ratio, people
from train.prepare.common import human_data_keypoints

# pytorch_HMR AICH_dataloader._ai_ch_to_lsp: LSP joint k is AI Challenger joint KP_MAP[k]
KP_MAP = [8, 7, 6, 9, 10, 11, 2, 1, 0, 3, 4, 5, 13, 12]


def test_ai_challenger_joints_map_to_lsp_as_pytorch_hmr_maps_them():
    src, dst = mapping(joint_names("ai_challenger_14"), joint_names("lsp_14"))
    assert dst == list(range(14)) and src == KP_MAP


def test_round_trip_through_human_data():
    points = np.random.default_rng(0).normal(size=(5, 14, 3))
    compressed, mask = human_data_keypoints(points, "ai_challenger_14")
    assert mask.sum() == 14
    back, back_mask = convert(decompress(compressed, mask), "human_data", "ai_challenger_14", mask=mask)
    np.testing.assert_array_equal(back, points)
    assert back_mask.all()


def test_people_are_kept_as_pytorch_hmr_keeps_them():
    def person(visibility):
        return np.stack([np.arange(14), np.arange(14), visibility], 1).ravel().tolist()

    record = {
        "keypoint_annotations": {"a": person([1] * 5 + [3] * 9), "b": person([2] * 9 + [3] * 5), "c": person([1] * 14)},
        "human_annotations": {"a": [0, 0, 10, 10], "b": [100, 0, 110, 10], "c": [200, 0, 210, 10]},
    }
    assert [key for key, _, _ in people(record)] == ["a", "c"]  # b weighs 9 × 0.5 = 4.5 < 5
    record["human_annotations"]["c"] = [1, 1, 10, 10]  # now overlaps a by 81 / 100 > 0.1
    assert [key for key, _, _ in people(record)] == []
    assert overlap_ratio([0, 0, 10, 10], [5, 0, 15, 10]) == 50 / 150


def test_hmr_trains_on_ai_challenger_as_a_partition(prepared):
    from train.config import AI_CHALLENGER_OVERRIDES, apply_overrides, hmr_config
    from train.data import datasets

    root, made = prepared
    config = apply_overrides(hmr_config(), list(AI_CHALLENGER_OVERRIDES))
    assert config.data.partitions["ai_challenger"] == 0.1
    config.data.ann_files = {"ai_challenger": config.data.ann_files["ai_challenger"]}
    sources = datasets.load_sources(config.data, root)
    names = joint_names(config.data.convention)
    dataset = datasets.MeshDataset(sources, config.data, config.augment, list(names), seed=0)
    assert len(dataset) == made["ai_challenger"]["count"]
    sample = dataset[(0, 0, 0)]
    labelled = sources[0].data["keypoints2d"][0, :, 2].sum()
    assert sample["img"].shape == (3, 224, 224) and sample["keypoints2d_weight"].sum() == labelled > 0
