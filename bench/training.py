"""Evaluation throughput on a synthetic 3DPW-format set (train.synth) and training throughput per method."""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from bench.results import Results
from bench.timing import timing_of
from core.methods import NETWORK_METHODS
from core.paths import data_root
from core.pipeline import inference
from core.render.colors import method_label

GROUP = "training"
TRAIN_FILES = {"hmr": "synth_train.npz", "spin_gta": "synth_train.npz", "hybrik": "hybrik_synth_train.npz"}


def run(results: Results, quick: bool, work: Path) -> None:
    """`work`: a scratch folder; the synthetic set goes into the benchmark's data folder (core.paths.data_root())."""
    root = synthetic_set(data_root(), num_train=8 if quick else 32, num_test=8 if quick else 64)
    for method in NETWORK_METHODS:
        evaluation(results, root, method, batch_size=4 if quick else 16)
    for method in NETWORK_METHODS:
        training(results, root, work / f"run_{method}", method, batch_size=2 if quick else 8, steps=2 if quick else 5)


def synthetic_set(root: Path, num_train: int, num_test: int) -> Path:
    """train.synth's 3DPW-layout test and training files under `root`, rendered from the stand-in SMPL."""
    from train.synth import generate, load_synth_body_model

    if not (root / "preprocessed_datasets" / "pw3d_test.npz").is_file():
        start = time.perf_counter()
        generate(root, load_synth_body_model("smpl"), num_train=num_train, num_test=num_test, seed=0)
        print(f"  (synthetic set: {num_train} + {num_test} samples in {time.perf_counter() - start:.0f} s)")
    return root


def evaluation(results: Results, root: Path, method: str, batch_size: int) -> None:
    """core.evaluation.pw3d.run_evaluation (decode, crop, network, body models, metrics) with the stand-in SMPL."""
    from core.evaluation import pw3d as evaluation_module
    from core.evaluation.human_data import load_human_data
    from core.networks.build import load_model

    device = torch.device("cpu")
    data = load_human_data(evaluation_module.test_file(method, root))
    model = load_model(inference.require_checkpoint(method), method, inference.default_body_model(), device)
    bodies = evaluation_module.load_eval_bodies(method, device)
    run_evaluation = evaluation_module.run_evaluation
    run_evaluation(
        model, method, data, bodies, device, batch_size=batch_size, limit=batch_size, workers=0, progress=False
    )
    start = time.perf_counter()
    result = run_evaluation(model, method, data, bodies, device, batch_size=batch_size, workers=0, progress=False)
    seconds = time.perf_counter() - start
    results.add_value(
        GROUP,
        f"3DPW-format evaluation, {method_label(method)} (batch {batch_size})",
        len(result.indices) / seconds,
        "samples/s",
        runs=len(result.indices),
        note="synthetic set, stand-in SMPL, one process, plain PyTorch",
    )


def training(results: Results, root: Path, run_dir: Path, method: str, batch_size: int, steps: int) -> None:
    """train.run.build_trainer on the synthetic files; the median of `steps` training steps (data loading excluded)."""
    from core.settings import data_folders
    from train.config import synthetic_config
    from train.run import build_trainer

    # the synthetic training file's SMPL bodies stand in for HMR's mocap set, so its discriminator step is measured
    overrides = [f"data.batch_size={batch_size}", f"data.num_data={batch_size * (steps + 1)}"]
    config = synthetic_config(method, overrides + (["data.adv_ann_file=synth_train.npz"] if method == "hmr" else []))
    trainer = build_trainer(config, run_dir, data_folders(root))
    trainer.set_train_mode()
    trainer.sampler.set_epoch(0, start_batch=0)
    loader = DataLoader(
        trainer.train_set, batch_size=trainer.sampler.batch_size, sampler=trainer.sampler, num_workers=0, drop_last=True
    )
    seconds = []
    for index, batch in enumerate(loader):
        start = time.perf_counter()
        trainer.training_step(trainer.to_device(batch))
        if index > 0:  # the first step allocates
            seconds.append(time.perf_counter() - start)
    timing = timing_of(seconds)
    results.add_value(
        GROUP,
        f"training, {method_label(method)} (batch {batch_size})",
        batch_size / timing.median_s,
        "samples/s",
        runs=len(seconds),
        note=f"{1000 * timing.median_s:.0f} ms per step; data loading excluded"
        + ("; with the discriminator step" if method == "hmr" else ""),
    )
