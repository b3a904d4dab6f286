"""Fixtures the core tests share."""

import numpy as np
import pytest

from core.outputs.bundle import file_stem
from core.testing.smpl import make_body_model


@pytest.fixture(scope="module")
def body_model():
    """The stand-in SMPL as a BodyModel, with the H36M and HybrIK leaf regressors (one per test module)."""
    return make_body_model()


@pytest.fixture(scope="module")
def image():
    """A random RGB photo (480, 640, 3) uint8."""
    return np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)


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
