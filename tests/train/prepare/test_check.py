"""`python -m train.prepare --check` and train.run's message when files are missing."""

import shutil

import pytest

from core.settings import data_folders
from train.config import AI_CHALLENGER_OVERRIDES, hmr_config
from train.data.files import missing_files_message
from train.prepare.__main__ import main as prepare
from train.prepare.catalog import OUTPUTS
from train.prepare.check import needed_files

HMR_FILES = (
    "h36m_mosh_train.npz",
    "mpi_inf_3dhp_train.npz",
    "lsp_train.npz",
    "lspet_train.npz",
    "mpii_train.npz",
    "coco_2014_train.npz",
    "cmu_mosh.npz",
)


def test_every_file_a_config_reads_is_in_the_catalogue():
    from train.config import default_config

    for method in ("hmr", "hybrik", "spin_gta"):
        for need in needed_files(default_config(method)):
            assert need.name in OUTPUTS, need.name
    assert "ai_challenger_train.npz" in OUTPUTS


def test_check_on_an_empty_root_names_every_file_with_its_command(tmp_path, capsys):
    assert prepare(["--check", str(tmp_path), "--config", "hmr"]) == 1
    out = capsys.readouterr().out
    for name in HMR_FILES:
        assert f"{name} (" in out and f"{name}" in out.split("MISSING")[0] + out
        command = f"python -m train.prepare {OUTPUTS[name].dataset} --raw {tmp_path}/datasets/{OUTPUTS[name].raw}"
        assert command in out
    assert "pw3d_test.npz (validation): MISSING (optional" in out
    assert f"HMRC_DATA={tmp_path} python -m core.weights fetch pw3d_test.npz" in out
    assert "h36m_mosh_train.npz" in out and "MoSh fits cannot be redistributed" in out


def test_check_reports_counts_images_and_published_counts(prepared, capsys):
    root, made = prepared
    assert prepare(["--check", str(root), "--config", "hmr", "--config", "hybrik"]) == 0
    out = capsys.readouterr().out
    assert (
        f"lsp_train.npz (train lsp): present, {made['lsp']['train']} samples; images found in {root}/datasets/lsp"
        in out
    )
    assert f"pw3d_test.npz (validation): present, {made['pw3d']['count']} samples (published: 35,515, DIFFERENT)" in out
    assert f"hybrik_h36m_train.npz (train h36m): present, {made['h36m_hybrik']['count']} samples" in out
    assert "everything the configs read is in place" in out


def test_check_finds_malformed_files_and_missing_images(prepared, tmp_path, capsys):
    root, _ = prepared
    copy = tmp_path / "root"
    shutil.copytree(root / "preprocessed_datasets", copy / "preprocessed_datasets")
    shutil.copytree(root / "datasets" / "lsp", copy / "datasets" / "lsp")
    data = (copy / "preprocessed_datasets" / "mpii_train.npz").read_bytes()
    (copy / "preprocessed_datasets" / "mpii_train.npz").write_bytes(data[: len(data) // 2])
    (copy / "datasets" / "lsp" / "images" / "im0001.jpg").unlink()
    assert prepare(["--check", str(copy), "--config", "hmr"]) == 1
    out = capsys.readouterr().out
    assert "mpii_train.npz (train mpii): MALFORMED: not a readable .npz" in out
    assert "images missing in" in out and "images/im0001.jpg" in out
    assert f"image folder {copy}/datasets/coco not found" in out


def test_check_lists_spin_gtas_static_fits_and_gta_download(tmp_path, capsys):
    assert prepare(["--check", str(tmp_path), "--config", "spin_gta"]) == 1
    out = capsys.readouterr().out
    assert (
        f"gta_fits.npy (SPIN static fits of 'gta'): MISSING\n      HMRC_DATA={tmp_path} python -m core.weights "
        "fetch gta_fits.npy" in out
    )
    assert f"download: HMRC_DATA={tmp_path} python -m core.weights fetch gta_human_4x.npz" in out
    assert "spin_official.pth (initial weights (model.init_checkpoint)): MISSING" in out


def test_train_run_names_every_missing_file_in_one_message(tmp_path):
    from train.run import main

    with pytest.raises(SystemExit) as exit_info:
        main(["hmr", "--data-root", str(tmp_path)])
    message = str(exit_info.value.code)
    assert message.startswith("python -m train.run hmr: ") and "file(s) the config reads are missing" in message
    for name in HMR_FILES:
        assert f"/preprocessed_datasets/{name}  (" in message
        assert f"make: python -m train.prepare {OUTPUTS[name].dataset} --raw {tmp_path}/datasets/" in message
    assert "docs/data.md" in message and f"--check {tmp_path} --config hmr" in message


def test_the_ai_challenger_partition_is_checked_too(tmp_path):
    from train.config import apply_overrides

    config = apply_overrides(hmr_config(), list(AI_CHALLENGER_OVERRIDES))
    message = missing_files_message(config, data_folders(tmp_path))
    assert f"make: python -m train.prepare ai_challenger --raw {tmp_path}/datasets/ai_challenger" in message
