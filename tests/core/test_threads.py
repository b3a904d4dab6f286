"""core.threads: small tensor work on one torch thread, and numpy's BLAS on one thread for the whole process."""

import importlib
import threading

import numpy as np
import torch
from threadpoolctl import threadpool_info

from core.threads import single_threaded


def test_numpy_blas_runs_on_one_thread_once_core_is_imported():
    import core.render  # noqa: F401 - the renderer imports core.threads

    importlib.import_module("scipy.linalg")  # its own OpenBLAS, perhaps loaded only now

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert len(blas) >= 2 and all(pool["num_threads"] == 1 for pool in blas), blas
    a = np.random.default_rng(0).normal(size=(64, 64))
    np.testing.assert_allclose(a @ np.linalg.inv(a), np.eye(64), atol=1e-9)  # still computes


def test_single_threaded_sets_only_the_calling_threads_count_and_restores_it():
    before = torch.get_num_threads()
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        seen["worker before"] = torch.get_num_threads()
        with single_threaded():
            seen["worker inside"] = torch.get_num_threads()
            inside.set()
            release.wait(5)
        seen["worker after"] = torch.get_num_threads()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main while the worker is inside"] = torch.get_num_threads()
    with single_threaded():
        with single_threaded():  # re-entrant
            seen["main inside"] = torch.get_num_threads()
        seen["main still inside"] = torch.get_num_threads()
    release.set()
    thread.join()
    assert seen == {
        "worker before": before,
        "worker inside": 1,
        "main while the worker is inside": before,
        "main inside": 1,
        "main still inside": 1,
        "worker after": before,
    }
    assert torch.get_num_threads() == before
