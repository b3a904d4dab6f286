"""bench's own parts: the data folder each group runs on, and the tables it writes (the groups themselves are
measurements, run by `python -m bench`)."""

from bench.data import use_data
from bench.results import Results, Target
from bench.timing import timing_of
from core import paths


def test_each_group_sees_its_data_folder_and_the_environment_s_comes_back(tmp_path):
    before = paths.body_models_dir()
    with use_data(tmp_path, "open"):
        assert paths.data_root() == tmp_path and paths.body_models_dir() == tmp_path / "body_models_open"
        assert paths.checkpoints_dir() == tmp_path / "checkpoints"
    with use_data(tmp_path, "smpl"):
        assert paths.body_models_dir() == tmp_path / "body_models"
    assert paths.body_models_dir() == before


def test_results_are_written_as_json_and_markdown(tmp_path):
    results = Results(
        {
            "cpu": "test",
            "cores": 2,
            "gpu": None,
            "memory_gb": 1.0,
            "python": "3",
            "torch": "2",
            "onnxruntime": None,
            "torch_threads": 2,
            "torch_interop_threads": 2,
            "load_average_at_start": [0.0, 0.0, 0.0],
        },
        "quick",
    )
    results.add_time("models", "before", timing_of([0.2, 0.2, 0.2]))
    results.add_time("models", "after", timing_of([0.1, 0.1, 0.1]))
    json_path, md_path = results.write(tmp_path, [("faster", "before", "after")])
    table = md_path.read_text()
    assert json_path.is_file() and "| faster | 200.0 ms | 100.0 ms | ×2.0 |" in table and "## models" in table

    targets = [
        Target("after ≤ 150 ms", "after", 150, "ms", "200 ms"),
        Target("speed-up ≥ ×3", "after", 3.0, "×", "×1", higher_is_better=True, ratio_of="before"),
        Target("per item ≤ 10 ms", "after", 10, "ms", "?", per=4),
        Target("never measured ≤ 1 s", "missing", 1000, "ms", "?"),
    ]
    results.write(tmp_path, [], targets)
    table = md_path.read_text()
    assert "| after ≤ 150 ms | 200 ms | 100 ms |" in table and "| met |" in table
    assert "| speed-up ≥ ×3 | ×1 | ×2.00 |" in table and "**not met**" in table
    assert "| per item ≤ 10 ms | ? | 25 ms |" in table
    assert "| never measured ≤ 1 s | ? | not measured |" in table
