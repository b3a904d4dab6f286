"""Small tensor work on one thread: what runs around the networks (IK, skinning, cameras, the keypoint fit).

Those steps are hundreds of small operations (3×3 rotations, a 24 × 6890 regressor). Split over two OpenMP
threads, each operation waits for the second thread to be scheduled; on a 2-core CPU that other work shares,
that wait is milliseconds per operation (a (24, 6890) × (6890, 3) product: 7 ms on two threads, 0.04 ms on
one; see docs/bench). The networks themselves keep their threads: ONNX Runtime has its own pool, and the
plain PyTorch path is not wrapped.

torch's thread count is process-wide, so overlapping users (the app serves requests concurrently) share one
count: the first to enter sets one thread, the last to leave restores what was there.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch

_lock = threading.Lock()
_holders = 0
_saved_threads = 1


@contextmanager
def single_threaded():
    """Within the block torch runs its operations on one thread (re-entrant, safe across threads)."""
    global _holders, _saved_threads
    with _lock:
        if _holders == 0:
            _saved_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                torch.set_num_threads(_saved_threads)
