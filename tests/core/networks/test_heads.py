import torch

from core.geometry import rot6d_to_rotmat
from core.networks.hmr_head import HMRHead
from core.networks.hybrik_head import HybrIKHead, crop_uv_to_image, soft_argmax_3d, uvd_to_camera


def test_hmr_head_keys_and_shapes():
    head = HMRHead().eval()
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    assert shapes == {
        "fc1.weight": (1024, 2205),
        "fc1.bias": (1024,),
        "fc2.weight": (1024, 1024),
        "fc2.bias": (1024,),
        "decpose.weight": (144, 1024),
        "decpose.bias": (144,),
        "decshape.weight": (10, 1024),
        "decshape.bias": (10,),
        "deccam.weight": (3, 1024),
        "deccam.bias": (3,),
        "init_pose": (1, 144),
        "init_shape": (1, 10),
        "init_cam": (1, 3),
    }
    out = head(torch.randn(2, 2048, 7, 7))
    assert out.rotmats.shape == (2, 24, 3, 3) and out.betas.shape == (2, 10) and out.cam_weak.shape == (2, 3)


def test_hmr_head_with_zero_layers_returns_mean_parameters():
    head = HMRHead().eval()
    for layer in (head.decpose, head.decshape, head.deccam):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    head.init_pose.copy_(torch.tensor([1.0, 0, 0, 1, 0, 0]).repeat(24)[None])
    head.init_shape.copy_(torch.arange(10.0)[None])
    head.init_cam.copy_(torch.tensor([[0.9, 0.1, -0.1]]))
    out = head(torch.randn(1, 2048, 7, 7))
    assert torch.allclose(out.rotmats, torch.eye(3).expand(1, 24, 3, 3))
    assert torch.equal(out.betas, head.init_shape) and torch.equal(out.cam_weak, head.init_cam)


def test_hmr_head_runs_three_iterations_of_feedback():
    head = HMRHead().eval()
    for layer in (head.decpose, head.decshape):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    torch.nn.init.zeros_(head.deccam.weight)
    torch.nn.init.constant_(head.deccam.bias, 0.5)  # each iteration adds 0.5
    out = head(torch.randn(1, 2048, 7, 7))
    assert torch.allclose(out.cam_weak, head.init_cam + 1.5)
    assert torch.allclose(out.rotmats, rot6d_to_rotmat(head.init_pose.reshape(24, 6))[None])


def test_hybrik_head_keys_and_shapes():
    head = HybrIKHead().eval()
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    assert shapes["deconv_layers.0.weight"] == (512, 256, 4, 4)
    assert shapes["deconv_layers.3.weight"] == (256, 256, 4, 4)
    assert shapes["deconv_layers.7.num_batches_tracked"] == ()
    assert shapes["final_layer.weight"] == (1856, 256, 1, 1)
    assert shapes["fc1.weight"] == (1024, 512) and shapes["decphi.weight"] == (46, 1024)
    assert shapes["init_shape"] == (10,)
    assert len(shapes) == 1 + 5 + 1 + 5 + 1 + 5 + 2 + 1 + 8
    out = head(torch.randn(2, 512, 8, 8))
    assert out.uvd.shape == (2, 29, 3) and out.betas.shape == (2, 10) and out.phis.shape == (2, 23, 2)
    assert out.uvd.min() >= -0.5 and out.uvd.max() < 0.5


def test_hybrik_head_accepts_init_shape_stored_as_row():
    head = HybrIKHead()
    state = head.state_dict()
    state["init_shape"] = torch.arange(10.0)[None]
    head.load_state_dict(state)
    assert torch.equal(head.init_shape, torch.arange(10.0))


def test_soft_argmax_on_delta_volume_returns_its_index():
    logits = torch.full((1, 2, 64, 64, 64), -1e4)
    logits[0, 0, 10, 20, 30] = 0.0  # (d, y, x)
    logits[0, 1, 63, 0, 5] = 0.0
    uvd = soft_argmax_3d(logits.reshape(1, 2, -1))
    assert torch.allclose(uvd[0, 0], torch.tensor([30 / 64 - 0.5, 20 / 64 - 0.5, 10 / 64 - 0.5]), atol=1e-6)
    assert torch.allclose(uvd[0, 1], torch.tensor([5 / 64 - 0.5, 0 / 64 - 0.5, 63 / 64 - 0.5]), atol=1e-6)


def test_soft_argmax_of_uniform_volume_is_the_mean_index():
    uvd = soft_argmax_3d(torch.zeros(1, 1, 64**3))
    assert torch.allclose(uvd, torch.full((1, 1, 3), 31.5 / 64 - 0.5), atol=1e-5)


def test_uvd_to_camera_by_hand():
    # Crop = identity (trans_inv maps crop pixels to image pixels unchanged), K = f 500, c (128, 128).
    trans_inv = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    K_inv = torch.linalg.inv(torch.tensor([[[500.0, 0, 128], [0, 500, 128], [0, 0, 1]]]))
    root = torch.tensor([[0.0, 0.0, 5.0]])
    depth_factor = torch.tensor([[2.0]], dtype=torch.float64)
    uvd = torch.tensor([[[0.0, 0.0, 0.0], [0.25, -0.25, 0.1]]])  # pixels (128, 128) and (192, 64)
    xyz = uvd_to_camera(uvd, trans_inv, K_inv, root, depth_factor)
    assert xyz.dtype == torch.float64  # mmhuman3d's float64 depth_factor promotes the result
    z = 5.0 + 0.1 * 2.0
    expected = torch.tensor([[[0.0, 0.0, 0.0], [64 / 500 * z, -64 / 500 * z, z - 5.0]]], dtype=torch.float64) / 2.0
    assert torch.allclose(xyz, expected, atol=1e-6)
    assert torch.allclose(crop_uv_to_image(uvd, trans_inv), torch.tensor([[[128.0, 128.0], [192.0, 64.0]]]))
