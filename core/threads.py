"""Small tensor work on one thread: what runs around the networks (IK, skinning, cameras, the keypoint fit).

Those steps are hundreds of small operations (3×3 rotations, a 24 × 6890 regressor). Split over two OpenMP
threads, each operation waits for the second thread to be scheduled; on a 2-core CPU that other work shares,
that wait is milliseconds per operation (a (24, 6890) × (6890, 3) product: 7 ms on two threads, 0.04 ms on
one; see docs/bench). The networks themselves keep their threads: ONNX Runtime has its own pool, and the
plain PyTorch path is not wrapped.

With torch's OpenMP backend the thread count belongs to the calling thread (OpenMP keeps it per thread), so
each thread sets and restores its own: overlapping users (the app serves requests concurrently, the fit runs
beside the networks) do not touch each other's.

numpy's BLAS (OpenBLAS) is set to one thread when this module is imported, for the whole process: after every
product, however small (pyrender's 4 × 4 poses, the drawing's lighting), its second thread spins for a while,
taking the other core from whatever runs there; a live frame's drawing took twice its wall time in CPU time.
Nothing here multiplies matrices large enough in numpy to gain from a second thread (torch has its own).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from threadpoolctl import threadpool_limits

from core.settings import set_library_variable


def numpy_blas_on_one_thread() -> None:
    """Limit numpy's BLAS to one thread, process-wide: every BLAS library loaded so far (not torch's own), and
    through OPENBLAS_NUM_THREADS those loaded later (scipy's). A user's OPENBLAS_NUM_THREADS is kept."""
    threads = set_library_variable("OPENBLAS_NUM_THREADS", "1", keep_existing=True)
    threadpool_limits(limits=int(threads) if threads.isdigit() else 1, user_api="blas")


numpy_blas_on_one_thread()


@contextmanager
def single_threaded():
    """Within the block torch runs this thread's operations on one thread (re-entrant; other threads unaffected)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)
