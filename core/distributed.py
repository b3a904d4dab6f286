"""Several processes under torchrun (training and evaluation): each process's device, the process group, and
gathering per-process results. RANK / WORLD_SIZE / LOCAL_RANK come from core.settings.distributed_settings."""

from __future__ import annotations

import torch
import torch.distributed as dist

from core.settings import distributed_settings


def pick_device(name: str) -> torch.device:
    """'auto' (CUDA when there is a GPU), 'cpu' or 'cuda'; with CUDA, this process's GPU (LOCAL_RANK)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' asked for but no CUDA GPU is visible; use the cpu device")
        local_rank = distributed_settings().local_rank
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device(name)


def init_distributed(device: torch.device) -> tuple[int, int]:
    """(rank, world size) from torchrun; joins the process group when world size > 1 (NCCL on CUDA, else gloo)."""
    launch = distributed_settings()
    if launch.world_size > 1 and not dist.is_initialized():
        dist.init_process_group(
            "nccl" if device.type == "cuda" else "gloo", rank=launch.rank, world_size=launch.world_size
        )
    return launch.rank, launch.world_size


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def gather(rows: list) -> list:
    """Every process's `rows`, concatenated in rank order (the rows themselves when alone)."""
    if not is_distributed():
        return rows
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, rows)
    return [row for part in everyone for row in part]
