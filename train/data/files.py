"""Every file a training config reads, and the one command that makes or downloads each.

This is the one table of "file → command" (`python -m train.run` with missing data prints it, listing every
missing file at once). Preprocessed HumanData files come from `python -m train.prepare DATASET` (raw downloads
and layouts: docs/data.md); weights, mean parameters and regressors from `python -m core.weights fetch`; SMPL
from its website after registering. `python -m train.synth` makes a synthetic folder for a smoke run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.settings import DataFolders
from train.config import TrainConfig

DATA_GUIDE = "docs/data.md"
SYNTH_FILES = ("synth_train.npz", "hybrik_synth_train.npz", "pw3d_test.npz", "hybrik_pw3d_test.npz")


@dataclass(frozen=True)
class NeededFile:
    path: Path
    what: str
    command: str  # what makes or downloads it


def prepare_command(ann_file: str, folders: DataFolders) -> str:
    """How to make (or download) a preprocessed file: from the converter catalogue (train/prepare/catalog.py)."""
    from train.prepare.catalog import how_to_get

    if ann_file.startswith(("synth_", "hybrik_synth_")):
        return f"python -m train.synth --out {folders.data}"
    return how_to_get(ann_file, folders.data)


def fetch_command(name: str, folders: DataFolders) -> str:
    from core.paths import data_root

    prefix = "" if folders.data == data_root() else f"HMRC_DATA={folders.data} "
    return f"{prefix}python -m core.weights fetch {name}"


def needed_files(config: TrainConfig, folders: DataFolders) -> list[NeededFile]:
    """Every file or folder `config` reads under `folders`, in the order a run reads them."""
    root, data = folders.data, config.data
    files = []
    for name, ann_file in data.ann_files.items():
        files.append(
            NeededFile(
                root / "preprocessed_datasets" / ann_file, f"training set '{name}'", prepare_command(ann_file, folders)
            )
        )
        files.append(
            NeededFile(
                root / "datasets" / name,
                f"images of '{name}' (a folder)",
                f"the dataset's images, unpacked as in {DATA_GUIDE}",
            )
        )
    if data.adv_ann_file:
        files.append(
            NeededFile(
                root / "preprocessed_datasets" / data.adv_ann_file,
                "mocap bodies (discriminator)",
                prepare_command(data.adv_ann_file, folders),
            )
        )
    if data.static_fits:
        for name in data.ann_files:
            files.append(
                NeededFile(
                    root / "static_fits" / f"{name}_fits.npy",
                    f"SPIN static fits of '{name}'",
                    fetch_command(f"{name}_fits.npy", folders),
                )
            )
    if data.test_ann_file:
        files.append(
            NeededFile(
                root / "preprocessed_datasets" / data.test_ann_file,
                "validation set (3DPW test)",
                prepare_command(data.test_ann_file, folders),
            )
        )
        files.append(
            NeededFile(root / "datasets" / "pw3d", "3DPW images (a folder)", f"3DPW's imageFiles, as in {DATA_GUIDE}")
        )
    files += _weight_files(config, folders)
    return files


def _weight_files(config: TrainConfig, folders: DataFolders) -> list[NeededFile]:
    from core.weights import FILES, imagenet_backbone

    body, model, files = folders.body_models, config.model, []
    if model.mean_params == "file":
        name = "h36m_mean_beta.npy" if config.method == "hybrik" else "smpl_mean_params.npz"
        files.append(NeededFile(body / name, "the head's mean parameters", fetch_command(name, folders)))
    if model.init_checkpoint:
        path = Path(model.init_checkpoint)
        path = path if path.is_absolute() else folders.data / path
        command = fetch_command(path.name, folders) if path.name in FILES else "your initial checkpoint"
        files.append(NeededFile(path, "initial weights (model.init_checkpoint)", command))
    elif model.pretrained_backbone == "imagenet":
        name, file = imagenet_backbone(model.backbone_depth)
        files.append(
            NeededFile(
                file.path_in(folders.data),
                "ImageNet backbone",
                fetch_command(name, folders) + "   (or --set model.pretrained_backbone=none)",
            )
        )
    if config.body_model == "smpl":
        smpl = [body / "smpl" / "SMPL_NEUTRAL.pkl"]
        if config.data.test_ann_file == "pw3d_test.npz":
            smpl += [body / "smpl" / "SMPL_MALE.pkl", body / "smpl" / "SMPL_FEMALE.pkl"]
        for path in smpl:
            files.append(
                NeededFile(
                    path,
                    "SMPL body model (licensed)",
                    "register at https://smpl.is.tue.mpg.de and put it there (neutral: or "
                    "`python -m core.weights fetch all --accept-smpl-license`); or train on the "
                    "open body model with --set body_model=open",
                )
            )
        regressors = ["J_regressor_h36m.npy"] + ([] if config.method == "hybrik" else ["J_regressor_extra.npy"])
        files += [NeededFile(body / name, "joint regressor", fetch_command(name, folders)) for name in regressors]
    return files


def is_present(path: Path) -> bool:
    if path.name == "SMPL_NEUTRAL.pkl":
        from core.body_models.smpl import smpl_available

        return smpl_available("neutral", path.parent.parent)
    return path.exists() if path.suffix == "" else path.is_file()


def missing_files_message(config: TrainConfig, folders: DataFolders) -> str:
    """One message naming every missing file of `config` with its command; "" when nothing is missing."""
    missing = [f for f in needed_files(config, folders) if not is_present(f.path)]
    if not missing:
        return ""
    lines = [
        f"python -m train.run {config.method}: {len(missing)} file(s) the config reads are missing under {folders.data}:"
    ]
    for item in missing:
        lines.append(f"  {item.path}  ({item.what})\n      → {item.command}")
    lines.append(
        f"Dataset downloads and layouts: {DATA_GUIDE}. For a smoke run without any download, make a "
        f"synthetic set with `python -m train.synth --out DIR` and train on it as the README's Training "
        f"section shows. Check again with: python -m train.prepare --check {folders.data} --config {config.method}"
    )
    return "\n".join(lines)
