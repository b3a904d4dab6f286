"""The running app (`python app.py` in a subprocess, core.testing.app_server, on the benchmark's data) through
gradio_client: the cold start, one request, 4 and 16 concurrent clients, and the app process's peak memory."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.data import ONE_PERSON
from bench.memory import peak_rss_mb
from bench.results import Results
from bench.timing import time_call, timing_of
from core import paths
from core.methods import METHOD_IDS
from core.networks.onnx import GRAPH_SUFFIX
from core.testing.app_server import AppServer

GROUP = "app"
METHODS = list(METHOD_IDS)
CLIENTS = 4
MANY_CLIENTS = 16


def run(results: Results, quick: bool, work: Path) -> None:
    from gradio_client import Client

    cold_start(results, work, later_starts=1 if quick else 3)
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
        concurrent(results, app.url, CLIENTS, requests_per_client=1 if quick else 3)
        if not quick:
            concurrent(results, app.url, MANY_CLIENTS, requests_per_client=3)
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


def cold_start(results: Results, work: Path, later_starts: int) -> None:
    """From `python app.py` to the first finished four-method Compare, as a user who opens the page at once: the
    first start (no ONNX graph on disk: exported and written beside the checkpoints) and later starts (read)."""
    from gradio_client import Client

    for graph in paths.checkpoints_dir().glob(f"*{GRAPH_SUFFIX}"):
        graph.unlink()
    seconds = []
    for attempt in range(1 + later_starts):
        start = time.perf_counter()
        with AppServer(work / f"cold_start_{attempt}", log_path=work / f"cold_start_{attempt}.log") as app:
            answering = time.perf_counter() - start
            compare(Client(app.url, verbose=False))
            seconds.append(time.perf_counter() - start)
        if attempt == 0:
            results.add_value(
                GROUP,
                "first start ever: `python app.py` to the first four-method Compare (graphs exported)",
                seconds[0],
                "s",
                note=f"server answering after {answering:.1f} s",
            )
    results.add_time(
        GROUP,
        "cold start: `python app.py` to the first four-method Compare (graphs cached)",
        timing_of(seconds[1:]),
        note=f"server answering after {answering:.1f} s (last start); models load in the background meanwhile",
    )


def concurrent(results: Results, url: str, clients: int, requests_per_client: int) -> None:
    """`clients` users at once, each a new session sending `requests_per_client` four-method Compares in a row."""
    from gradio_client import Client

    connected = [Client(url, verbose=False) for _ in range(clients)]
    errors = []

    def one_client(client) -> list[float]:
        seconds = []
        for _ in range(requests_per_client):
            start = time.perf_counter()
            try:
                compare(client)
            except Exception as error:  # counted: the target is none
                errors.append(f"{type(error).__name__}: {error}")
                continue
            seconds.append(time.perf_counter() - start)
        return seconds

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [s for client_seconds in pool.map(one_client, connected) for s in client_seconds]
    wall = time.perf_counter() - start
    results.add_value(
        GROUP,
        f"throughput, {clients} concurrent clients",
        len(latencies) / wall,
        "requests/s",
        runs=len(latencies),
        note=f"{len(errors)} errors of {clients * requests_per_client} requests"
        + (f" (first: {errors[0][:120]})" if errors else ""),
    )
    results.add_value(
        GROUP, f"errors, {clients} concurrent clients", len(errors), "errors", runs=clients * requests_per_client
    )
    if not latencies:
        return
    results.add_time(
        GROUP,
        f"latency, {clients} concurrent clients",
        timing_of(latencies),
        note=f"p95 {1000 * np.percentile(latencies, 95):.0f} ms",
    )
    results.add_value(
        GROUP,
        f"p95 latency, {clients} concurrent clients",
        1000 * float(np.percentile(latencies, 95)),
        "ms",
        runs=len(latencies),
    )
