"""The README and docs/: every link leads somewhere, every command they show exists and answers --help, the
Python API example runs as written, and the README stays a visitor's page."""

import re
import subprocess
import sys

import pytest

from core.paths import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


def _code_blocks(page, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(), flags=re.S)


def _modules_shown() -> list[str]:
    """Every `python -m MODULE` (or `-m MODULE` under torchrun) the pages show in bash blocks."""
    found = set()
    for page in PAGES:
        for block in _code_blocks(page, "bash"):
            found |= set(re.findall(r"-m ([a-z_]+(?:\.[a-z_]+)*)", block))
    return sorted(found)


def test_the_readme_is_a_visitor_s_page():
    assert len((REPO_ROOT / "README.md").read_text().splitlines()) <= 160


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_leads_to_a_file(page):
    targets = re.findall(r"\]\(([^)#\s]+)\)", page.read_text())
    missing = [t for t in targets if not t.startswith("http") and not (page.parent / t).exists()]
    assert missing == []


def test_the_pages_show_the_commands_users_type():
    assert {"core.demo", "core.video", "core.weights", "train.run", "train.eval", "train.synth", "bench"} <= set(
        _modules_shown()
    )


@pytest.mark.slow
@pytest.mark.parametrize("module", _modules_shown())
def test_every_command_shown_answers_help(module):
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path):
    """The README's Python block as written, on the example skier (stand-in SMPL, random HMR and SPIN-GTA weights)."""
    from core.testing.data import prepare_data, use_standin_data
    from core.testing.examples import example_image

    (block,) = _code_blocks(REPO_ROOT / "README.md", "python")
    code = block.replace('"photo.jpg"', repr(str(example_image("sport_skier_fullbody"))))
    namespace = {}
    with use_standin_data(prepare_data(tmp_path / "data")):  # the stand-ins run as the user's own checkpoints
        exec(code, namespace)
    result, views = namespace["result"], namespace["views"]
    assert set(result.methods) == {"hmr", "spin_gta", "fit"} and "hybrik" in result.unavailable
    assert set(views.overlays) == set(result.methods) and set(result.methods) <= set(views.side)
