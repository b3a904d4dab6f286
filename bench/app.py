"""The running app (`python app.py` in a subprocess, core.testing.app_server, on the benchmark's data) through
gradio_client: one request, 4 concurrent clients, and the app process's peak memory with every model loaded."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.data import ONE_PERSON
from bench.memory import peak_rss_mb
from bench.results import Results
from bench.timing import time_call, timing_of
from core.methods import METHOD_IDS
from core.testing.app_server import AppServer

GROUP = "app"
METHODS = list(METHOD_IDS)
CLIENTS = 4


def run(results: Results, quick: bool, work: Path) -> None:
    from gradio_client import Client

    start = time.perf_counter()
    with AppServer(work / "app_tmp", log_path=work / "app.log") as app:
        print(f"  (app started in {time.perf_counter() - start:.0f} s)", flush=True)
        client = Client(app.url, verbose=False)
        compare(client)  # warm-up: every model loads
        single = time_call(lambda: compare(client), 2 if quick else 6, warmup=0)
        results.add_time(
            GROUP,
            "one /compare request (one person, 4 methods, 1 client)",
            single,
            note="upload, analyse, render, 3D scene, tables, download",
        )
        concurrent(results, app.url, requests_per_client=1 if quick else 3)
        results.add_value(
            GROUP,
            "app peak RSS, all models loaded (VmHWM)",
            peak_rss_mb(app.process.pid),
            "MB",
            note="after the requests above",
        )


def compare(client) -> tuple:
    """One /compare request as a new browser session (the app reuses a session's analysis of the same photo)."""
    from gradio_client import handle_file

    client.reset_session()
    return client.predict(image=handle_file(str(ONE_PERSON)), methods=METHODS, api_name="/compare")


def concurrent(results: Results, url: str, requests_per_client: int) -> None:
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(CLIENTS)]

    def one_client(client) -> list[float]:
        seconds = []
        for _ in range(requests_per_client):
            start = time.perf_counter()
            compare(client)
            seconds.append(time.perf_counter() - start)
        return seconds

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = [s for client_seconds in pool.map(one_client, clients) for s in client_seconds]
    wall = time.perf_counter() - start
    results.add_value(
        GROUP, f"throughput, {CLIENTS} concurrent clients", len(latencies) / wall, "requests/s", runs=len(latencies)
    )
    timing = timing_of(latencies)
    results.add_time(
        GROUP,
        f"latency, {CLIENTS} concurrent clients",
        timing,
        note=f"p95 {1000 * np.percentile(latencies, 95):.0f} ms",
    )
    results.add_value(
        GROUP,
        f"p95 latency, {CLIENTS} concurrent clients",
        1000 * float(np.percentile(latencies, 95)),
        "ms",
        runs=len(latencies),
    )
