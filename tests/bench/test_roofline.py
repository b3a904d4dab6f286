"""bench.roofline counts a network's arithmetic from its ONNX graph exactly."""

import torch
from torch import nn

from bench.roofline import graph_gflop
from core.networks.onnx import export_onnx


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.linear = nn.Linear(4 * 16 * 16, 5)

    def forward(self, images):
        x = self.up(self.grouped(self.conv(images)))
        return (self.linear(x.flatten(1)),)


def test_arithmetic_is_counted_per_layer(tmp_path):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(export_onnx(_Tiny().eval(), 16, ["out"]))
    macs = (
        8 * 16 * 16 * (3 * 3 * 3)  # conv: every output value, 3 channels × 3 × 3
        + 8 * 8 * 8 * (4 * 3 * 3)  # grouped, stride 2: 8 × 8 outputs, 4 channels per group
        + 8 * 8 * 8 * (4 * 2 * 2)  # transposed: every input value spread over 4 channels × 2 × 2
        + (4 * 16 * 16) * 5  # linear
    )
    assert graph_gflop(path) == 2 * macs / 1e9


def test_a_product_after_a_reshape_is_counted(tmp_path):
    class _Reshaped(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(6, 3))

        def forward(self, images):  # (B, 3, 16, 16) → (B, 6, 256): a product whose shape only data propagation knows
            return (torch.matmul(self.weight, images.reshape(images.shape[0], 3, -1)),)

    path = tmp_path / "reshaped.onnx"
    path.write_bytes(export_onnx(_Reshaped().eval(), 16, ["out"]))
    assert graph_gflop(path) == 2 * (6 * 3 * 256) / 1e9
