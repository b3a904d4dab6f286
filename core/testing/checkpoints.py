"""Checkpoints with the official key names and shapes but random values, for tests and benchmarks.

Random weights run exactly as fast as the official ones and load through the same strict path; their
outputs are garbage but finite. `sane_hmr` keeps HMR's mean camera so its meshes land on the person.
"""

from __future__ import annotations

import torch

from core.networks.build import build_model


def official_state_dict(method: str, body_model) -> dict[str, torch.Tensor]:
    """A state_dict with the official key names and shapes (random values), extras included."""
    model = build_model(method, body_model)
    state = {f"backbone.{k}": v for k, v in model.backbone.state_dict().items()}
    state.update({f"head.{k}": v for k, v in model.head.state_dict().items()})
    if method == "hybrik":
        state["head.init_shape"] = torch.randn(10)
        state["smpl.shapedirs"] = torch.zeros(6890, 3, 10)
        state["smpl.children_map"] = torch.zeros(29, dtype=torch.long)
    else:
        state["body_model_test.joints_regressor"] = torch.zeros(17, 6890)
        state["body_model_train.betas"] = torch.zeros(1, 10)
    if method == "hmr":
        state["disc.shape_discriminator.fc_blocks.regressor_fc_0.weight"] = torch.zeros(5, 10)
    return state


def sane_hmr(body_model, method="hmr"):
    """Random weights, but a camera head that keeps the mean camera (s = 0.9) so the person is in view."""
    torch.manual_seed(0)
    model = build_model(method, body_model).eval()
    torch.nn.init.zeros_(model.head.deccam.weight)
    torch.nn.init.zeros_(model.head.deccam.bias)
    model.head.init_cam.copy_(torch.tensor([[0.9, 0.05, -0.1]]))
    model.head.decpose.weight.data *= 0.01
    model.head.init_pose.copy_(torch.tensor([1.0, 0, 0, 1, 0, 0]).repeat(24)[None])
    return model
