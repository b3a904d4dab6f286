"""The Benchmark tab's handlers over the bundled samples and a missing 3DPW folder."""

from app.tabs import benchmark


def test_tab_handlers_load_score_and_average():
    loaded = benchmark.load_benchmark(benchmark.SOURCES[0], None, None)
    assert loaded["benchmark_sample"]["value"] == 0 and "6 samples" in loaded["benchmark_status"]
    scored = benchmark.run_benchmark(0, ["fit"], 53.0, loaded["session"])
    gallery = scored["benchmark_gallery"]
    assert [caption for _, caption in gallery] == ["Fit"] and gallery[0][0].shape == (480, 360, 3)
    truth = scored["benchmark_truth_gallery"]
    assert [caption for _, caption in truth] == ["Fit vs ground truth"] and truth[0][0].shape == (480, 480, 3)
    layout = benchmark.result_layout(scored["session"])
    assert layout["benchmark_truth_gallery"]["visible"] and layout["benchmark_gallery"]["columns"] == 1
    averaged = benchmark.run_all(["fit"], 53.0, scored["session"])
    assert averaged["benchmark_summary"].loc[0, "samples"] == 6 and "means over 6 of 6" in averaged["benchmark_status"]


def test_missing_3dpw_folder_says_where_to_point():
    from core.paths import data_root

    loaded = benchmark.load_benchmark(benchmark.SOURCES[1], str(data_root()), None)
    assert (
        loaded["benchmark_sample"]["choices"] == []
        and "preprocessed_datasets/pw3d_test.npz" in loaded["benchmark_status"]
    )
    assert loaded["session"].benchmark is None


def test_a_folder_outside_the_data_folders_is_refused(tmp_path):
    import gradio as gr
    import pytest

    with pytest.raises(gr.Error, match="is outside the folders this app may read"):
        benchmark.load_benchmark(benchmark.SOURCES[1], str(tmp_path), None)
    with pytest.raises(gr.Error, match="`source` must be one of"):
        benchmark.load_benchmark("my disk", str(tmp_path), None)
