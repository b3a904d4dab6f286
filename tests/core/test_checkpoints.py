"""Which checkpoint a method runs with: official files only with their published hash, the user's own files
first-class and labelled "custom", hashes computed once per file version, results keyed on the files."""

from __future__ import annotations

import os

import pytest

from core import checkpoints, file_hash, settings
from core.methods import checkpoint_path
from core.networks.build import load_model
from core.networks.checkpoint import CheckpointError, CheckpointIntegrityError, read_checkpoint, save_checkpoint
from core.pipeline import inference
from core.pipeline.analyse import PipelineOptions, analyse
from core.testing.checkpoints import official_state_dict
from core.testing.data import write_checkpoints, write_drawable_body_models
from core.testing.examples import example_image

OFFICIAL_HMR = "resnet50_hmr_pw3d-04f40f58_20211201.pth"


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data folder with drawable body models and an HMR stand-in saved under HMR's official name."""
    write_drawable_body_models(tmp_path / "body_models")
    write_checkpoints(tmp_path / "checkpoints", ["hmr", "spin_gta"], keep_mean_camera=True)
    (tmp_path / "checkpoints" / "standin_hmr.pth").rename(tmp_path / "checkpoints" / OFFICIAL_HMR)
    monkeypatch.setenv("HMRC_DATA", str(tmp_path))
    inference.clear_cache()
    yield tmp_path
    inference.clear_cache()


def test_an_official_name_with_the_wrong_hash_is_refused_everywhere_with_one_message(data, body_model):
    path = data / "checkpoints" / OFFICIAL_HMR
    with pytest.raises(CheckpointIntegrityError) as refused:
        read_checkpoint(path)
    message = str(refused.value)
    found = file_hash.sha256_of(path)[:8]
    assert f"promises a sha256 starting 04f40f58, but this file's sha256 starts {found}" in message  # expected, found
    assert "python -m core.weights fetch hmr" in message and "HMRC_CHECKPOINT_HMR=PATH" in message  # how to fix
    for load in (lambda: load_model(path, "hmr", body_model), lambda: inference.get_model("hmr", body_model)):
        with pytest.raises(CheckpointIntegrityError, match="04f40f58"):
            load()
    result = analyse(example_image("small_skier_crop"), PipelineOptions(methods=("hmr", "fit")))
    assert result.unavailable["hmr"] == message and result.methods == ("fit",)
    from core import weights

    assert weights.file_status(weights.FILES[OFFICIAL_HMR]).detail == message  # the Setup tab's words too


def test_the_same_file_loaded_as_ones_own_runs_and_is_labelled_custom(data):
    path = data / "checkpoints" / OFFICIAL_HMR
    choice = checkpoints.use_own_checkpoint("hmr", path)
    assert choice.custom and choice.label == "HMR (custom)" and checkpoints.custom_methods() == {"hmr"}
    result = analyse(example_image("small_skier_crop"), PipelineOptions(methods=("hmr", "fit")))
    assert result.methods == ("hmr", "fit") and result.label("hmr") == "HMR (custom)" and result.label("fit") == "Fit"
    assert result.label("hmr+fit") == "HMR (custom) + Fit"
    assert checkpoints.forget_own_checkpoint("hmr").path == checkpoint_path("hmr")  # back to the official file


def test_own_checkpoints_come_from_the_session_then_the_environment_then_the_official_file(data, monkeypatch):
    assert checkpoints.checkpoint_for("spin_gta").source == "official"
    monkeypatch.setenv(settings.OWN_CHECKPOINT_SPIN_GTA, str(data / "checkpoints" / "standin_spin_gta.pth"))
    from_env = checkpoints.checkpoint_for("spin_gta")
    assert from_env.custom and from_env.source == "HMRC_CHECKPOINT_SPIN_GTA"
    chosen = checkpoints.use_own_checkpoint("spin_gta", data / "checkpoints" / "standin_spin_gta.pth")
    assert checkpoints.checkpoint_for("spin_gta") == chosen and chosen.source == checkpoints.CHOSEN_HERE
    assert settings.data_environment()[settings.OWN_CHECKPOINT_SPIN_GTA] == str(from_env.path)  # subprocesses too


@pytest.mark.parametrize(
    "content, complaint",
    [
        (None, "No file at"),
        (b"not a checkpoint", "not a PyTorch checkpoint"),
        ("hybrik", "looks like a HybrIK"),
    ],
)
def test_an_own_checkpoint_that_does_not_fit_is_refused_and_the_choice_stays(data, body_model, content, complaint):
    path = data / "mine.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "hybrik":
        save_checkpoint(path, official_state_dict("hybrik", body_model), {})
    with pytest.raises(CheckpointError, match=complaint):
        checkpoints.use_own_checkpoint("hmr", path)
    assert not checkpoints.checkpoint_for("hmr").custom


def test_a_training_checkpoint_from_train_run_is_accepted(data, tmp_path):
    from core.networks.build import build_network

    network = build_network("hmr", backbone_depth=34)  # a run may pick another depth; its meta says so
    meta = {"method": "hmr", "config": {"model": {"backbone_depth": 34}}}
    save_checkpoint(tmp_path / "epoch_3.pth", network.state_dict(), meta)
    assert checkpoints.use_own_checkpoint("hmr", tmp_path / "epoch_3.pth").custom
    result = analyse(example_image("small_skier_crop"), PipelineOptions(methods=("hmr",)))
    assert result.methods == ("hmr",) and result.label("hmr") == "HMR (custom)"


def test_a_file_is_hashed_once_per_version(tmp_path, monkeypatch):
    calls = []
    real = file_hash.hashlib.sha256
    monkeypatch.setattr(file_hash.hashlib, "sha256", lambda: calls.append(1) or real())
    path = tmp_path / "big.pth"
    path.write_bytes(b"a" * 1000)
    first = file_hash.sha256_of(path)
    assert file_hash.sha256_of(path) == first and len(calls) == 1
    path.write_bytes(b"b" * 1001)  # replaced: another size and modification time
    os.utime(path, ns=(1, 1))
    assert file_hash.sha256_of(path) != first and len(calls) == 2


def test_the_weights_fingerprint_changes_with_every_file_results_depend_on(data):
    before = checkpoints.weights_fingerprint()
    assert checkpoints.weights_fingerprint() == before
    checkpoints.use_own_checkpoint("spin_gta", data / "checkpoints" / "standin_spin_gta.pth")
    own = checkpoints.weights_fingerprint()
    (data / "checkpoints" / "resnet34_hybrik_mixed-a61b3c9c_20220211.pth").write_bytes(b"a new download")
    downloaded = checkpoints.weights_fingerprint()
    (data / "body_models" / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(b"a body model")
    body = checkpoints.weights_fingerprint()
    assert len({before, own, downloaded, body}) == 4


def test_a_replaced_checkpoint_is_loaded_again(data, body_model, tmp_path, monkeypatch):
    path = tmp_path / "mine.pth"
    save_checkpoint(path, official_state_dict("hmr", body_model), {})
    monkeypatch.setenv(settings.OWN_CHECKPOINT_HMR, str(path))
    first = inference.get_model("hmr", body_model)
    assert inference.get_model("hmr", body_model) is first and first.checkpoint.custom
    save_checkpoint(path, official_state_dict("hmr", body_model), {"epoch": 2})
    os.utime(path, ns=(2, 2))
    assert inference.get_model("hmr", body_model) is not first


def test_training_refuses_an_imagenet_backbone_whose_hash_differs(tmp_path):
    from core.networks.build import build_network
    from train.init import load_backbone

    path = tmp_path / "resnet50-0676ba61.pth"  # torchvision's name, other content
    save_checkpoint(path, build_network("hmr").backbone.state_dict(), {})
    with pytest.raises(CheckpointIntegrityError, match="promises a sha256 starting 0676ba61"):
        load_backbone(build_network("hmr").backbone, path)
