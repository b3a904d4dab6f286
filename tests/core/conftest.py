"""Fixtures the core tests share."""

import numpy as np
import pytest

from core.outputs.pictures import method_file_stem
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


def _expected_files(methods, people=(0,), custom=()) -> set[str]:
    """The bundle's files for `methods` (those in `custom` ran with the user's own checkpoint) and people (indices)."""
    names = {
        "README.md",
        "comparison.png",
        "overlay_all.png",
        "side_all.png",
        "scene.glb",
        "errors_2d.csv",
        "summary.json",
    }
    for method in (method_file_stem(m, custom) for m in methods):
        names |= {f"overlay_{method}.png", f"side_{method}.png"}
        for person in people:
            names |= {f"meshes/person_{person + 1}_{method}.{suffix}" for suffix in ("obj", "ply")}
            names |= {f"parameters/person_{person + 1}_{method}.{suffix}" for suffix in ("npz", "json")}
            names.add(f"skeletons/person_{person + 1}_{method}.bvh")
    return names
