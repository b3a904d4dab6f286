"""Forward latency per method (crop + network + body model, and HybrIK's IK), plain PyTorch against core.networks.onnx,
and the inference backends tried for the HMR network."""

from __future__ import annotations

import copy
import time
import warnings

import numpy as np
import torch

from bench.data import ONE_PERSON
from bench.results import Results
from bench.timing import time_call
from core.image_io import load_image
from core.methods import NETWORK_METHODS
from core.networks import onnx
from core.networks.build import load_model
from core.pipeline import inference
from core.render.colors import method_label

GROUP = "models"
BOX = np.array([170.0, 20.0, 470.0, 420.0], np.float32)  # around the skier


def run(results: Results, quick: bool) -> None:
    image = load_image(ONE_PERSON).rgb
    body_model = inference.default_body_model()
    batches = (1, 4) if quick else (1, 16)
    for method in NETWORK_METHODS:
        model = load_model(inference.require_checkpoint(method), method, body_model=body_model)
        onnx.accelerate(model)
        accelerated = model.fast_network
        for batch in batches:
            boxes = np.tile(BOX, (batch, 1))
            runs = (4 if quick else 20) if batch == 1 else (2 if quick else 8)
            for network, backend in ((None, "PyTorch"), (accelerated, "ONNX Runtime")):
                if backend != "PyTorch" and network is None:
                    continue
                model.fast_network = network
                timing = time_call(lambda: _predict(model, image, boxes), runs, warmup=2)
                results.add_time(
                    GROUP,
                    f"{method_label(method)} predict, batch {batch} ({backend})",
                    timing,
                    per=1,
                    note=f"{1000 * timing.median_s / batch:.1f} ms per person" if batch > 1 else "",
                )
        model.fast_network = accelerated
    network_backends(results, quick)


def _predict(model, image, boxes):
    with torch.inference_mode():
        return model.predict(image, boxes)


def network_backends(results: Results, quick: bool) -> None:
    """The HMR network alone (backbone + head, batch 1) under each way of running it."""
    model = load_model(inference.require_checkpoint("hmr"), "hmr", body_model=inference.default_body_model())
    images = torch.randn(1, 3, 224, 224)
    runs = 5 if quick else 20
    with torch.inference_mode():
        reference = model(images).rotmats
        results.add_time(GROUP, "HMR network, batch 1 (eager PyTorch)", time_call(lambda: model(images), runs, 2))
        channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
        cl_images = images.contiguous(memory_format=torch.channels_last)
        _check(channels_last(cl_images).rotmats, reference, "channels-last")
        results.add_time(
            GROUP, "HMR network, batch 1 (eager, channels-last)", time_call(lambda: channels_last(cl_images), runs, 2)
        )
    frozen = _torchscript(model, images)
    with torch.inference_mode():
        _check(frozen(images)[0], reference, "TorchScript")
        results.add_time(
            GROUP, "HMR network, batch 1 (TorchScript frozen, BN folded)", time_call(lambda: frozen(images), runs, 2)
        )
    if not quick:
        _compiled(results, model, images, reference, runs)
    if onnx.onnxruntime_available():
        onnx.accelerate(model, "onnxruntime")
        _check(model.fast_network(images).rotmats, reference, "ONNX Runtime")
        results.add_time(
            GROUP, "HMR network, batch 1 (ONNX Runtime)", time_call(lambda: model.fast_network(images), runs, 2)
        )


def _torchscript(model, images):
    class Tupled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            out = self.inner(x)
            return out.rotmats, out.betas, out.cam_weak

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(Tupled(model).eval(), images, check_trace=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def _compiled(results: Results, model, images, reference, runs: int) -> None:
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True  # constant-fold the weights, prepack them for oneDNN
    start = time.perf_counter()
    with torch.no_grad():
        compiled = torch.compile(model)
        _check(compiled(images).rotmats, reference, "torch.compile")
        compile_s = time.perf_counter() - start
        results.add_time(
            GROUP,
            "HMR network, batch 1 (torch.compile, inductor + freezing)",
            time_call(lambda: compiled(images), runs, 2),
            note=f"first call (compile) {compile_s:.0f} s; recompiles per new batch size",
        )
    inductor_config.freezing = False


def _check(value: torch.Tensor, reference: torch.Tensor, what: str) -> None:
    difference = (value - reference).abs().max().item()
    assert difference < 1e-4, f"{what} changed the HMR rotations by {difference}"
