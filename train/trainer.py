"""Training loop: a small base trainer (processes, seeds, optimisers, checkpoints, resume, logging) and
one subclass per method family with `forward_step` and `compute_loss`.

Runs alone or under `torchrun` (DDP over the env vars RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR /
MASTER_PORT; NCCL on CUDA, gloo on CPU). Each process trains on its slice of every global batch, so N
processes with batch b match one process with batch N·b (exactly so with SyncBN or without BN
statistics in play; dropout masks differ per process).

Checkpoints (`epoch_<n>.pth` and `latest.pth`, written atomically) hold `state_dict` with the official
key names (`backbone.*`, `head.*`, HMR's `disc.*`), `meta` (epoch, iteration, config, environment) and
`resume` (optimisers, schedulers, grad scaler, RNG states, sampler position), so `resume=True` continues
exactly where the last checkpoint was taken.
"""

from __future__ import annotations

import csv
import json
import platform
import random
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from core.distributed import init_distributed, pick_device
from core.networks.build import build_network
from core.networks.checkpoint import save_checkpoint
from core.settings import DataFolders, data_folders, distributed_settings, set_library_variable
from train.config import TrainConfig, config_to_dict, save_config
from train.discriminator import SMPLDiscriminator

CHECKPOINT_LATEST = "latest.pth"


# ------------------------------------------------------------------------------------------------
# Seeds, random states, the run's environment (processes and devices: core.distributed)
# ------------------------------------------------------------------------------------------------
def seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        set_library_variable("CUBLAS_WORKSPACE_CONFIG", ":4096:8", keep_existing=True)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def rng_state() -> dict:
    state = {
        "python": list(_flatten_python_state(random.getstate())),
        "numpy": _numpy_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"][0], state["python"][1:-1], state["python"][-1]
    random.setstate((version, tuple(int(v) for v in internal), None if gauss is None else float(gauss)))
    keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached)))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _flatten_python_state(state):
    version, internal, gauss = state
    return [version, *internal, gauss]


def _numpy_state():
    _, keys, pos, has_gauss, cached = np.random.get_state()
    return [torch.as_tensor(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)]


def environment() -> dict:
    """Versions and launch details written next to every run."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, cwd=Path(__file__).parent
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "python": sys.version,
        "platform": platform.platform(),
        "torch": str(torch.__version__),
        "numpy": np.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "world_size": distributed_settings().world_size,
        "argv": sys.argv,
        "git_commit": commit,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


# ------------------------------------------------------------------------------------------------
# Networks in the official key layout
# ------------------------------------------------------------------------------------------------
def build_networks(config: TrainConfig) -> tuple[nn.Module, SMPLDiscriminator | None]:
    """The method's network (core.networks.build: `backbone.*`, `head.*`) and HMR's discriminator, kept apart
    (its own optimiser and DDP wrapper) and saved under `disc.*`."""
    generator = build_network(config.method, config.model.backbone_depth)
    disc = SMPLDiscriminator() if config.model.use_discriminator else None
    return generator, disc


def checkpoint_state_dict(generator: nn.Module, disc: nn.Module | None) -> dict[str, torch.Tensor]:
    """Official key layout: backbone.*, head.* and (HMR) disc.*; tensors moved to the CPU."""
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    if disc is not None:
        state.update({f"disc.{k}": v.detach().cpu() for k, v in disc.state_dict().items()})
    return state


def load_state_into(generator: nn.Module, disc: nn.Module | None, state: dict, strict: bool = True) -> None:
    """Inverse of checkpoint_state_dict; extra body-model keys (body_model_*, smpl.*) are ignored."""
    gen_state = {k: v for k, v in state.items() if k.startswith(("backbone.", "head."))}
    generator.load_state_dict(gen_state, strict=strict)
    if disc is not None:
        disc_state = {k[len("disc.") :]: v for k, v in state.items() if k.startswith("disc.")}
        if disc_state or strict:
            disc.load_state_dict(disc_state, strict=strict)


# ------------------------------------------------------------------------------------------------
# Base trainer
# ------------------------------------------------------------------------------------------------
class BaseTrainer:
    """Owns the networks, optimisers, data loader, checkpoints and logs; subclasses define the maths.

    train_set yields dicts of arrays for items from `sampler` (train.data.datasets.MixedSampler).
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        train_set: Dataset,
        sampler,
        body_model: nn.Module | None,
        validate=None,
        folders: DataFolders | None = None,
    ):
        self.config, self.run_dir = config, Path(run_dir)
        self.folders = folders or data_folders()
        self.device = pick_device(config.runtime.device)
        self.rank, self.world_size = init_distributed(self.device)
        seed_everything(config.runtime.seed + self.rank, config.runtime.deterministic)
        self.generator, self.disc = build_networks(config)
        self.initialise_weights()
        self.generator, self.disc = self._to_device(self.generator), self._to_device(self.disc)
        self.body_model = None if body_model is None else body_model.to(self.device)
        self.optimizers = self.build_optimizers()
        self.schedulers = [
            torch.optim.lr_scheduler.MultiStepLR(o, config.optim.lr_milestones, config.optim.lr_gamma)
            for o in self.optimizers.values()
        ]
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=config.runtime.precision == "fp16")
        self.train_set, self.sampler, self.validate_fn = train_set, sampler, validate
        self.epoch, self.iteration, self.batch_in_epoch, self.bad_samples = 0, 0, 0, 0
        self.history: list[dict] = []
        self.resumed_at: int | None = None
        if self.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def dtype(self) -> torch.dtype:
        """The parameters' dtype, in which the losses are computed (float32 also under bf16/fp16 autocast;
        float64 when the networks are .double()'d, as scripts/compare_training_with_mmhuman3d.py does)."""
        return next(self.unwrap(self.generator).parameters()).dtype

    def initialise_weights(self) -> None:
        """mmhuman3d's fresh model (train.init.initialise), then the whole-model initial checkpoint (SPIN-GTA:
        spin_official.pth) or the ImageNet backbone, each loaded with a printed report."""
        from train.init import initialise

        for line in initialise(self.generator, self.disc, self.config, self.folders):
            self.log(line)

    def log(self, message: str) -> None:
        """A line for the person running this (main process only)."""
        if self.is_main:
            print(message, flush=True)

    def _to_device(self, module: nn.Module | None):
        if module is None:
            return None
        if self.world_size > 1 and self.config.model.sync_bn:
            if self.device.type != "cuda":
                raise ValueError(
                    "SyncBatchNorm needs CUDA; on CPU use --set model.sync_bn=false "
                    "(optionally model.freeze_bn=true so all processes normalise alike)"
                )
            module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
        module = module.to(self.device)
        if self.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            module = DistributedDataParallel(module, device_ids=ids)
        return module

    @staticmethod
    def unwrap(module):
        return module.module if isinstance(module, DistributedDataParallel) else module

    def build_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        optim, gen = self.config.optim, self.unwrap(self.generator)
        adam = lambda params, lr: torch.optim.Adam(params, lr=lr, weight_decay=optim.weight_decay)  # noqa: E731
        if optim.separate_optimizers:
            optimizers = {
                "backbone": adam(gen.backbone.parameters(), optim.lr),
                "head": adam(gen.head.parameters(), optim.lr),
            }
        else:
            optimizers = {"model": adam(gen.parameters(), optim.lr)}
        if self.disc is not None:
            optimizers["disc"] = adam(self.disc.parameters(), optim.disc_lr)
        return optimizers

    # -- the loop ------------------------------------------------------------------------------
    def fit(self) -> list[dict]:
        """Train until runtime.epochs; returns the per-iteration loss rows of this call."""
        if self.is_main:
            save_config(self.config, self.run_dir / "config.json")
            (self.run_dir / "environment.json").write_text(json.dumps(environment(), indent=2) + "\n")
            if self.resumed_at is None and self.iteration == 0:  # a fresh run in an old folder starts a new log
                cut_losses_csv(self.run_dir / "losses.csv", 0)
        writer = self._tensorboard()
        while self.epoch < self.config.runtime.epochs:
            self.train_epoch(writer)
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            for scheduler in self.schedulers:
                scheduler.step()
            self.save_checkpoint()
            if self.world_size > 1:
                dist.barrier()  # every process may read the checkpoint rank 0 just wrote (validation)
            interval = self.config.runtime.val_interval
            if self.validate_fn is not None and interval and self.epoch % interval == 0:
                metrics = self.validate_fn(self)  # all ranks evaluate a share
                self.log_scalars(writer, metrics, prefix="val")
                self.log(
                    f"validation after epoch {self.epoch}: " + ", ".join(f"{k} {v:.2f}" for k, v in metrics.items())
                )
        if writer is not None:
            writer.close()
        return self.history

    def set_train_mode(self) -> None:
        for module in (self.generator, self.disc):
            if module is None:
                continue
            module.train()
            if self.config.model.freeze_bn:
                for layer in module.modules():
                    if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                        layer.eval()

    def train_epoch(self, writer) -> None:
        self.set_train_mode()
        self.sampler.set_epoch(self.epoch, start_batch=self.batch_in_epoch)
        loader = DataLoader(
            self.train_set,
            batch_size=self.sampler.batch_size,
            sampler=self.sampler,
            num_workers=self.config.data.num_workers,
            drop_last=True,
            generator=torch.Generator().manual_seed(self.config.runtime.seed),
            persistent_workers=False,
        )
        limit = self.config.runtime.max_iters_per_epoch
        progress = _progress(loader, self.is_main, f"epoch {self.epoch + 1}/{self.config.runtime.epochs}")
        for batch in progress:
            if limit is not None and self.batch_in_epoch >= limit:
                break
            losses = self.training_step(self.to_device(batch))
            self.iteration, self.batch_in_epoch = self.iteration + 1, self.batch_in_epoch + 1
            self.record(losses, writer)
            every = self.config.runtime.checkpoint_every_iters
            if every and self.iteration % every == 0:
                self.save_checkpoint()

    def to_device(self, batch: dict) -> dict:
        """Tensors to the device; floating ones in the parameters' dtype."""
        dtype = self.dtype
        moved = {}
        for key, value in batch.items():
            if torch.is_tensor(value):
                value = value.to(self.device, dtype if value.is_floating_point() else None, non_blocking=True)
            moved[key] = value
        return moved

    def autocast(self):
        precision = self.config.runtime.precision
        if precision == "fp32":
            return nullcontext()
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        return torch.autocast(self.device.type, dtype=dtype)

    def training_step(self, batch: dict) -> dict[str, float]:
        """Forward, losses, backward, clip, step the generator's optimisers; returns the loss values."""
        if "valid" in batch:
            self.bad_samples += int((batch["valid"] == 0).sum())
        with self.autocast():
            predictions = self.forward_step(batch)
        extra = self.auxiliary_step(predictions, batch)
        terms, total = self.compute_loss(predictions, batch)
        generator_optimizers = [o for name, o in self.optimizers.items() if name != "disc"]
        for optimizer in generator_optimizers:
            optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        self.clip_gradients(generator_optimizers)
        for optimizer in generator_optimizers:
            self.scaler.step(optimizer)
        self.scaler.update()
        values = {name: float(value.detach()) for name, value in terms.items()}
        values["loss"] = float(total.detach())
        return {**values, **extra}

    def auxiliary_step(self, predictions, batch: dict) -> dict[str, float]:
        """An update that must see this iteration's predictions before the generator's (HMR's discriminator)."""
        return {}

    def clip_gradients(self, optimizers) -> None:
        if self.config.optim.grad_clip is None:
            return
        for optimizer in optimizers:
            self.scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(self.generator.parameters(), self.config.optim.grad_clip)

    def forward_step(self, batch: dict):
        raise NotImplementedError

    def compute_loss(self, predictions, batch: dict) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        raise NotImplementedError

    # -- logging ---------------------------------------------------------------------------------
    def _tensorboard(self):
        if not self.is_main:
            return None
        from torch.utils.tensorboard import SummaryWriter

        # After a resume, events past the checkpoint's iteration (written before the kill) are dropped.
        return SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=self.resumed_at)

    def record(self, losses: dict[str, float], writer) -> None:
        row = {"epoch": self.epoch, "iteration": self.iteration, **losses}
        self.history.append(row)
        if not self.is_main:
            return
        interval = self.config.runtime.log_interval
        if interval and self.iteration % interval == 0:
            self.log_scalars(writer, losses, prefix="train")
            self.append_csv(row)

    def log_scalars(self, writer, values: dict, prefix: str) -> None:
        if writer is None:
            return
        for name, value in values.items():
            writer.add_scalar(f"{prefix}/{name}", value, self.iteration)

    def append_csv(self, row: dict) -> None:
        path = self.run_dir / "losses.csv"
        fields = sorted(row)
        new = not path.exists()
        with path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            if new:
                writer.writeheader()
            writer.writerow(row)

    # -- checkpoints -------------------------------------------------------------------------------
    def checkpoint(self) -> dict:
        state = checkpoint_state_dict(
            self.unwrap(self.generator), None if self.disc is None else self.unwrap(self.disc)
        )
        meta = {
            "epoch": self.epoch,
            "iter": self.iteration,
            "method": self.config.method,
            "config": config_to_dict(self.config),
            "env_info": environment(),
            "seed": self.config.runtime.seed,
        }
        resume = {
            "batch_in_epoch": self.batch_in_epoch,
            "bad_samples": self.bad_samples,
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": [s.state_dict() for s in self.schedulers],
            "scaler": self.scaler.state_dict(),
            "rng": rng_state(),
        }
        return {"state_dict": state, "meta": meta, "resume": resume}

    def save_checkpoint(self) -> None:
        """Every process calls this (each one's RNG state is gathered); the main process writes."""
        rng = self.gather_rng_states()
        if not self.is_main:
            return
        ckpt = self.checkpoint()
        ckpt["resume"]["rng"] = rng
        resume = {"resume": ckpt["resume"]}
        save_checkpoint(self.run_dir / CHECKPOINT_LATEST, ckpt["state_dict"], ckpt["meta"], extra=resume)
        if self.batch_in_epoch == 0:
            save_checkpoint(self.run_dir / f"epoch_{self.epoch}.pth", ckpt["state_dict"], ckpt["meta"], extra=resume)

    def gather_rng_states(self) -> list[dict]:
        """[rank 0's RNG states, rank 1's, ...]: dropout and any other draw differ per process."""
        if self.world_size == 1:
            return [rng_state()]
        states = [None] * self.world_size
        dist.all_gather_object(states, rng_state())
        return states

    def resume(self, path: Path | None = None) -> bool:
        """Restore everything from `path` (default: run_dir/latest.pth); False when there is none."""
        path = Path(path) if path else self.run_dir / CHECKPOINT_LATEST
        if not path.is_file():
            return False
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        load_state_into(
            self.unwrap(self.generator),
            None if self.disc is None else self.unwrap(self.disc),
            ckpt["state_dict"],
            strict=True,
        )
        resume = ckpt["resume"]
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(resume["optimizers"][name])
        for scheduler, state in zip(self.schedulers, resume["schedulers"]):
            scheduler.load_state_dict(state)
        self.scaler.load_state_dict(resume["scaler"])
        self.epoch, self.iteration = ckpt["meta"]["epoch"], ckpt["meta"]["iter"]
        self.batch_in_epoch, self.bad_samples = resume["batch_in_epoch"], resume["bad_samples"]
        set_rng_state(self._own_rng_state(resume["rng"], path))
        self.resumed_at = self.iteration
        if self.is_main:
            cut_losses_csv(self.run_dir / "losses.csv", self.iteration)
        return True

    def _own_rng_state(self, saved, path: Path) -> dict:
        if isinstance(saved, dict):  # written by one process before states were kept per rank
            return saved
        if len(saved) != self.world_size:
            raise ValueError(
                f"{path} was written by {len(saved)} processes; resume it with as many "
                f"(this run has {self.world_size}) so every process continues its own random stream"
            )
        return saved[self.rank]


def cut_losses_csv(path: Path, iteration: int) -> None:
    """Drop the rows after `iteration` (logged after the checkpoint a resume starts from), atomically."""
    if not path.is_file():
        return
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, [row for row in reader if int(row["iteration"]) <= iteration]
    if not fields:
        return
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)


def _progress(iterable, enabled: bool, description: str):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, leave=False, dynamic_ncols=True)
