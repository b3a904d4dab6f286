"""Fixtures the core tests share."""

import pytest

from core.outputs.bundle import file_stem


@pytest.fixture
def expected_files():
    """The file names a photo's bundle holds for `methods` and `people` (the bundle and demo tests expect them)."""
    return _expected_files


def _expected_files(methods, people=(0,)) -> set[str]:
    names = {
        "README.md",
        "comparison.png",
        "overlay_all.png",
        "side_all.png",
        "scene.glb",
        "errors_2d.csv",
        "summary.json",
    }
    for method in map(file_stem, methods):
        names |= {f"overlay_{method}.png", f"side_{method}.png"}
        for person in people:
            names |= {f"meshes/person{person}_{method}.{suffix}" for suffix in ("obj", "ply")}
            names |= {f"parameters/person{person}_{method}.{suffix}" for suffix in ("npz", "json")}
            names.add(f"skeletons/person{person}_{method}.bvh")
    return names
