"""How close the networks run to what this CPU can compute at all, and what that means for the speed targets.

Each network's arithmetic is counted from its ONNX graph (multiply-adds of every convolution, transposed
convolution and matrix product, × 2 floating-point operations each). The CPU's float32 ceiling is measured,
not looked up: the best rate of a large matrix product (torch, all threads), about as fast as dense float32
arithmetic gets on it. A network cannot run faster than its arithmetic at that rate, so against mmhuman3d's
measured times this bounds the speed-up any float32 implementation can show on this machine. (Lower precision,
bf16 or int8, would lift the ceiling but change the outputs, which must stay equal to mmhuman3d's.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from bench.results import Results
from bench.timing import time_call
from core.methods import NETWORK_METHODS
from core.networks import onnx as core_onnx
from core.networks.build import load_model
from core.pipeline import inference
from core.render.colors import method_label

GROUP = "roofline"
MATMUL_SIDE = 2048
COUNTED = ("Conv", "ConvTranspose", "MatMul", "Gemm")


def run(results: Results, quick: bool, earlier_results: Path) -> None:
    peak = matmul_gflops(runs=5 if quick else 40)
    results.add_value(
        GROUP,
        "float32 ceiling: best matrix-product rate (torch, all threads)",
        peak,
        "GFLOP/s",
        note=f"{MATMUL_SIDE}×{MATMUL_SIDE} products, best of the runs; {torch.get_num_threads()} threads",
    )
    earlier = _earlier_rows(earlier_results)
    body_model = inference.default_body_model()
    for method in NETWORK_METHODS:
        checkpoint = inference.require_checkpoint(method)
        model = load_model(checkpoint, method, body_model=body_model)
        core_onnx.accelerate(model, checkpoint=checkpoint)
        graph = core_onnx.cached_graph_path(checkpoint)
        gflop = graph_gflop(graph)
        label = method_label(method)
        results.add_value(GROUP, f"{label} network: arithmetic per image", gflop, "GFLOP", note=graph.name)
        size = model.input_spec.size
        for batch in (1, 16):
            images = torch.rand(batch, 3, size, size)
            runs = (3 if quick else 15) if batch == 1 else (2 if quick else 5)
            timing = time_call(lambda: model.fast_network(images), runs, warmup=1)
            achieved = gflop * batch / timing.median_s
            results.add_value(
                GROUP,
                f"{label} network, batch {batch} (ONNX Runtime): rate",
                achieved,
                "GFLOP/s",
                runs=runs,
                note=f"{100 * achieved / peak:.0f} % of the float32 ceiling; {1000 * timing.median_s:.1f} ms",
            )
            floor_ms = 1000 * gflop * batch / peak
            name = f"{label} network + body model, batch {batch} (mmhuman3d 0.11.0)"
            reference = results.find(name).value if results.find(name) else earlier.get(name)
            note = f"the network's arithmetic at {peak:.0f} GFLOP/s"
            if reference is not None:
                note += f"; mmhuman3d's modules took {reference:.1f} ms: at most ×{reference / floor_ms:.2f} faster"
            results.add_value(
                GROUP, f"{label} network, batch {batch}: fastest possible in float32", floor_ms, "ms", note
            )


def matmul_gflops(runs: int) -> float:
    """Best float32 rate (GFLOP/s) of MATMUL_SIDE² matrix products on torch's threads."""
    a, b = torch.rand(MATMUL_SIDE, MATMUL_SIDE), torch.rand(MATMUL_SIDE, MATMUL_SIDE)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_SIDE**3 / best / 1e9


def graph_gflop(path: Path) -> float:
    """Floating-point operations (GFLOP, 2 per multiply-add) of one image through the ONNX graph at `path`:
    convolutions, transposed convolutions and matrix products (the rest is a rounding error)."""
    import onnx

    model = onnx.load(str(path))
    for tensor in [*model.graph.input, *model.graph.output]:
        batch = tensor.type.tensor_type.shape.dim[0]
        batch.Clear()
        batch.dim_value = 1
    model = onnx.shape_inference.infer_shapes(model, data_prop=True)  # data_prop: shapes through Reshape too
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    for value in [*model.graph.value_info, *model.graph.input, *model.graph.output]:
        shapes[value.name] = tuple(d.dim_value for d in value.type.tensor_type.shape.dim)
    counted = [node for node in model.graph.node if node.op_type in COUNTED]
    for node in counted:
        known = [shapes.get(name) for name in (node.input[0], node.input[1], node.output[0])]
        if any(not shape or 0 in shape for shape in known):  # dim_value 0: not inferred
            raise ValueError(f"{path.name}: the shapes around {node.op_type} node '{node.name}' are not known: {known}")
    return 2 * sum(node_macs(node, shapes) for node in counted) / 1e9


def node_macs(node, shapes: dict[str, tuple[int, ...]]) -> int:
    """Multiply-adds of one Conv / ConvTranspose / MatMul / Gemm node, from its inputs' and output's shapes."""
    weight, output = shapes[node.input[1]], shapes[node.output[0]]
    if node.op_type == "Conv":  # weight (C_out, C_in / groups, k, k) applied at every output position
        return int(np.prod(output) * np.prod(weight[1:]))
    if node.op_type == "ConvTranspose":  # weight (C_in, C_out / groups, k, k) spread from every input position
        return int(np.prod(shapes[node.input[0]]) * np.prod(weight[1:]))
    left = shapes[node.input[0]]  # MatMul / Gemm: (..., M, K) × (K, N)
    return int(np.prod(left) * output[-1])


def _earlier_rows(path: Path) -> dict[str, float]:
    """Row name → value of an earlier results.json (mmhuman3d's times, when its group did not run this time)."""
    try:
        return {row["name"]: row["value"] for row in json.loads(path.read_text())["rows"]}
    except (OSError, ValueError, KeyError):
        return {}
