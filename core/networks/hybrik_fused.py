"""HybrIK's head rewritten for fast inference: the same weights and outputs, far fewer passes over memory.

`HybrIKHead` (core.networks.hybrik_head) is the reference, written as mmhuman3d writes it. On a CPU most of
its time outside the backbone goes to three things this module does differently, each equal up to float
rounding (tests/core/networks/test_hybrik_fused.py):

- each ConvTranspose2d(4, stride 2, padding 1) + BatchNorm + ReLU becomes one Conv2d(2×2, padding 1) with
  the BatchNorm folded in and four times the output channels (one per output pixel parity), interleaved
  into the doubled image by one pixel shuffle (ONNX DepthToSpace) and a one-pixel crop ("sub-pixel
  convolution"); ONNX Runtime runs it as a plain fused convolution instead of ConvTranspose's scatter;
- the final 1×1 convolution is a matrix product that writes the (B, 29·64, 64·64) logits directly, so
  nothing reorders the 30 MB heat-map per person from a blocked layout; its bias rides on a constant
  channel the last deconvolution adds (zero weights, bias 1, through the ReLU);
- the soft-argmax needs no normalised volume: each joint's logits are shifted by their maximum and
  exponentiated once, the three marginals are read from two sums over 64 bins, and the rest is summed in
  float64 (ONNX Runtime's single float32 sum over 64³ bins drifts by up to 6e-5 on flat heat-maps).

`FusedHybrIKNetwork(model)` is backbone + this head: images (B, 3, 256, 256) → (uvd, betas, phis), the
module core.networks.onnx exports for HybrIK.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from core.networks.hybrik_head import HEATMAP_SIZE, NUM_JOINTS_29, NUM_TWISTS, HybrIKHead

# Output pixel parity a (rows) or b (columns) → the two kernel taps of ConvTranspose2d(4, stride 2, padding 1)
# that reach it, ordered as a 2-tap correlation over input positions (m − 1 + a, m + a): for y[2m + a],
# ky = 2(m − i) + a + 1 over the inputs i that contribute.
_TAPS = {0: (3, 1), 1: (2, 0)}


class SubPixelDeconv(nn.Module):
    """ConvTranspose2d(C_in, C_out, 4, stride 2, padding 1, no bias) + BatchNorm2d (eval) + ReLU as one Conv2d.

    (B, C_in, H, W) → (B, C_out, 2H, 2W), or C_out + 1 channels with `constant_channel` (the last one all 1).
    A 2×2 convolution with padding 1 gives, at position m (inputs m − 1 and m), the outputs 2m − 1 (parity 1)
    and 2m (parity 0), so its 4·C_out channels, ordered (channel, row parity, column parity) with parity 1
    first, are shuffled into rows and columns −1 … 2H, and one pixel is cropped on each side.
    """

    def __init__(self, deconv: nn.ConvTranspose2d, norm: nn.BatchNorm2d, constant_channel: bool = False):
        super().__init__()
        assert deconv.kernel_size == (4, 4) and deconv.stride == (2, 2) and deconv.padding == (1, 1)
        assert deconv.bias is None and not norm.training
        weight = deconv.weight.detach()  # (C_in, C_out, 4, 4)
        in_channels = weight.shape[0]
        scale = norm.weight.detach() / torch.sqrt(norm.running_var + norm.eps)
        shift = norm.bias.detach() - norm.running_mean * scale
        blocks = []
        for a in (1, 0):
            for b in (1, 0):
                taps = weight[:, :, _TAPS[a]][:, :, :, _TAPS[b]]  # (C_in, C_out, 2, 2)
                blocks.append(taps.permute(1, 0, 2, 3) * scale[:, None, None, None])
        kernels = torch.stack(blocks, dim=1)  # (C_out, 4, C_in, 2, 2)
        biases = shift[:, None].expand(-1, 4)
        if constant_channel:
            kernels = torch.cat([kernels, kernels.new_zeros(1, 4, in_channels, 2, 2)])
            biases = torch.cat([biases, biases.new_ones(1, 4)])
        self.out_channels = kernels.shape[0]
        self.conv = nn.Conv2d(in_channels, 4 * self.out_channels, 2, padding=1, bias=True)
        with torch.no_grad():
            self.conv.weight.copy_(kernels.reshape(-1, in_channels, 2, 2))
            self.conv.bias.copy_(biases.reshape(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.pixel_shuffle(F.relu(self.conv(x)), 2)  # (B, C_out, 2H + 2, 2W + 2)
        return y[:, :, 1:-1, 1:-1]


def marginal_soft_argmax(logits: torch.Tensor, size: int = HEATMAP_SIZE) -> torch.Tensor:
    """`soft_argmax_3d` for logits (B, J, D·H·W) (depth, row, column), without the normalised volume.

    Shifting by the maximum leaves the softmax unchanged; the marginals over depth, rows and columns come
    from sums over 64 bins in float32 and then float64. Returns (B, J, 3) (u, v, d) float32 in [-0.5, 0.5).
    """
    batch, joints = logits.shape[:2]
    volume = logits.reshape(batch, joints, size, size, size)
    peak = logits.amax(dim=2).reshape(batch, joints, 1, 1, 1)
    weights = torch.exp(volume - peak)
    depth_rows = weights.sum(dim=4).double()  # (B, J, D, H)
    depth_columns = weights.sum(dim=3).double()  # (B, J, D, W)
    marginal_d, marginal_v = depth_rows.sum(dim=3), depth_rows.sum(dim=2)
    marginal_u = depth_columns.sum(dim=2)
    total = marginal_d.sum(dim=2, keepdim=True)
    bins = torch.arange(size, dtype=torch.float64, device=logits.device)
    marginals = torch.stack((marginal_u, marginal_v, marginal_d), dim=2)  # (B, J, 3, size)
    return ((marginals * bins).sum(dim=3) / total / size - 0.5).float()


class FusedHybrIKHead(nn.Module):
    """A loaded, eval-mode HybrIKHead's weights in the fused form: features (B, 512, 8, 8) → (uvd, betas, phis)."""

    def __init__(self, head: HybrIKHead):
        super().__init__()
        assert not head.training, "fuse an eval-mode head (BatchNorm running statistics, no dropout)"
        layers = list(head.deconv_layers)
        last = len(layers) - 3
        self.deconvs = nn.Sequential(
            *(SubPixelDeconv(layers[i], layers[i + 1], constant_channel=i == last) for i in range(0, len(layers), 3))
        )
        final = head.final_layer
        # The bias on the constant channel: the product adds it, with no pass of its own.
        weight = torch.cat([final.weight.detach()[:, :, 0, 0], final.bias.detach()[:, None]], dim=1)
        self.register_buffer("final_weight", weight)  # (29·64, 256 + 1)
        self.fc1, self.fc2, self.decshape, self.decphi = head.fc1, head.fc2, head.decshape, head.decphi
        self.register_buffer("init_shape", head.init_shape.detach().clone())

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch = features.shape[0]
        maps = self.deconvs(features).flatten(2)  # (B, 256 + 1, 64·64), the last channel all 1
        logits = torch.matmul(self.final_weight, maps)  # (B, 29·64, 64·64)
        uvd = marginal_soft_argmax(logits.reshape(batch, NUM_JOINTS_29, -1))
        hidden = self.fc2(self.fc1(features.mean(dim=(2, 3))))
        betas = self.decshape(hidden) + self.init_shape
        phis = self.decphi(hidden).reshape(batch, NUM_TWISTS, 2)
        return uvd, betas, phis


class FusedHybrIKNetwork(nn.Module):
    """HybrIK's backbone + FusedHybrIKHead: images (B, 3, 256, 256) → (uvd (B, 29, 3), betas (B, 10), phis (B, 23, 2))."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.backbone = model.backbone
        self.head = FusedHybrIKHead(model.head)

    def forward(self, images: torch.Tensor):
        return self.head(self.backbone(images))
