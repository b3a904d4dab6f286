"""core.networks.hybrik_fused: HybrIK's head rewritten for inference gives the reference head's outputs."""

import pytest
import torch

from core.networks.hybrik_fused import FusedHybrIKHead, SubPixelDeconv, marginal_soft_argmax
from core.networks.hybrik_head import HybrIKHead, soft_argmax_3d


def _random_head(seed: int = 0) -> HybrIKHead:
    """Every weight and BatchNorm statistic random, so no layer is an identity (eval mode)."""
    generator = torch.Generator().manual_seed(seed)
    head = HybrIKHead()
    with torch.no_grad():
        for name, tensor in head.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_mean"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            elif tensor.ndim == 1 and not name.endswith("bias"):  # BN scale, running variance, mean shape
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.5 + 0.75)
            else:
                fan_in = tensor[0].numel() if tensor.ndim > 1 else 1
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in**0.5)
    return head.eval()


def test_sub_pixel_convolution_equals_transposed_convolution_batchnorm_relu():
    head = _random_head()
    deconv, norm, relu = list(head.deconv_layers)[:3]
    features = torch.randn(2, 512, 8, 8)
    with torch.no_grad():
        expected = relu(norm(deconv(features)))
        got = SubPixelDeconv(deconv, norm)(features)
    assert got.shape == expected.shape == (2, 256, 16, 16)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_sub_pixel_convolution_can_add_a_constant_channel():
    head = _random_head(seed=1)
    deconv, norm, relu = list(head.deconv_layers)[6:9]
    features = torch.randn(2, 256, 32, 32)
    with torch.no_grad():
        expected = relu(norm(deconv(features)))
        got = SubPixelDeconv(deconv, norm, constant_channel=True)(features)
    assert got.shape == (2, 257, 64, 64)
    torch.testing.assert_close(got[:, :256], expected, atol=1e-5, rtol=1e-5)
    assert torch.equal(got[:, 256], torch.ones(2, 64, 64))


@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])  # flat, ordinary and sharply peaked heat-maps
def test_marginal_soft_argmax_equals_the_reference(scale):
    logits = torch.randn(2, 29, 64**3, generator=torch.Generator().manual_seed(1)) * scale
    torch.testing.assert_close(marginal_soft_argmax(logits), soft_argmax_3d(logits), atol=1e-6, rtol=0)


def test_marginal_soft_argmax_finds_a_single_peak():
    logits = torch.full((1, 1, 64**3), -50.0)
    depth, row, column = 10, 40, 63
    logits[0, 0, (depth * 64 + row) * 64 + column] = 50.0
    expected = torch.tensor([[[column, row, depth]]]) / 64.0 - 0.5
    torch.testing.assert_close(marginal_soft_argmax(logits), expected, atol=1e-6, rtol=0)


def test_fused_head_equals_the_reference_head():
    head = _random_head(seed=2)
    features = torch.randn(3, 512, 8, 8)
    with torch.no_grad():
        expected = head(features)
        uvd, betas, phis = FusedHybrIKHead(head)(features)
    torch.testing.assert_close(uvd, expected.uvd, atol=1e-6, rtol=0)
    torch.testing.assert_close(betas, expected.betas, atol=1e-6, rtol=0)
    torch.testing.assert_close(phis, expected.phis, atol=1e-6, rtol=0)


def test_fusing_needs_an_eval_mode_head():
    with pytest.raises(AssertionError, match="eval-mode"):
        FusedHybrIKHead(HybrIKHead().train())
