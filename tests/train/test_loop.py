"""Small in-memory stand-ins for training tests: a random body model and synthetic HMR / HybrIK items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from core.body_models.base import SMPL_PARENTS, BodyModel


def tiny_body_model(num_vertices: int = 60, seed: int = 0) -> BodyModel:
    """A BodyModel with SMPL's tree and random, sane arrays (rows of weights and regressors sum to 1)."""
    rng = np.random.default_rng(seed)
    weights = rng.random((num_vertices, 24)) ** 4
    regressor = rng.random((24, num_vertices)) ** 4
    leaves = np.zeros((5, num_vertices))
    leaves[np.arange(5), rng.choice(num_vertices, 5, replace=False)] = 1
    return BodyModel(
        kind="open",
        gender="neutral",
        v_template=rng.normal(0, 0.3, (num_vertices, 3)),
        shapedirs=rng.normal(0, 0.01, (num_vertices, 3, 10)),
        J_regressor=regressor / regressor.sum(1, keepdims=True),
        lbs_weights=weights / weights.sum(1, keepdims=True),
        faces=np.zeros((1, 3), np.int64),
        parents=SMPL_PARENTS,
        regressors={"hybrik_leaf_5": leaves},
    )


def smpl24_keypoints(body_model, output) -> torch.Tensor:
    """keypoint_fn stand-in: the 24 FK joints (pelvis pair = left/right hip, indices 1 and 2)."""
    return output.joints


class SyntheticMeshItems(Dataset):
    """HMR/SPIN items: fixed random crops whose labels come from the body model posed at random."""

    def __init__(self, body_model: BodyModel, num: int = 8, img_res: int = 64, seed: int = 0):
        gen = torch.Generator().manual_seed(seed)
        self.img = torch.randn(num, 3, img_res, img_res, generator=gen)
        self.pose = torch.randn(num, 24, 3, generator=gen) * 0.2
        self.betas = torch.randn(num, 10, generator=gen) * 0.5
        with torch.no_grad():
            out = body_model.forward_axis_angle(self.betas, self.pose[:, 0], self.pose[:, 1:])
        self.kp3d = out.joints
        self.kp2d = out.joints[..., :2] * 40 + img_res / 2

    def __len__(self):
        return len(self.img)

    def __getitem__(self, item):
        _, _, i = item
        return dict(
            img=self.img[i],
            keypoints2d=self.kp2d[i],
            keypoints2d_weight=torch.ones(24),
            keypoints3d=self.kp3d[i],
            keypoints3d_weight=torch.ones(24),
            smpl_pose=self.pose[i],
            smpl_betas=self.betas[i],
            has_smpl=torch.tensor(1.0),
            adv_pose=self.pose[(i + 1) % len(self)],
            adv_betas=self.betas[(i + 1) % len(self)],
            valid=torch.tensor(1.0),
        )


# ------------------------------------------------------------------------------------------------
# Trainer helpers
# ------------------------------------------------------------------------------------------------
import os  # noqa: E402

import pytest  # noqa: E402

from train.config import apply_overrides, hmr_config  # noqa: E402
from train.data.sampling import MixedSampler  # noqa: E402
from train.trainers import MeshTrainer  # noqa: E402

TINY = [
    "data.batch_size=4",
    "data.img_res=64",
    "data.num_workers=0",
    "runtime.val_interval=0",
    "runtime.log_interval=1",
    "model.sync_bn=false",
    "runtime.device='cpu'",
    "model.pretrained_backbone=none",
    "model.mean_params=rest",
]


def make_trainer(run_dir, overrides=(), num=8, world_size=1, rank=0, draws=None):
    config = apply_overrides(hmr_config(), TINY + list(overrides))
    body_model = tiny_body_model()
    items = SyntheticMeshItems(body_model, num=num, img_res=config.data.img_res)
    sampler = MixedSampler([num], [1.0], draws or num, config.data.batch_size, config.runtime.seed, rank, world_size)
    return MeshTrainer(config, run_dir, items, sampler, body_model, keypoint_fn=smpl24_keypoints, pelvis=(1, 2))


def test_hmr_training_lowers_the_loss_and_overfits_a_tiny_set(tmp_path):
    trainer = make_trainer(tmp_path, ["runtime.epochs=2", "optim.lr=1e-3", "model.freeze_bn=true"], num=4, draws=40)
    for module in trainer.generator.modules():  # dropout off so a 4-sample set can be fitted
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    history = trainer.fit()
    first, last = history[0], history[-1]
    # the adversarial term is a two-player game that need not fall; the supervised part must
    supervised = lambda row: row["loss"] - trainer.config.loss.adversarial * row["adversarial"]  # noqa: E731
    assert supervised(last) < 0.5 * supervised(first), (first, last)
    assert last["keypoints3d"] < first["keypoints3d"]
    assert {"disc_loss", "adversarial", "vertex", "smpl_pose"} <= set(last)
    assert (tmp_path / "config.json").is_file() and (tmp_path / "environment.json").is_file()
    assert (tmp_path / "losses.csv").read_text().count("\n") == len(history) + 1
    assert (tmp_path / "epoch_2.pth").is_file() and list((tmp_path / "tensorboard").iterdir())


def test_training_maths_follow_the_parameters_dtype(tmp_path):
    """Nothing in the losses is hard-wired to float32: with the networks and body model in float64 a step computes
    every loss term, gradient and update in float64 (scripts/compare_training_with_mmhuman3d.py relies on it)."""
    trainer = make_trainer(tmp_path)
    for module in (trainer.generator, trainer.disc, trainer.body_model):
        module.double()
    assert trainer.dtype == torch.float64
    items = [trainer.train_set[(0, 0, i)] for i in range(4)]
    batch = trainer.to_device({k: torch.stack([item[k] for item in items]) for k in items[0]})  # from float32 items
    assert batch["img"].dtype == torch.float64 and batch["valid"].dtype == torch.float64
    seen = []
    for optimizer in trainer.optimizers.values():
        step = optimizer.step
        optimizer.step = lambda *a, _step=step, _o=optimizer, **k: (
            seen.extend(p.grad.dtype for g in _o.param_groups for p in g["params"] if p.grad is not None),
            _step(*a, **k),
        )[1]
    terms, total = trainer.compute_loss(trainer.forward_step(batch), batch)
    assert total.dtype == torch.float64 and all(t.dtype == torch.float64 for t in terms.values()), terms
    trainer.training_step(batch)
    assert seen and set(seen) == {torch.float64}
    assert all(p.dtype == torch.float64 for p in trainer.generator.parameters())


class _Crash(Exception):
    pass


@pytest.mark.slow
def test_resume_after_a_crash_continues_with_identical_losses(tmp_path):
    every = ["runtime.epochs=2", "runtime.checkpoint_every_iters=1"]
    reference = make_trainer(tmp_path / "straight", every, draws=12).fit()

    crashing = make_trainer(tmp_path / "crash", every, draws=12)
    original_record = crashing.record

    def record_then_crash(losses, writer):
        original_record(losses, writer)
        if crashing.iteration == 4:  # mid-epoch 2 (3 iterations per epoch), after latest.pth of iteration 4
            crashing.save_checkpoint()
            raise _Crash

    crashing.record = record_then_crash
    with pytest.raises(_Crash):
        crashing.fit()
    resumed = make_trainer(tmp_path / "crash", every, draws=12)
    assert resumed.resume()
    assert (resumed.epoch, resumed.iteration, resumed.batch_in_epoch) == (1, 4, 1)
    rest = resumed.fit()
    assert [row["iteration"] for row in rest] == [5, 6]
    for expected, got in zip(reference[4:], rest):
        assert expected == got


DDP_SETTINGS = ["runtime.epochs=1", "model.freeze_bn=true", "runtime.log_interval=0"]


def _no_dropout(trainer):
    for module in trainer.generator.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0


def _ddp_worker(rank: int, run_dir: str, port: int) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank)
    )
    trainer = make_trainer(run_dir, DDP_SETTINGS + ["data.batch_size=2"], world_size=2, rank=rank)
    _no_dropout(trainer)
    trainer.fit()
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_process_ddp_matches_one_process_with_the_same_global_batch(tmp_path):
    import socket

    import torch.multiprocessing as mp

    from core.networks.checkpoint import read_checkpoint

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(_ddp_worker, args=(str(tmp_path / "ddp"), port), nprocs=2, join=True)
    single = make_trainer(tmp_path / "single", DDP_SETTINGS + ["data.batch_size=4"])
    _no_dropout(single)
    single.fit()
    ddp_state, _ = read_checkpoint(tmp_path / "ddp" / "epoch_1.pth")
    single_state, _ = read_checkpoint(tmp_path / "single" / "epoch_1.pth")
    assert ddp_state.keys() == single_state.keys()
    # Adam turns float-rounding-sized gradients into ±lr steps, so a handful of weights may differ by up to
    # 2·lr·steps; everything else must agree to float precision.
    lr, steps = single.config.optim.lr, single.iteration
    differing = total = 0
    for key, value in single_state.items():
        diff = (ddp_state[key].double() - value.double()).abs()
        assert float(diff.max()) <= 2 * lr * steps + 1e-6, key
        differing, total = differing + int((diff > 1e-5).sum()), total + diff.numel()
    assert differing < 1e-4 * total, f"{differing} of {total} weights differ"
    initial = make_trainer(tmp_path / "initial", DDP_SETTINGS).generator.head.fc1.weight
    assert not torch.allclose(single_state["head.fc1.weight"], initial), "training must change the weights"


def test_training_checkpoint_loads_strictly_in_core(tmp_path):
    from core.networks.build import build_network
    from core.networks.checkpoint import load_strict, looks_like, read_checkpoint

    trainer = make_trainer(tmp_path, ["runtime.epochs=1", "runtime.max_iters_per_epoch=1"])
    trainer.fit()
    state, meta = read_checkpoint(tmp_path / "epoch_1.pth")
    assert looks_like(state) == "hmr" and meta["method"] == "hmr" and meta["epoch"] == 1
    assert sum(k.startswith("disc.") for k in state) == 60
    fresh = build_network("hmr", 50)
    load_strict({"backbone": fresh.backbone, "head": fresh.head}, state, "test", "epoch_1.pth")
    torch.testing.assert_close(fresh.head.fc1.weight, trainer.generator.head.fc1.weight)


def _ddp_resume_worker(rank: int, run_dir: str, port: int, mode: str) -> None:
    """mode 'straight': train to the end; 'killed': stop after iteration 5 (last checkpoint at 4), as a kill would;
    'resumed': --resume from latest.pth. Each rank writes the loss rows it trained to rank<R>_<mode>.json."""
    import json

    torch.set_num_threads(1)
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank)
    )
    settings = [
        "runtime.epochs=2",
        "model.freeze_bn=true",
        "data.batch_size=2",
        "runtime.checkpoint_every_iters=2",
        "runtime.log_interval=1",
    ]  # dropout stays on: each rank's own random stream must be restored
    trainer = make_trainer(run_dir, settings, world_size=2, rank=rank, draws=12)
    if mode == "resumed":
        assert trainer.resume()
    if mode == "killed":
        original_record = trainer.record

        def record_then_stop(losses, writer):
            original_record(losses, writer)
            if trainer.iteration == 5:
                raise _Crash

        trainer.record = record_then_stop
    try:
        trainer.fit()
    except _Crash:
        pass
    Path(run_dir, f"rank{rank}_{mode}.json").write_text(json.dumps(trainer.history))
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_kill_and_resume_under_two_process_ddp_gives_the_uninterrupted_losses(tmp_path):
    import csv
    import json
    import socket

    import torch.multiprocessing as mp

    def spawn(run_dir, mode):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        mp.spawn(_ddp_resume_worker, args=(str(run_dir), port, mode), nprocs=2, join=True)

    spawn(tmp_path / "straight", "straight")
    spawn(tmp_path / "killed", "killed")
    killed_rows = list(csv.DictReader((tmp_path / "killed" / "losses.csv").open()))
    assert [int(row["iteration"]) for row in killed_rows] == [1, 2, 3, 4, 5]  # 5 was logged after the checkpoint
    spawn(tmp_path / "killed", "resumed")
    for rank in (0, 1):
        straight = json.loads((tmp_path / "straight" / f"rank{rank}_straight.json").read_text())
        resumed = json.loads((tmp_path / "killed" / f"rank{rank}_resumed.json").read_text())
        assert [row["iteration"] for row in resumed] == [5, 6]
        for expected, got in zip(straight[4:], resumed):
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-9), rank
    rows = list(csv.DictReader((tmp_path / "killed" / "losses.csv").open()))
    assert [int(row["iteration"]) for row in rows] == [1, 2, 3, 4, 5, 6]  # no iteration repeated
    straight_rows = list(csv.DictReader((tmp_path / "straight" / "losses.csv").open()))
    assert [float(r["loss"]) for r in rows] == pytest.approx([float(r["loss"]) for r in straight_rows], rel=1e-6)


def test_losses_csv_is_cut_at_the_resumed_iteration(tmp_path):
    from train.trainer import cut_losses_csv

    path = tmp_path / "losses.csv"
    path.write_text("epoch,iteration,loss\n0,1,3.0\n0,2,2.5\n1,3,2.0\n1,4,1.5\n")
    cut_losses_csv(path, 2)
    assert path.read_text().splitlines() == ["epoch,iteration,loss", "0,1,3.0", "0,2,2.5"]
    cut_losses_csv(tmp_path / "absent.csv", 2)  # nothing to cut
