"""Where training starts: mmhuman3d's fresh heads, the ImageNet backbone, initial checkpoints with a report, and
one message naming every missing file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.networks.checkpoint import CheckpointError, CheckpointIntegrityError
from core.settings import data_folders
from train.config import apply_overrides, check_config, default_config
from train.init import initialise
from train.trainer import build_networks


def _config(method: str, *overrides: str):
    return check_config(apply_overrides(default_config(method), ["model.pretrained_backbone=none", *overrides]))


def _xavier_bound(layer: torch.nn.Linear, gain: float) -> float:
    fan_out, fan_in = layer.weight.shape
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def test_hmr_head_starts_as_mmhuman3d_builds_it(standin_body_models_dir):
    folders = data_folders(standin_body_models_dir.parent)
    generator, disc = build_networks(_config("hmr"))
    lines = initialise(generator, disc, _config("hmr"), folders)
    head = generator.head
    with np.load(standin_body_models_dir / "smpl_mean_params.npz") as mean:
        np.testing.assert_array_equal(head.init_pose.numpy(), mean["pose"].astype(np.float32)[None])
        np.testing.assert_array_equal(head.init_shape.numpy(), mean["shape"].astype(np.float32)[None])
        np.testing.assert_array_equal(head.init_cam.numpy(), mean["cam"].astype(np.float32)[None])
    for layer in (head.decpose, head.decshape, head.deccam):  # Xavier-uniform, gain 0.01
        bound = _xavier_bound(layer, 0.01)
        weight = layer.weight.detach()
        assert float(weight.abs().max()) <= bound and float(weight.abs().max()) > 0.9 * bound
        if weight.numel() > 1000:
            assert float(weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    # fc1 keeps PyTorch's default Linear init: uniform within 1/sqrt(fan_in), far larger than the output layers
    assert float(head.fc1.weight.abs().max()) == pytest.approx(1 / math.sqrt(head.fc1.in_features), rel=0.01)
    # the discriminator's per-joint convs: normal, std 0.001, zero bias; its Linear layers keep the default
    conv = disc.pose_discriminator.conv_blocks.conv_1
    assert float(conv.weight.std()) == pytest.approx(0.001, rel=0.2) and float(conv.bias.abs().max()) == 0
    assert float(disc.full_pose_discriminator.fc_blocks.regressor_fc_0.weight.std()) > 0.01
    # no ImageNet file asked for: mmhuman3d's ResNet initialisation, with the residual BN zeroed
    assert float(generator.backbone.layer1[0].bn3.weight.abs().max()) == 0
    assert float(generator.backbone.bn1.weight.min()) == 1
    assert any("pretrained_backbone=none" in line for line in lines)


def test_hybrik_head_starts_as_mmhuman3d_builds_it(standin_body_models_dir):
    folders = data_folders(standin_body_models_dir.parent)
    config = _config("hybrik")
    generator, _ = build_networks(config)
    initialise(generator, None, config, folders)
    head = generator.head
    mean_beta = np.load(standin_body_models_dir / "h36m_mean_beta.npy").astype(np.float32)
    np.testing.assert_array_equal(head.init_shape.numpy(), mean_beta)
    for index in (0, 3, 6):  # the three deconvolutions
        assert float(head.deconv_layers[index].weight.std()) == pytest.approx(0.001, rel=0.05)
    for index in (1, 4, 7):  # their BatchNorms
        assert (
            float(head.deconv_layers[index].weight.min()) == 1
            and float(head.deconv_layers[index].bias.abs().max()) == 0
        )
    assert float(head.final_layer.weight.std()) == pytest.approx(0.001, rel=0.05)
    assert float(head.final_layer.bias.abs().max()) == 0


def test_rest_mean_parameters_need_no_file(tmp_path):
    config = _config("hmr", "model.mean_params=rest")
    generator, disc = build_networks(config)
    initialise(generator, disc, config, data_folders(tmp_path))
    output = generator.head.eval()(torch.zeros(1, 2048, 7, 7))
    # fresh output layers (tiny weights, default biases, 3 iterations) barely move the rest pose: upright, facing
    # the camera (π about x), every other joint at rest
    torch.testing.assert_close(output.rotmats[0, 0], torch.diag(torch.tensor([1.0, -1.0, -1.0])), atol=0.2, rtol=0)
    torch.testing.assert_close(output.rotmats[0, 1:], torch.eye(3).expand(23, 3, 3), atol=0.2, rtol=0)
    assert float(output.betas.abs().max()) < 0.2


def _torchvision_like(depth: int) -> dict:
    """A state_dict with torchvision's ResNet keys: the backbone's, without num_batches_tracked, plus fc.*."""
    from core.networks.backbone import build_backbone

    state = {k: v for k, v in build_backbone(depth).state_dict().items() if not k.endswith("num_batches_tracked")}
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 2048 if depth == 50 else 512), torch.zeros(1000)
    return state


def test_imagenet_backbone_is_loaded_by_default_with_a_report(tmp_path, capsys):
    from core.weights import imagenet_backbone

    config = check_config(apply_overrides(default_config("hmr"), ["model.mean_params=rest"]))
    assert config.model.pretrained_backbone == "imagenet"
    generator, disc = build_networks(config)
    with pytest.raises(
        FileNotFoundError, match="python -m core.weights fetch imagenet_resnet50.*pretrained_backbone=none"
    ):
        initialise(generator, disc, config, data_folders(tmp_path))
    path = imagenet_backbone(50)[1].path_in(tmp_path)
    path.parent.mkdir(parents=True)
    state = _torchvision_like(50)
    torch.save(state, path)  # random weights under torchvision's name: not the published file, refused
    with pytest.raises(CheckpointIntegrityError, match="promises a sha256 starting 0676ba61"):
        initialise(generator, disc, config, data_folders(tmp_path))
    own = path.rename(path.with_name("my_resnet50.pth"))  # the same file given as one's own backbone
    config = check_config(apply_overrides(config, [f"model.pretrained_backbone={own}"]))
    lines = initialise(generator, disc, config, data_folders(tmp_path))
    report = "\n".join(lines)
    assert "318 keys loaded" not in report and "265 keys loaded, 53 missing, 2 unexpected, 0 shape-mismatched" in report
    assert "unexpected (ignored): fc.bias, fc.weight" in report
    torch.testing.assert_close(generator.backbone.layer4[2].conv3.weight, state["layer4.2.conv3.weight"])


def test_backbone_loader_rejects_a_wrong_file_naming_the_key(tmp_path):
    config = _config("hmr", "model.mean_params=rest", f"model.pretrained_backbone={tmp_path / 'resnet34.pth'}")
    torch.save(_torchvision_like(34), tmp_path / "resnet34.pth")  # a ResNet-34 given to HMR's ResNet-50
    generator, disc = build_networks(config)
    before = generator.backbone.conv1.weight.clone()
    with pytest.raises(
        CheckpointError, match=r"shape mismatch: layer1\.0\.conv1\.weight is \(64, 64, 3, 3\) in the file"
    ):
        initialise(generator, disc, config, data_folders(tmp_path))
    torch.testing.assert_close(generator.backbone.conv1.weight, before)  # nothing half-loaded


def test_init_checkpoint_that_does_not_fit_is_refused(tmp_path):
    from core.networks.checkpoint import save_checkpoint

    config = _config("spin_gta", "model.mean_params=rest", "model.init_checkpoint=pretrained_models/spin_official.pth")
    generator, disc = build_networks(config)
    path = tmp_path / "pretrained_models" / "spin_official.pth"
    with pytest.raises(FileNotFoundError, match="python -m core.weights fetch spin_official.pth"):
        initialise(generator, disc, config, data_folders(tmp_path))
    save_checkpoint(path, {"other.weight": torch.zeros(3)}, {})  # zero matching keys: refused, not silently random
    with pytest.raises(CheckpointError, match=r"0 of \d+ keys match.*refusing"):
        initialise(generator, disc, config, data_folders(tmp_path))
    fitting = {f"backbone.{k}": v + 1 for k, v in generator.backbone.state_dict().items()}
    fitting.update({f"head.{k}": v for k, v in generator.head.state_dict().items()})
    save_checkpoint(path, fitting, {})
    lines = initialise(generator, disc, config, data_folders(tmp_path))
    assert "0 missing, 0 unexpected, 0 shape-mismatched" in lines[-1]
    torch.testing.assert_close(generator.backbone.bn1.running_var, fitting["backbone.bn1.running_var"])


def test_no_data_gives_one_message_with_every_missing_file_and_its_command(tmp_path):
    from train.data.files import missing_files_message
    from train.prepare.catalog import OUTPUTS

    config = check_config(default_config("hmr"))
    message = missing_files_message(config, data_folders(tmp_path))
    for ann_file in list(config.data.ann_files.values()) + ["cmu_mosh.npz", "pw3d_test.npz"]:
        assert f"{ann_file}  (" in message
        assert f"python -m train.prepare {OUTPUTS[ann_file].dataset} --raw {tmp_path}/datasets/" in message
    for name in ("smpl_mean_params.npz", "J_regressor_extra.npy", "J_regressor_h36m.npy"):
        assert f"python -m core.weights fetch {name}" in message
    assert "fetch imagenet_resnet50" in message and "SMPL_NEUTRAL.pkl" in message and "SMPL_FEMALE.pkl" in message
    assert "docs/data.md" in message and "python -m train.synth" in message
    assert "--set body_model=open" in message  # the open body model is only ever used when asked for


def test_train_run_with_no_data_prints_the_message_not_a_traceback(tmp_path, capsys):
    from train import run

    with pytest.raises(SystemExit) as exit_info:
        run.main(["hmr", "--data-root", str(tmp_path), "--run-dir", str(tmp_path / "run")])
    message = str(exit_info.value)
    assert (
        "file(s) the config reads are missing" in message
        and "h36m_mosh_train.npz" in message
        and "Traceback" not in message
    )
    with pytest.raises(SystemExit, match="use_discriminator needs mocap"):
        run.main(["hmr", "--data-root", str(tmp_path), "--set", "data.adv_ann_file=''"])
