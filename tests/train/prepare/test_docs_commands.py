"""Every command docs/data.md shows, run as written on miniature raw datasets laid out as the guide says."""

import functools
import http.server
import shlex
import shutil
import threading
from pathlib import Path

import pytest

from train.prepare import miniatures

DOCS = Path(__file__).resolve().parents[3] / "docs" / "data.md"


def documented_commands() -> list[str]:
    """Lines of the ```bash blocks of docs/data.md, comments dropped."""
    commands, inside = [], False
    for line in DOCS.read_text().splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```bash"
            continue
        if inside and line.strip():
            commands.append(line.split("  #")[0].strip())
    return commands


def _layout(root: Path) -> None:
    """data/datasets/* as docs/data.md lays them out (videos where the commands extract frames)."""
    datasets = root / "data" / "datasets"
    miniatures.write_pw3d(datasets)
    miniatures.write_pw3d_hybrik(datasets)
    miniatures.write_h36m(datasets, videos=True, images=False)
    miniatures.write_h36m_hybrik(datasets)
    miniatures.write_mpi_inf_3dhp(datasets, videos=True, frames=False, test=False)
    miniatures.write_mpi_inf_3dhp_hybrik(datasets)
    for build in (
        miniatures.write_lsp,
        miniatures.write_lspet,
        miniatures.write_mpii,
        miniatures.write_coco,
        miniatures.write_coco_2017,
        miniatures.write_spin,
        miniatures.write_cmu_mosh,
        miniatures.write_ai_challenger,
    ):
        build(datasets)
    shutil.move(miniatures.write_gta_human(datasets)["raw"], datasets / "gta")


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local HTTP server standing in for mmhuman3d's file host (HMRC_WEIGHTS_BASE_URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("HMRC_WEIGHTS_BASE_URL", f"http://127.0.0.1:{httpd.server_port}")
    yield served
    httpd.shutdown()


@pytest.mark.slow
def test_every_command_of_the_data_guide_runs(tmp_path, monkeypatch, mirror, standin_body_models_dir, capsys):
    from core import weights
    from core.testing.data import standin_checkpoints, write_checkpoints
    from train import eval as evaluation
    from train.prepare.__main__ import main as prepare

    commands = documented_commands()
    assert len(commands) >= 15
    _layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    write_checkpoints(tmp_path / "data" / "checkpoints", ["hmr"])
    ran = []
    for command in sorted(commands, key=lambda c: ("--check" in c, "train.eval" in c, "core.weights" in c)):
        words = shlex.split(command)
        if words[:3] == ["python", "-m", "train.prepare"]:
            code = prepare(words[3:])
            assert code == 0 or ("--check" in words and code == 1), (command, capsys.readouterr().err)
        elif words[:3] == ["python", "-m", "train.eval"]:
            # The official file cannot be made here (its name carries its published hash): the stand-in runs instead.
            words[words.index("--checkpoint") + 1] = str(standin_checkpoints(tmp_path / "data")["hmr"])
            summary = evaluation.main(words[3:])
            assert summary["num_samples"] == 15, command
        elif words[0].startswith("HMRC_DATA=") and words[1:4] == ["python", "-m", "core.weights"]:
            fresh = tmp_path / "fresh_data"  # the download, into a data folder that does not have the file yet
            name = words[-1]
            shutil.copy(tmp_path / "data" / "preprocessed_datasets" / "pw3d_test.npz", mirror / name)
            monkeypatch.setenv("HMRC_DATA", str(fresh))
            assert weights.main(words[4:]) == 0, command
            assert (fresh / "preprocessed_datasets" / name).read_bytes() == (mirror / name).read_bytes()
        else:
            pytest.fail(f"docs/data.md shows a command this test does not run: {command}")
        ran.append(command)
    assert len(ran) == len(commands)
    out = tmp_path / "data" / "preprocessed_datasets"
    for name in (
        "pw3d_test.npz",
        "h36m_mosh_train.npz",
        "mpi_inf_3dhp_train.npz",
        "gta_human.npz",
        "hybrik_pw3d_test.npz",
        "ai_challenger_train.npz",
        "cmu_mosh.npz",
        "spin_coco_2014_train.npz",
    ):
        assert (out / name).is_file(), name
