"""core.pipeline.adam: the keypoint fit's Adam makes torch.optim.Adam's updates bit for bit, without torch._dynamo."""

import subprocess
import sys

import torch

from core.paths import REPO_ROOT
from core.pipeline.adam import Adam


def _descend(make_optimiser, steps: int = 60) -> list[torch.Tensor]:
    """Minimise a non-convex loss over three parameters of different shapes; the parameters after `steps`."""
    generator = torch.Generator().manual_seed(0)
    params = [torch.randn(shape, generator=generator).requires_grad_() for shape in ((4, 3), (7,), (2, 5, 3))]
    targets = [torch.randn(p.shape, generator=generator) for p in params]
    optimiser = make_optimiser(params)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = sum(
            ((p - t) ** 2 / (1 + (p - t) ** 2)).sum() + 0.1 * torch.sin(3 * p).sum() for p, t in zip(params, targets)
        )
        loss.backward()
        optimiser.step()
    return [p.detach() for p in params]


def test_the_same_parameters_as_torch_optim_adam_bit_for_bit():
    for lr in (0.01, 0.3):
        ours = _descend(lambda params: Adam(params, lr=lr))
        theirs = _descend(lambda params: torch.optim.Adam(params, lr=lr))
        assert all(torch.equal(a, b) for a, b in zip(ours, theirs))


def test_a_parameter_without_a_gradient_is_left_alone_and_its_steps_are_not_counted():
    used, unused = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    optimiser = Adam([used, unused], lr=0.1)
    (used**2).sum().backward()
    optimiser.step()
    assert torch.equal(unused.detach(), torch.ones(3)) and optimiser.steps == [1, 0]
    assert (used.detach() < 1).all()


def test_a_keypoint_fit_does_not_import_torch_dynamo():
    code = (
        "import sys, numpy as np\n"
        "from core.body_models.load import load_body_model\n"
        "from core.geometry import image_intrinsics\n"
        "from core.pipeline.fit import FitConfig, fit_person\n"
        "rng = np.random.default_rng(0)\n"
        "landmarks = np.stack([rng.uniform(250, 390, 33), rng.uniform(100, 400, 33)], 1).astype(np.float32)\n"
        "world = rng.normal(0, 0.3, (33, 3)).astype(np.float32)\n"
        "K = image_intrinsics((480, 640)).numpy()\n"
        "fit_person(load_body_model('open'), landmarks, np.ones(33, np.float32), world, K, 300.0,\n"
        "           config=FitConfig(camera_iterations=2, body_iterations=2))\n"
        "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
