import pathlib

import numpy as np
import pytest
import torch

from core.networks.build import build_model
from core.networks.checkpoint import CheckpointError, looks_like, read_checkpoint, save_checkpoint
from core.testing.checkpoints import official_state_dict


def test_looks_like_tells_the_methods_apart(body_model):
    assert looks_like(official_state_dict("hmr", body_model)) == "hmr"
    assert looks_like(official_state_dict("spin_gta", body_model)) == "spin_gta"
    assert looks_like(official_state_dict("hybrik", body_model)) == "hybrik"


@pytest.mark.parametrize("method", ["hmr", "spin_gta", "hybrik"])
def test_strict_load_takes_backbone_and_head_and_skips_known_extras(method, body_model):
    state = official_state_dict(method, body_model)
    model = build_model(method, body_model)
    model.load_weights(state)
    key = "head.final_layer.bias" if method == "hybrik" else "head.init_pose"
    assert torch.equal(model.state_dict()[key], state[key])
    assert torch.equal(model.backbone.layer4[0].bn1.running_var, state["backbone.layer4.0.bn1.running_var"])


def test_hybrik_mean_shape_as_row_is_accepted(body_model):
    state = official_state_dict("hybrik", body_model)
    state["head.init_shape"] = torch.arange(10.0)[None]
    model = build_model("hybrik", body_model)
    model.load_weights(state)
    assert torch.equal(model.head.init_shape, torch.arange(10.0))


def test_missing_key_is_named(body_model):
    state = official_state_dict("hmr", body_model)
    del state["backbone.layer3.2.bn2.running_mean"]
    with pytest.raises(CheckpointError, match=r"missing key backbone\.layer3\.2\.bn2\.running_mean.*resnet50_hmr_pw3d"):
        build_model("hmr", body_model).load_weights(state)


def test_wrong_shape_is_named(body_model):
    state = official_state_dict("spin_gta", body_model)
    state["head.fc1.weight"] = torch.zeros(1024, 2204)
    with pytest.raises(CheckpointError, match=r"head\.fc1\.weight has shape \(1024, 2204\), expected \(1024, 2205\)"):
        build_model("spin_gta", body_model).load_weights(state)


def test_unknown_prefix_is_an_error(body_model):
    state = official_state_dict("hmr", body_model)
    state["neck.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match="unexpected keys"):
        build_model("hmr", body_model).load_weights(state)


def test_checkpoint_of_another_method_is_recognised(body_model):
    with pytest.raises(CheckpointError, match="looks like a HybrIK"):
        build_model("hmr", body_model).load_weights(official_state_dict("hybrik", body_model))
    with pytest.raises(CheckpointError, match="looks like a HMR"):
        build_model("hybrik", body_model).load_weights(official_state_dict("hmr", body_model))
    with pytest.raises(CheckpointError, match="looks like a HMR"):
        build_model("spin_gta", body_model).load_weights(official_state_dict("hmr", body_model))


def test_file_round_trip_with_numpy_meta(tmp_path):
    state = {"backbone.conv1.weight": torch.randn(2, 3), "head.x": torch.arange(3)}
    meta = {"seed": np.int64(7), "epoch": 100, "time": np.float64(1.5), "env_info": "text", "method": "hmr"}
    path = tmp_path / "sub" / "ckpt.pth"
    save_checkpoint(path, state, meta)
    assert not list(path.parent.glob("*.tmp"))
    got_state, got_meta = read_checkpoint(path)
    assert torch.equal(got_state["backbone.conv1.weight"], state["backbone.conv1.weight"])
    assert got_meta["seed"] == 7 and got_meta["method"] == "hmr"


def test_recorded_method_in_meta_is_checked(tmp_path, body_model):
    path = tmp_path / "spin.pth"
    save_checkpoint(path, official_state_dict("spin_gta", body_model), {"method": "spin_gta"})
    with pytest.raises(CheckpointError, match="looks like a SPIN-GTA"):
        build_model("hmr", body_model).load_weights(path)


def test_truncated_file_fails_clearly(tmp_path):
    path = tmp_path / "cut.pth"
    save_checkpoint(path, {"backbone.w": torch.randn(1000)}, {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or not a PyTorch checkpoint"):
        read_checkpoint(path)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_pickle_that_runs_code_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"backbone.w": torch.zeros(1)}, "meta": {"x": _RunsCode(str(marker))}}, path)
    with pytest.raises(CheckpointError, match="would run code"):
        read_checkpoint(path)
    assert not marker.exists()


def test_missing_file_and_non_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint(tmp_path / "nope.pth")
    path = tmp_path / "list.pth"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="not a model checkpoint"):
        read_checkpoint(path)
