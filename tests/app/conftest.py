"""Shared by the app's tests: drawable stand-in body models, and one comparison run through the handler."""

import pytest

from app.tabs import compare
from core.testing.data import write_drawable_body_models


@pytest.fixture(scope="module")
def drawable_folder(tmp_path_factory):
    return write_drawable_body_models(tmp_path_factory.mktemp("drawable") / "body_models")


@pytest.fixture
def body_models(drawable_folder, monkeypatch):
    """HMRC_BODY_MODELS at the drawable stand-ins; the process-wide model caches are emptied around the test."""
    from core.pipeline import inference

    monkeypatch.setenv("HMRC_BODY_MODELS", str(drawable_folder))
    inference.clear_cache()
    compare.EXAMPLE_CACHE.clear()
    yield drawable_folder
    inference.clear_cache()
    compare.EXAMPLE_CACHE.clear()


def _run_compare(path, methods=("fit",), session=None, box_text="", handler=compare.analyse_photo):
    out = handler({"path": str(path)}, list(methods), 53.0, 0.8, False, True, False, [], box_text, session)
    assert set(out) == set(compare.ANALYSE_OUTPUTS) | {"session"}
    return out


@pytest.fixture
def run_compare():
    """run_compare(path, methods=("fit",), session=None, box_text="", handler=compare.analyse_photo) → outputs."""
    return _run_compare
