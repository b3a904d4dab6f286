"""core.networks.onnx: the ONNX Runtime networks give the plain PyTorch path's outputs, and the fallbacks stay plain."""

import threading

import numpy as np
import pytest
import torch

from core import settings
from core.networks import onnx
from core.networks.build import build_model
from core.networks.checkpoint import save_checkpoint
from core.networks.hybrik_head import HybrIKHeadOutput
from core.pipeline import inference
from core.pipeline.estimate import HybrIK
from core.testing.checkpoints import official_state_dict, sane_hmr
from core.testing.poses import synthetic_hybrik_scene

VERTEX_TOLERANCE_M = 1e-5
needs_onnxruntime = pytest.mark.skipif(not onnx.onnxruntime_available(), reason="onnxruntime / onnx not installed")


BOXES = np.array([[100, 50, 300, 450], [400, 200, 600, 420], [0, 0, 640, 480]], np.float32)


def _both_paths(model, image, boxes):
    """predict() through the accelerated network, then through the plain modules."""
    with torch.inference_mode():
        accelerated = model.predict(image, boxes)
        network, model.fast_network = model.fast_network, None
        try:
            plain = model.predict(image, boxes)
        finally:
            model.fast_network = network
    return accelerated, plain


@needs_onnxruntime
@pytest.mark.parametrize("method", ["hmr", "spin_gta"])
@pytest.mark.parametrize("count", [1, 3])
def test_hmr_fast_path_equals_plain_path(body_model, image, method, count):
    model = sane_hmr(body_model, method)
    assert onnx.accelerate(model, "onnxruntime").startswith("ONNX Runtime")
    accelerated, plain = _both_paths(model, image, BOXES[:count])
    assert len(accelerated) == len(plain) == count
    for a, b in zip(accelerated, plain):
        assert np.abs(a.vertices - b.vertices).max() <= VERTEX_TOLERANCE_M
        assert np.abs((a.vertices + a.cam_t) - (b.vertices + b.cam_t)).max() <= VERTEX_TOLERANCE_M
        assert np.abs(a.keypoints_2d - b.keypoints_2d).max() < 1e-2  # pixels
        assert np.abs(a.rotmats - b.rotmats).max() < 1e-5


@needs_onnxruntime
def test_hybrik_fast_network_equals_plain_network(body_model):
    torch.manual_seed(0)
    model = build_model("hybrik", body_model).eval()
    onnx.accelerate(model, "onnxruntime")
    images = torch.randn(3, 3, 256, 256)
    with torch.inference_mode():
        plain, accelerated = model.network(images), model.fast_network(images)
    assert torch.allclose(accelerated.uvd, plain.uvd, atol=1e-6, rtol=0)
    assert torch.allclose(accelerated.betas, plain.betas, atol=1e-6, rtol=0)
    assert torch.allclose(accelerated.phis, plain.phis, atol=1e-6, rtol=0)


@needs_onnxruntime
def test_hybrik_fast_network_difference_moves_the_mesh_by_less_than_tolerance(body_model, image):
    """Random weights give a meaningless pose, so the network's difference is applied to a well-posed person."""
    torch.manual_seed(0)
    model = build_model("hybrik", body_model).eval()
    onnx.accelerate(model, "onnxruntime")
    images = torch.randn(1, 3, 256, 256)
    with torch.inference_mode():
        plain, accelerated = model.network(images), model.fast_network(images)
    scene = synthetic_hybrik_scene(body_model)
    head = scene["head"]
    shifted = HybrIKHeadOutput(
        uvd=head.uvd + (accelerated.uvd - plain.uvd),
        betas=head.betas + (accelerated.betas - plain.betas),
        phis=head.phis + (accelerated.phis - plain.phis),
    )
    posed = HybrIK(body_model).eval()
    with torch.inference_mode():
        posed.network = lambda _images: head
        reference = posed.predict(image, scene["box"])[0]
        posed.network = lambda _images: shifted
        moved = posed.predict(image, scene["box"])[0]
    assert np.abs((moved.vertices + moved.cam_t) - (reference.vertices + reference.cam_t)).max() <= VERTEX_TOLERANCE_M


@needs_onnxruntime
def test_fast_network_takes_any_batch_size(body_model):
    model = sane_hmr(body_model)
    onnx.accelerate(model, "onnxruntime")
    with torch.inference_mode():
        for batch in (1, 5):
            out = model.fast_network(torch.randn(batch, 3, 224, 224))
            assert out.rotmats.shape == (batch, 24, 3, 3) and out.cam_weak.shape == (batch, 3)


def test_off_and_training_mode_use_the_plain_modules(body_model, image, monkeypatch):
    model = sane_hmr(body_model)
    assert onnx.accelerate(model, "off") == "PyTorch (HMRC_FAST=off)" and model.fast_network is None
    model.fast_network = _Refuses()
    model.train()
    with torch.no_grad():
        assert len(model.predict(image, BOXES[:2])) == 2  # _Refuses was not called
    monkeypatch.setenv(settings.FAST, "turbo")
    with pytest.raises(ValueError, match="HMRC_FAST"):
        onnx.accelerate(model)


class _Refuses:
    info = "refuses"

    def __call__(self, images):
        raise AssertionError("the accelerated network must not run here")


@needs_onnxruntime
@pytest.mark.parametrize("setting", ["auto", "off"])
def test_inference_models_follow_hmrc_fast(tmp_path, monkeypatch, body_model, image, setting):
    monkeypatch.setenv(settings.OWN_CHECKPOINT_HMR, str(tmp_path / "my_hmr.pth"))
    monkeypatch.setenv(settings.FAST, setting)
    save_checkpoint(tmp_path / "my_hmr.pth", official_state_dict("hmr", body_model), {})
    inference.clear_cache()
    try:
        model = inference.get_model("hmr", body_model)
        assert (model.fast_network is not None) == (setting == "auto")
        assert onnx.describe(model).startswith("ONNX Runtime" if setting == "auto" else "PyTorch")
        results = inference.predict(image, BOXES[:2], methods=["hmr"], body_model=body_model)["hmr"]
        _, plain = _both_paths(model, image, BOXES[:2])
        for a, b in zip(results, plain):
            assert np.abs(a.vertices - b.vertices).max() <= VERTEX_TOLERANCE_M
    finally:
        inference.clear_cache()


@needs_onnxruntime
def test_auto_falls_back_to_pytorch_when_export_fails(body_model, monkeypatch):
    def broken_export(*args, **kwargs):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx, "export_onnx", broken_export)
    model = sane_hmr(body_model)
    with pytest.warns(RuntimeWarning, match="plain PyTorch"):
        assert onnx.accelerate(model, "auto") == "PyTorch (ONNX export failed: RuntimeError)"
    assert model.fast_network is None
    with pytest.raises(RuntimeError, match="unsupported operator"):
        onnx.accelerate(model, "onnxruntime")


@needs_onnxruntime
def test_exported_graph_is_kept_beside_its_checkpoint_and_reused(tmp_path, body_model, image):
    checkpoint = tmp_path / "hmr.pth"
    save_checkpoint(checkpoint, official_state_dict("hmr", body_model), {})
    first = sane_hmr(body_model)
    first.load_weights(checkpoint)
    first.eval()
    onnx.accelerate(first, "onnxruntime", checkpoint=checkpoint)
    graph = onnx.cached_graph_path(checkpoint)
    assert graph.is_file() and graph.parent == tmp_path and graph.name.startswith("hmr.pth.v")
    assert not first.fast_network.cached
    again = sane_hmr(body_model)
    again.load_weights(checkpoint)
    again.eval()
    onnx.accelerate(again, "onnxruntime", checkpoint=checkpoint)
    assert again.fast_network.cached  # loaded from the file, not exported
    images = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        assert torch.equal(again.fast_network(images).rotmats, first.fast_network(images).rotmats)
    # Other weights under the same name: a new graph, the old one removed; a damaged file is replaced.
    save_checkpoint(checkpoint, official_state_dict("hmr", body_model), {})
    onnx.accelerate(again, "onnxruntime", checkpoint=checkpoint)
    assert not graph.exists() and onnx.cached_graph_path(checkpoint).is_file()
    onnx.cached_graph_path(checkpoint).write_bytes(b"not a graph")
    onnx.accelerate(again, "onnxruntime", checkpoint=checkpoint)
    assert not again.fast_network.cached and onnx.cached_graph_path(checkpoint).stat().st_size > 1000


@needs_onnxruntime
def test_an_unwritable_cache_only_costs_the_export(tmp_path, body_model, monkeypatch):
    checkpoint = tmp_path / "hmr.pth"
    save_checkpoint(checkpoint, official_state_dict("hmr", body_model), {})

    def refuse(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(onnx.os, "replace", refuse)
    model = sane_hmr(body_model)
    assert onnx.accelerate(model, "onnxruntime", checkpoint=checkpoint).startswith("ONNX Runtime")
    assert list(tmp_path.iterdir()) == [checkpoint]  # nothing left behind


def _sharpen_heatmaps(model, scale: float) -> None:
    """Scale HybrIK's last 1×1 convolution so that its heat-maps are peaked like a trained network's: far from
    the peak, exp(logit − peak) falls below float32's smallest normal number (1.2e-38)."""
    with torch.no_grad():
        model.head.final_layer.weight.mul_(scale)
        model.head.final_layer.bias.zero_()


@needs_onnxruntime
def test_sharp_heatmaps_with_denormals_flushed_give_the_plain_network_s_outputs(body_model):
    torch.manual_seed(0)
    model = build_model("hybrik", body_model).eval()
    _sharpen_heatmaps(model, 60000.0)
    images = torch.randn(2, 3, 256, 256)
    with torch.inference_mode():
        logits = model.head.final_layer(model.head.deconv_layers(model.backbone(images))).flatten(2)
        shifted = logits - logits.amax(dim=2, keepdim=True)
        assert ((shifted < -87.4) & (shifted > -103.9)).float().mean() > 0.05  # exp() of these is denormal
        onnx.accelerate(model, "onnxruntime")
        options = model.fast_network.session.get_session_options()
        assert options.get_session_config_entry("session.set_denormal_as_zero") == "1"
        plain, accelerated = model.network(images), model.fast_network(images)
    torch.testing.assert_close(accelerated.uvd, plain.uvd, atol=1e-5, rtol=0)


class _RecordingSession:
    """An onnxruntime session that notes whether the calling thread flushes denormals while it runs."""

    def __init__(self, session, seen: dict):
        self.session, self.seen = session, seen

    def run(self, *args):
        self.seen["while running"] = onnx.flushes_denormals()
        return self.session.run(*args)


@needs_onnxruntime
def test_the_calling_thread_flushes_denormals_only_while_a_session_runs(body_model):
    """ONNX Runtime's option covers its own threads; the caller's thread, which does part of the work, is switched
    for the run and then given its own setting back (in fresh threads: the flag belongs to the thread)."""
    model = sane_hmr(body_model)
    seen = {}

    def create_and_run(flush: bool):
        torch.set_flush_denormal(flush)
        onnx.accelerate(model, "onnxruntime")
        seen["after creating"] = onnx.flushes_denormals()
        model.fast_network.session = _RecordingSession(model.fast_network.session, seen)
        with torch.inference_mode():
            model.fast_network(torch.randn(1, 3, 224, 224))
        seen["after running"] = onnx.flushes_denormals()

    for flush in (False, True):
        thread = threading.Thread(target=create_and_run, args=(flush,))
        thread.start()
        thread.join()
        assert seen == {"after creating": flush, "while running": True, "after running": flush}
