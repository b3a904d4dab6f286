"""Adam for the keypoint fit, written out: torch.optim.Adam's update, step for step, without torch.optim.

Creating any torch.optim optimiser imports torch._dynamo (its `add_param_group` is wrapped to keep the
compiler out), which takes about 0.7 s: the first photo's fit paid it. This is the update torch.optim.Adam
makes on the CPU with its defaults and no weight decay (`torch/optim/adam.py: _single_tensor_adam`), with the
same operations in the same order, so it gives the same parameters bit for bit (tests/core/pipeline/test_adam.py).
"""

from __future__ import annotations

import torch


class Adam:
    """Adam (Kingma & Ba 2015) on `params`: zero_grad(), then step() after each backward()."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.steps = [0] * len(self.params)  # per parameter, as torch.optim counts them
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for index, (param, exp_avg, exp_avg_sq) in enumerate(zip(self.params, self.exp_avg, self.exp_avg_sq)):
            if param.grad is None:
                continue
            self.steps[index] += 1
            step = float(self.steps[index])
            grad = param.grad
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step_size = self.lr / (1 - beta1**step)
            denom = (exp_avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(self.eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)
