"""mmhuman3d's MixedDataset sampling, made deterministic, shardable and resumable.

Every sample of dataset i has weight partition_i / len_i and draws are with replacement; an epoch is
`num_data` draws or, when that is None, as many as the largest dataset (`epoch_length`). mmhuman3d draws
inside `__getitem__` with the worker's global RNG; here the whole epoch's draws come from one generator
seeded by (seed, epoch), so every process agrees on them, each process takes its slice of every global
batch, and a resumed run continues at the same position.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Sampler


class MixedSampler(Sampler):
    """Weighted draws with replacement over concatenated datasets, sharded by global batch.

    lengths: samples per dataset; partitions: their weights (relative, need not sum to 1).
    Yields (epoch, position, flat index) for this rank's share of full global batches only.
    """

    def __init__(self, lengths: list[int], partitions: list[float], num_samples: int, batch_size: int,
                 seed: int, rank: int = 0, world_size: int = 1):
        assert len(lengths) == len(partitions) and min(lengths) > 0, f"lengths {lengths}, partitions {partitions}"
        weights = [np.full(n, p / n) for n, p in zip(lengths, partitions)]
        self.weights = torch.as_tensor(np.concatenate(weights), dtype=torch.float64)
        self.num_samples, self.batch_size, self.seed = num_samples, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.epoch, self.start_batch = 0, 0

    @property
    def batches_per_epoch(self) -> int:
        return self.num_samples // (self.batch_size * self.world_size)

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Select the epoch; `start_batch` skips batches already trained on (resume)."""
        self.epoch, self.start_batch = epoch, start_batch

    def epoch_indices(self, epoch: int) -> torch.Tensor:
        """(num_samples,) flat indices drawn for `epoch`, identical on every process."""
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        return torch.multinomial(self.weights, self.num_samples, replacement=True, generator=generator)

    def __iter__(self):
        indices = self.epoch_indices(self.epoch)
        global_batch = self.batch_size * self.world_size
        for batch in range(self.start_batch, self.batches_per_epoch):
            start = batch * global_batch + self.rank * self.batch_size
            for position in range(start, start + self.batch_size):
                yield self.epoch, position, int(indices[position])

    def __len__(self) -> int:
        return (self.batches_per_epoch - self.start_batch) * self.batch_size


def sample_rng(seed: int, epoch: int, position: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, position])


def epoch_length(lengths: list[int], num_data: int | None) -> int:
    """mmhuman3d MixedDataset: num_data when set, else the largest dataset's length."""
    return int(num_data) if num_data is not None else max(lengths)
