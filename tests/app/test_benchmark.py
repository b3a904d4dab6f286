"""The Benchmark tab's handlers over the bundled samples and a missing 3DPW folder."""
from app.tabs import benchmark


def test_tab_handlers_load_score_and_average():
    picker, message, session = benchmark.load_benchmark(benchmark.SOURCES[0], None, None)
    assert picker["value"] == 0 and "6 samples" in message
    gallery, summary, joints, message, session = benchmark.run_benchmark(0, ["fit"], 53.0, session)
    assert [caption for _, caption in gallery] == ["Fit"] and gallery[0][0].shape == (480, 360, 3)
    means, message, session = benchmark.run_all(["fit"], 53.0, session)
    assert means.loc[0, "samples"] == 6 and "means over 6 of 6" in message


def test_missing_3dpw_folder_says_where_to_point(tmp_path):
    picker, message, session = benchmark.load_benchmark(benchmark.SOURCES[1], str(tmp_path), None)
    assert picker["choices"] == [] and "preprocessed_datasets/pw3d_test.npz" in message
    assert session.benchmark is None
