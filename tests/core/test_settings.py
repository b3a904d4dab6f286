"""core.settings is the one place that reads the environment (and the one that writes it, for libraries only)."""

import ast
import re
from pathlib import Path

import pytest

from core import paths, settings
from core.paths import REPO_ROOT

SOURCES = [p for package in ("core", "app", "train", "bench", "scripts") for p in (REPO_ROOT / package).rglob("*.py")]
SOURCES.append(REPO_ROOT / "app.py")


def _environment_uses(path: Path) -> list[str]:
    """`os.environ` / `os.getenv` / `os.putenv` / `os.unsetenv`, or `environ` imported from os, in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    uses = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv", "putenv", "unsetenv")
        ):
            uses.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name == "environ" for a in node.names):
            uses.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} from os import environ")
    return uses


def test_only_core_settings_touches_the_environment():
    uses = [
        use
        for path in SOURCES
        if path.name != "settings.py" or path.parent.name != "core"
        for use in _environment_uses(path)
    ]
    assert uses == []


def test_every_variable_read_is_declared_and_documented():
    tree = ast.parse((REPO_ROOT / "core" / "settings.py").read_text())
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    read = [
        node.args[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_get", "_choice")
    ]
    assert all(isinstance(arg, ast.Name) for arg in read)  # every name is a constant of the module...
    names = {constants[arg.id] for arg in read if arg.id in constants}  # (`name` is _choice's own parameter)
    assert names == set(settings.READ)
    table = (REPO_ROOT / "docs" / "configuration.md").read_text()
    documented = {
        name
        for row in re.findall(r"^\|((?: ?`[A-Z_]+`,?)+) \|", table, flags=re.M)
        for name in re.findall(r"`([A-Z_]+)`", row)
    }
    assert documented == set(settings.READ) | set(settings.LIBRARY_VARIABLES)


def test_settings_are_read_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("HMRC_DATA", str(tmp_path))
    monkeypatch.setenv("HMRC_CHECKPOINTS", str(tmp_path / "elsewhere"))
    assert paths.data_root() == tmp_path and paths.body_models_dir() == tmp_path / "body_models"
    assert paths.checkpoints_dir() == tmp_path / "elsewhere"
    assert settings.data_folders(tmp_path / "given").body_models == tmp_path / "given" / "body_models"
    monkeypatch.setenv("GRADIO_SERVER_PORT", "9000")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    app = settings.app_settings()
    assert app.port == 9000 and app.host == "0.0.0.0" and not app.on_space  # Gradio's own names are honoured
    monkeypatch.setenv("HMRC_APP_PORT", "9000")  # the alias, saying the same
    assert settings.app_settings().port == 9000
    monkeypatch.delenv("GRADIO_SERVER_PORT")
    monkeypatch.setenv("HMRC_APP_PORT", "8123")
    assert settings.app_settings().port == 8123  # the alias alone
    monkeypatch.setenv("GRADIO_SERVER_PORT", "9000")
    with pytest.raises(ValueError, match="GRADIO_SERVER_PORT='9000' and HMRC_APP_PORT='8123' disagree"):
        settings.app_settings()
    monkeypatch.delenv("HMRC_APP_PORT")
    monkeypatch.setenv("HMRC_FAST", "sometimes")
    with pytest.raises(ValueError, match="HMRC_FAST='sometimes'"):
        settings.fast_setting()


def test_chosen_data_folders_win_over_the_environment_and_reach_subprocesses(monkeypatch, tmp_path):
    monkeypatch.setenv("HMRC_BODY_MODELS", str(tmp_path / "env_models"))
    with settings.use_data_folders(tmp_path / "bench", body_models=tmp_path / "open"):
        assert paths.data_root() == tmp_path / "bench" and paths.body_models_dir() == tmp_path / "open"
        assert paths.checkpoints_dir() == tmp_path / "bench" / "checkpoints"
        child = settings.data_environment(HMRC_APP_PORT="7000", SPACE_ID=None)
        assert child["HMRC_BODY_MODELS"] == str(tmp_path / "open") and child["HMRC_APP_PORT"] == "7000"
        assert "SPACE_ID" not in child
    assert paths.body_models_dir() == tmp_path / "env_models"


def test_own_checkpoint_variables_name_every_network_method(monkeypatch, tmp_path):
    from core.methods import NETWORK_METHODS

    assert tuple(settings.OWN_CHECKPOINT_VARIABLES) == NETWORK_METHODS
    monkeypatch.setenv("HMRC_CHECKPOINT_HYBRIK", str(tmp_path / "mine.pth"))
    assert settings.data_folders().own_checkpoints == {"hybrik": tmp_path / "mine.pth"}
    with settings.use_data_folders(tmp_path, own_checkpoints={"hmr": tmp_path / "hmr.pth"}):
        assert settings.data_folders().own_checkpoints == {"hmr": tmp_path / "hmr.pth"}
        assert "HMRC_CHECKPOINT_HYBRIK" not in settings.data_environment()  # the chosen folders replace the env


def test_only_library_variables_are_written(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    assert settings.set_library_variable("CUBLAS_WORKSPACE_CONFIG", ":4096:8", keep_existing=True) == ":4096:8"
    assert settings.set_library_variable("CUBLAS_WORKSPACE_CONFIG", ":16:8", keep_existing=True) == ":4096:8"
    with pytest.raises(ValueError, match="not a library variable"):
        settings.set_library_variable("HMRC_DATA", "/tmp")
