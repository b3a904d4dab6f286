import torch

from core.networks.backbone import build_backbone


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_resnet50_keys_params_and_shape():
    net = build_backbone(50).eval()
    state = net.state_dict()
    assert len(state) == 318
    assert _num_params(net) == 23_508_032
    assert state["layer4.2.conv3.weight"].shape == (2048, 512, 1, 1)
    assert state["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)
    assert state["layer2.0.conv2.weight"].shape == (128, 128, 3, 3)
    assert "layer1.0.downsample.1.running_var" in state and "bn1.num_batches_tracked" in state
    assert not any(k.startswith("fc") for k in state)
    with torch.inference_mode():
        assert net(torch.zeros(1, 3, 224, 224)).shape == (1, 2048, 7, 7)


def test_resnet34_keys_params_and_shape():
    net = build_backbone(34).eval()
    state = net.state_dict()
    assert len(state) == 216
    assert _num_params(net) == 21_284_672
    assert "layer1.0.downsample.0.weight" not in state
    assert {k.split(".downsample")[0] for k in state if "downsample" in k} == {"layer2.0", "layer3.0", "layer4.0"}
    assert state["layer3.5.conv2.weight"].shape == (256, 256, 3, 3)
    with torch.inference_mode():
        assert net(torch.zeros(1, 3, 256, 256)).shape == (1, 512, 8, 8)


def test_stride_sits_on_the_3x3_conv():
    net = build_backbone(50)
    assert net.layer2[0].conv1.stride == (1, 1)
    assert net.layer2[0].conv2.stride == (2, 2)
