"""One model builder: training's networks and inference's models have the same keys, and a checkpoint alone
(its meta: method and run config) is enough to rebuild its model."""

import torch

from core.networks.build import Network, build_model, build_network, load_model
from core.networks.checkpoint import save_checkpoint
from core.pipeline.estimate import SPIN_GTA, HybrIK
from core.testing.checkpoints import official_state_dict
from core.testing.smpl import make_body_model


def test_training_networks_and_inference_models_share_their_keys():
    body_model = make_body_model()
    for method in ("hmr", "hybrik", "spin_gta"):
        network, model = build_network(method), build_model(method, body_model)
        assert isinstance(model, Network) and model.method == method
        inference_keys = {k for k in model.state_dict() if k.startswith(("backbone.", "head."))}
        assert set(network.state_dict()) == inference_keys


def test_a_training_checkpoint_rebuilds_its_model_from_its_meta_alone(tmp_path):
    torch.manual_seed(0)
    network = build_network("hybrik")
    meta = {
        "method": "hybrik",
        "epoch": 3,
        "config": {"method": "hybrik", "model": {"backbone_depth": 34, "body_model": "open"}},
    }
    save_checkpoint(tmp_path / "epoch_3.pth", network.state_dict(), meta)
    model = load_model(tmp_path / "epoch_3.pth")
    assert isinstance(model, HybrIK) and not model.training and model.body_model.kind == "open"
    torch.testing.assert_close(model.head.decshape.weight, network.head.decshape.weight)


def test_an_official_checkpoint_says_its_method_by_its_keys(tmp_path):
    body_model = make_body_model()
    save_checkpoint(tmp_path / "spin.pth", official_state_dict("spin_gta", body_model), {})
    model = load_model(tmp_path / "spin.pth", body_model=body_model)
    assert isinstance(model, SPIN_GTA)
