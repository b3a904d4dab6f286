"""`python app.py` served on 127.0.0.1 and a free port in a subprocess, for tests and benchmarks.

Only the command runs the app: nothing here imports app/.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from core import settings
from core.paths import REPO_ROOT

STARTUP_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """`python app.py` on 127.0.0.1 and a free port, with its own temporary folder and data folder (`data`, with its
    stand-in checkpoints as the user's own; else the data folders in force in this process), and `env` on top
    (None removes a variable); a context manager that stops it on exit."""

    def __init__(self, temp: Path, data: Path | None = None, log_path: Path | None = None, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.temp = temp
        self.log_path = log_path or temp.parent / f"app_server_{self.port}.log"
        served = {
            settings.GRADIO_PORT: str(self.port),
            settings.APP_PORT: None,
            settings.GRADIO_HOST: None,
            settings.APP_HOST: None,
            settings.APP_TMP: str(temp),
            settings.APP_EXAMPLES: "lazy",
            settings.SPACE_ID: None,
            "GRADIO_ANALYTICS_ENABLED": "False",
            **env,
        }
        if data is None:
            self.env = settings.data_environment(**served)
        else:
            from core.testing.data import standin_checkpoints

            with settings.use_data_folders(data, own_checkpoints=standin_checkpoints(data)):
                self.env = settings.data_environment(**served)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "AppServer":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + STARTUP_TIMEOUT_S
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"app.py exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return self
            except OSError:
                time.sleep(0.1)  # the cold-start benchmark times the first answer
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
