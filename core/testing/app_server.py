"""`python app.py` served on 127.0.0.1 and a free port in a subprocess, for tests and benchmarks.

Only the command runs the app: nothing here imports app/.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from core.paths import REPO_ROOT

STARTUP_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """`python app.py` on 127.0.0.1 and a free port, with its own data and temporary folders."""

    def __init__(self, data: Path, temp: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.temp = temp
        self.log_path = temp.parent / f"app_server_{self.port}.log"
        self.env = {**os.environ, "HMRC_DATA": str(data), "HMRC_APP_PORT": str(self.port), "HMRC_APP_TMP": str(temp),
                    "HMRC_APP_EXAMPLES": "lazy", "HMRC_APP_CONCURRENCY": "2", "HMRC_APP_QUEUE": "8",
                    "GRADIO_ANALYTICS_ENABLED": "False", **env}
        self.env.pop("SPACE_ID", None)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "AppServer":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + STARTUP_TIMEOUT_S
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return self
            except OSError:
                time.sleep(1)
        self.__exit__()
        raise TimeoutError(f"app.py did not answer within {STARTUP_TIMEOUT_S} s:\n{self.log_path.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def status(self, path: str) -> int:
        try:
            return urllib.request.urlopen(self.url + path, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code
