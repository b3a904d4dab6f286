"""The layout's rule, checked on the source: imports run one way (app -> core, train -> core, bench -> core, app,
train, scripts -> core, train); nothing imports tests/ (tests share fixtures through conftest.py)."""

import ast
from pathlib import Path

import pytest

from core.paths import REPO_ROOT

PACKAGES = ("core", "app", "train", "bench", "scripts", "tests")
ALLOWED = {  # package -> the project packages its modules may import
    "core": {"core"},
    "app": {"app", "core"},
    "train": {"train", "core"},
    "bench": {"bench", "core", "app", "train"},
    "scripts": {"core", "train"},
    "tests": {"core", "app", "train", "bench"},
}


def _python_files(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """Top-level project packages a module imports (anywhere in it, including inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_run_one_way(package):
    wrong = {
        str(path.relative_to(REPO_ROOT)): sorted(_imported_packages(path) - ALLOWED[package])
        for path in _python_files(package)
    }
    assert {path: packages for path, packages in wrong.items() if packages} == {}


def test_the_app_entry_point_imports_the_app_only():
    assert _imported_packages(REPO_ROOT / "app.py") <= {"app"}
