"""Faster CPU inference on the same weights: each method's network run by ONNX Runtime.

When a model is loaded for inference (`core.pipeline.inference.get_model`), its network (backbone + head: images →
HMRHeadOutput or HybrIKHeadOutput) is exported once with torch.onnx (dynamic batch size) and handed to an
onnxruntime session. ONNX Runtime folds every BatchNorm into its convolution, fuses convolution + add + ReLU
and runs oneDNN-style blocked kernels: on a 2-core CPU the HMR network takes about half the time of eager
PyTorch, with outputs equal to float rounding (tests/core/networks/test_onnx.py compares both paths). Denormal
floats are flushed to zero while a session runs (`OnnxNetwork`): a trained HybrIK's sharp heat-maps make many.

Exporting takes seconds per network, so the exported graph is kept on disk beside the checkpoint it came from,
named by the checkpoint's content hash and GRAPH_VERSION (`cached_graph_path`): later starts load it in a
fraction of the time, and a changed checkpoint or export gets a new file (older ones are removed). Where the
checkpoint's folder cannot be written, the graph is exported at each start.

The PyTorch modules stay the reference and the fallback. They run unchanged when HMRC_FAST=off, on a CUDA
device, under autocast, in training mode, or when onnxruntime is not installed. Everything after the
network (IK, skinning, cameras) is PyTorch in both cases.
"""

from __future__ import annotations

import glob
import io
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.file_hash import sha256_of
from core.settings import FAST, FAST_CHOICES, fast_setting

ONNX_OPSET = 17
ONNX_INPUT = "images"
# Raise when what is exported changes (2: HybrIK's fused head; 3: its pixel shuffle), so cached graphs are redone.
GRAPH_VERSION = 3
GRAPH_SUFFIX = ".onnx"


def onnxruntime_available() -> bool:
    try:
        import onnx  # noqa: F401 - torch.onnx.export needs it
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxNetwork:
    """An onnxruntime session standing in for a method's network on the CPU: images (B, 3, S, S) → head output."""

    def __init__(
        self,
        exported: nn.Module,
        output_names: list[str],
        finish,
        input_size: int,
        threads: int | None = None,
        cache: Path | None = None,
    ):
        """exported: eval-mode module images → tuple of tensors named `output_names`; finish: that tuple → head
        output; cache: the graph file to load, or to write after exporting (None: export, keep nothing)."""
        import onnxruntime

        self.names, self.finish = output_names, finish
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        # Idle workers would otherwise spin for a while after each run, taking the CPU from detection and rendering.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Flush denormal floats (below 1.2e-38) to zero. With sharp heat-maps, as a trained HybrIK's are, much of
        # exp(logit − peak) over the 64³ bins falls in that range, where every operation takes the CPU's slow path:
        # HybrIK's network took 79 ms instead of 58 (scripts/compare_with_mmhuman3d.py --speed). No output changes
        # beyond float rounding. The option covers ONNX Runtime's own threads; `_denormals_flushed` the caller's.
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
        self.session, self.cached = None, False
        if cache is not None and cache.is_file():
            try:
                with _denormals_flushed():
                    self.session = onnxruntime.InferenceSession(str(cache), options, providers=["CPUExecutionProvider"])
                self.cached = True
            except Exception:  # a damaged or foreign file: export again and replace it
                self.session = None
        if self.session is None:
            model_bytes = export_onnx(exported, input_size, output_names)
            with _denormals_flushed():
                self.session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
            if cache is not None:
                _store_graph(model_bytes, cache)
        self.info = f"ONNX Runtime {onnxruntime.__version__} ({options.intra_op_num_threads} threads)"

    def __call__(self, images: torch.Tensor):
        """images (B, 3, S, S) float32 CPU → the head's output dataclass (float32 CPU tensors)."""
        with _denormals_flushed():
            arrays = self.session.run(self.names, {ONNX_INPUT: images.detach().contiguous().numpy()})
        return self.finish(tuple(torch.from_numpy(array) for array in arrays))


def flushes_denormals() -> bool:
    """Whether this thread's floating-point unit flushes denormal floats to zero."""
    return float(np.float32(1e-39) * np.float32(1.0)) == 0.0


@contextmanager
def _denormals_flushed():
    """Flush denormals on the calling thread within the block (it runs part of each session's work), then give the
    thread its own setting back. ONNX Runtime may switch the flag on for a thread that creates a session, too."""
    flushing = flushes_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if not flushing:
            torch.set_flush_denormal(False)


def export_onnx(network: nn.Module, input_size: int, output_names: list[str]) -> bytes:
    """An eval-mode `network` (images → tuple of tensors) → ONNX model bytes with a dynamic batch dimension."""
    assert not network.training, "export the network in eval mode (dropout off, BatchNorm running statistics)"
    example = torch.zeros(2, 3, input_size, input_size)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            network,
            (example,),
            buffer,
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=[ONNX_INPUT],
            output_names=output_names,
            dynamic_axes={name: {0: "batch"} for name in [ONNX_INPUT, *output_names]},
        )
    return buffer.getvalue()


def cached_graph_path(checkpoint: str | Path) -> Path:
    """Where the graph exported from `checkpoint` is kept: beside it, named by its sha256 and GRAPH_VERSION."""
    checkpoint = Path(checkpoint)
    digest = sha256_of(checkpoint)[:16]  # hashed once per file version (core.file_hash), shared with the checks
    return checkpoint.with_name(f"{checkpoint.name}.v{GRAPH_VERSION}-{digest}{GRAPH_SUFFIX}")


def _store_graph(model_bytes: bytes, path: Path) -> None:
    """Write the graph atomically (another process may be reading) and remove this checkpoint's older graphs."""
    checkpoint_name = path.name[: path.name.rindex(".v")]
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(model_bytes)
        os.replace(temporary, path)
        for older in path.parent.glob(f"{glob.escape(checkpoint_name)}.v*{GRAPH_SUFFIX}"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:  # a read-only checkpoints folder: the graph is exported again at the next start
        temporary.unlink(missing_ok=True)


def accelerate(model: nn.Module, backend: str | None = None, checkpoint: str | Path | None = None) -> str:
    """Give an eval-mode HMR / SPIN_GTA / HybrIK model its ONNX Runtime network where the backend allows.

    Sets `model.fast_network` (used by core.pipeline.estimate for CPU inference) and returns what runs the network.
    With the `checkpoint` the weights came from, the exported graph is cached beside it (`cached_graph_path`).
    """
    backend = fast_setting() if backend is None else backend
    if backend not in FAST_CHOICES:
        raise ValueError(f"backend must be one of {FAST_CHOICES}, got {backend!r}")
    model.fast_network = None
    if backend == "off":
        return "PyTorch (HMRC_FAST=off)"
    if model.device.type != "cpu":
        return f"PyTorch on {model.device}"
    if not onnxruntime_available():
        if backend == "onnxruntime":
            raise RuntimeError(f"{FAST}=onnxruntime needs: pip install onnxruntime onnx (or set {FAST}=auto)")
        return "PyTorch (onnxruntime not installed)"
    exported, names, finish = _exported_network(model)
    try:
        cache = cached_graph_path(checkpoint) if checkpoint is not None else None
        model.fast_network = OnnxNetwork(exported, names, finish, model.input_spec.size, cache=cache)
    except Exception as error:  # a torch / onnxruntime pair that cannot export or load this graph
        if backend == "onnxruntime":
            raise
        warnings.warn(
            f"{model.method}: ONNX Runtime path unavailable ({type(error).__name__}: {error}); running plain PyTorch",
            RuntimeWarning,
            stacklevel=2,
        )
        return f"PyTorch (ONNX export failed: {type(error).__name__})"
    return model.fast_network.info


class _HMRNetwork(nn.Module):
    """HMR / SPIN-GTA backbone + head with the output dataclass as a tuple, for the exporter."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images):
        out = self.model(images)
        return out.rotmats, out.betas, out.cam_weak, out.pose_6d


def _hmr_output(arrays):
    from core.networks.hmr_head import HMRHeadOutput

    return HMRHeadOutput(*arrays)


def _hybrik_output(arrays):
    from core.networks.hybrik_head import HybrIKHeadOutput

    return HybrIKHeadOutput(*arrays)


def _exported_network(model: nn.Module):
    """(module to export, its output names, tuple of outputs → head output) for `model`'s method."""
    if model.method == "hybrik":
        from core.networks.hybrik_fused import FusedHybrIKNetwork

        return FusedHybrIKNetwork(model).eval(), ["uvd", "betas", "phis"], _hybrik_output
    return _HMRNetwork(model).eval(), ["rotmats", "betas", "cam_weak", "pose_6d"], _hmr_output


def describe(model: nn.Module) -> str:
    """What runs the model's network, for the app's environment panel."""
    fast = getattr(model, "fast_network", None)
    return fast.info if fast is not None else "PyTorch"
