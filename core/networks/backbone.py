"""ResNet-50 / ResNet-34 feature extractors with torchvision's state_dict keys (minus `fc`).

mmhuman3d's ResNet (style 'pytorch': stride on the 3×3 conv) stores exactly torchvision's keys under
`backbone.`: `conv1`, `bn1`, `layerS.B.conv1/bn1/conv2/bn2[/conv3/bn3]`, `layerS.0.downsample.0/.1`.
`forward` returns the last stage's map: (B, 2048, H/32, W/32) for R-50, (B, 512, H/32, W/32) for R-34.
"""

from __future__ import annotations

from torch import nn

STAGE_WIDTHS = (64, 128, 256, 512)
STAGE_STRIDES = (1, 2, 2, 2)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(in_channels, width * self.expansion, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(in_channels, width * self.expansion, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def _downsample(in_channels: int, out_channels: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))


class ResNet(nn.Module):
    """ResNet trunk without avgpool/fc; `forward(img (B, 3, H, W)) -> (B, C, H/32, W/32)`."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], blocks_per_stage: tuple[int, ...]):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_channels = 64
        for index, (width, stride, count) in enumerate(zip(STAGE_WIDTHS, STAGE_STRIDES, blocks_per_stage)):
            blocks = []
            for b in range(count):
                blocks.append(block(in_channels, width, stride if b == 0 else 1))
                in_channels = width * block.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.out_channels = in_channels

    def init_weights(self) -> None:
        """mmhuman3d's ResNet initialisation without pretrained weights (models/backbones/resnet.py, init_cfg
        None): Kaiming-normal convolutions (fan-out, ReLU, bias 0), BatchNorm weight 1 / bias 0, and the
        last BatchNorm of every residual block zeroed (zero_init_residual=True)."""
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(layer, nn.BatchNorm2d):
                nn.init.constant_(layer.weight, 1)
                nn.init.constant_(layer.bias, 0)
        for block in self.modules():
            last = getattr(block, "bn3", None) if isinstance(block, Bottleneck) else getattr(block, "bn2", None)
            if isinstance(block, (Bottleneck, BasicBlock)):
                nn.init.constant_(last.weight, 0)

    def forward(self, img):
        x = self.maxpool(self.relu(self.bn1(self.conv1(img))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def build_backbone(depth: int) -> ResNet:
    """ResNet-50 (Bottleneck) or ResNet-34 (BasicBlock), both with (3, 4, 6, 3) blocks."""
    if depth == 50:
        return ResNet(Bottleneck, (3, 4, 6, 3))
    if depth == 34:
        return ResNet(BasicBlock, (3, 4, 6, 3))
    raise ValueError(f"ResNet depth must be 50 or 34, got {depth}")
