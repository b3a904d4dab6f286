"""The method table (core.methods) is the one list of methods: the app, the weight manager, training and bench
all list the same methods in the same order, and its facts are the ones the files and networks use."""

import pytest

from core.methods import FIT, METHOD_IDS, METHODS, NETWORK_METHODS, checkpoint_path, method
from core.paths import checkpoints_dir


def test_the_table_lists_the_three_networks_then_the_keypoint_fit():
    assert METHOD_IDS == ("hmr", "hybrik", "spin_gta", "fit") and NETWORK_METHODS == METHOD_IDS[:3]
    assert [m.family for m in METHODS] == ["hmr", "hybrik", "hmr", "fit"] and FIT == METHOD_IDS[-1]
    assert method(FIT).checkpoint is None and method(FIT).label == "Keypoint fit"


def test_app_weight_manager_training_and_bench_list_the_same_methods_in_the_same_order():
    from app.tabs import compare, setup
    from bench import app as bench_app
    from core import weights
    from train import config

    assert [value for _, value in compare.METHOD_CHOICES] == list(METHOD_IDS)
    assert compare.default_methods() == [FIT]  # a fresh install: only the method without weights is ticked
    assert [value for _, value in setup.method_choices()] == list(METHOD_IDS)
    assert bench_app.METHODS == list(METHOD_IDS)
    assert tuple(weights.METHOD_FILES) == tuple(config.METHODS) == NETWORK_METHODS


def test_checkpoint_names_carry_the_published_hash_and_live_in_the_checkpoint_folder():
    for method_id in NETWORK_METHODS:
        row = method(method_id)
        assert row.checkpoint.startswith(f"resnet{row.backbone_depth}_") and len(row.sha256_prefix) == 8
        assert (
            row.sha256_prefix in row.checkpoint_url and checkpoint_path(method_id) == checkpoints_dir() / row.checkpoint
        )
    with pytest.raises(ValueError, match="hmr, hybrik, spin_gta"):
        checkpoint_path(FIT)


@pytest.mark.parametrize("method_id", NETWORK_METHODS)
def test_the_networks_are_built_with_the_table_s_depth_and_input_size(method_id):
    from core.networks.build import build_model
    from core.testing.smpl import make_body_model

    model = build_model(method_id, make_body_model())
    row = method(method_id)
    assert model.backbone.out_channels == (2048 if row.backbone_depth == 50 else 512)
    assert model.input_spec.size == row.input_size and model.input_spec.mean == row.mean
