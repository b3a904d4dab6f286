"""The training smoke run of docs/training.md, parsed out of the page and run as written (so they cannot drift apart)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from core.paths import REPO_ROOT


def readme_smoke_commands() -> list[list[str]]:
    """The shell block after 'Smoke run on synthetic data' in docs/training.md, one argv per command."""
    text = (REPO_ROOT / "docs" / "training.md").read_text()
    match = re.search(r"Smoke run on synthetic data.*?```bash\n(.*?)```", text, re.S)
    assert match, "docs/training.md has no 'Smoke run on synthetic data' block"
    joined = match.group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_smoke_block_is_found_and_offline():
    commands = readme_smoke_commands()
    assert [argv[:3] for argv in commands] == [["python", "-m", "train.synth"], ["python", "-m", "train.run"]]
    assert "body_model=open" in commands[1]  # the open body model is asked for, never a fallback


@pytest.mark.slow
def test_readme_smoke_training_runs_as_written(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMRC_")}
    env.update(PYTHONPATH=str(REPO_ROOT), HMRC_DATA=str(tmp_path / "empty_data"))  # a fresh clone: no data at all
    for argv in readme_smoke_commands():
        result = subprocess.run(
            [sys.executable, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    run = tmp_path / "runs" / "smoke"
    assert (run / "epoch_1.pth").is_file() and "done: 1 epochs, 4 iterations" in result.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["body_model"] == "open" and config["model"]["pretrained_backbone"] == "none"
    assert "pretrained_backbone=none" in result.stdout and "validation after epoch 1" in result.stdout
