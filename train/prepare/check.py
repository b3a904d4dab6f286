"""`python -m train.prepare --check DATA_ROOT [--config hmr|hybrik|spin_gta]`: is every file a training config
reads there, readable, of the expected size, with its images? And the message `python -m train.run` gives when
files are missing.

A file's state is read from the .npz headers (no array is loaded, so checking a 1 GB file is instant):
present (with its sample count), missing, or malformed (not a zip, a truncated archive, a required key absent,
keys of different lengths). Images: the folder `datasets/<name>` exists and the first, middle and last
`image_path` entries are files in it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.settings import data_folders
from train.config import TrainConfig
from train.data.files import NeededFile, is_present
from train.data.files import needed_files as needed_files_of_run
from train.prepare.catalog import OUTPUTS, how_to_get

REQUIRED = {  # keys a file must hold, by what the config does with it
    "images": ("image_path", "bbox_xywh"),
    "smpl": ("smpl",),
    "test": ("image_path", "bbox_xywh"),
}


@dataclass
class FileState:
    state: str  # 'present' | 'missing' | 'malformed'
    count: int | None = None
    detail: str = ""
    image_paths: list[str] | None = None  # first, middle and last entries


@dataclass
class Needed:
    name: str  # file name
    role: str  # 'train <dataset>', 'adversarial', 'test'
    dataset: str  # folder under datasets/ for its images ('' = none)
    kind: str  # REQUIRED key
    required: bool = True


def needed_files(config: TrainConfig) -> list[Needed]:
    """Every preprocessed file `config` reads, in the order training opens them."""
    files = [Needed(name, f"train {dataset}", dataset, "images") for dataset, name in config.data.ann_files.items()]
    if config.data.adv_ann_file:
        files.append(Needed(config.data.adv_ann_file, "adversarial prior", "", "smpl"))
    if config.data.test_ann_file:
        files.append(Needed(config.data.test_ann_file, "validation", "pw3d", "test", required=False))
    return files


def other_files(config: TrainConfig, root: Path) -> list[NeededFile]:
    """The files the config reads that are not HumanData files or image folders (static fits, initial weights,
    mean parameters, body models, regressors), from train.data.files, the one list of what a run reads."""
    skip = (root / "preprocessed_datasets", root / "datasets")
    return [
        f
        for f in needed_files_of_run(config, data_folders(root))
        if f.path.parent not in skip and f.path.parent.parent != skip[1]
    ]


def inspect(path: Path, kind: str) -> FileState:
    """State of one HumanData file from its zip directory and array headers."""
    if not path.is_file():
        return FileState("missing")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
            missing = [key for key in REQUIRED[kind] if key not in members]
            if missing:
                return FileState("malformed", detail=f"no {', '.join(missing)} (has {', '.join(sorted(members))})")
            lengths = {key: _length(archive, members[key]) for key in ("image_path", "bbox_xywh") if key in members}
            if len(set(lengths.values())) > 1:
                return FileState("malformed", detail=f"keys of different lengths: {lengths}")
            paths = _sample_paths(archive, members["image_path"]) if "image_path" in members else None
            declared = (
                int(np.lib.format.read_array(io.BytesIO(archive.read(members["__data_len__"]))))
                if "__data_len__" in members
                else -1
            )
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as error:
        return FileState("malformed", detail=f"not a readable .npz ({error})")
    count = next(iter(lengths.values()), None) if lengths else (declared if declared >= 0 else None)
    return FileState("present", count=count, image_paths=paths)


def _length(archive: zipfile.ZipFile, member: str) -> int:
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape = read(stream)[0]
    return shape[0] if shape else 0


def _sample_paths(archive: zipfile.ZipFile, member: str) -> list[str]:
    array = np.lib.format.read_array(io.BytesIO(archive.read(member)), allow_pickle=False)
    if not len(array):
        return []
    return [str(array[i]) for i in sorted({0, len(array) // 2, len(array) - 1})]


def images_line(root: Path, dataset: str, state: FileState) -> str:
    folder = root / "datasets" / dataset
    if not folder.is_dir():
        return f"image folder {folder} not found"
    absent = [p for p in state.image_paths or [] if not (folder / p).is_file()]
    if absent:
        return f"images missing in {folder} (e.g. {absent[0]})"
    return f"images found in {folder}"


def check_config(method: str, config: TrainConfig, root: Path) -> tuple[str, bool]:
    """The --check report for one config and whether everything is in place."""
    root = Path(root)
    lines, ok = [f"{method}: files the config reads under {root}"], True
    for need in needed_files(config):
        path = root / "preprocessed_datasets" / need.name
        state = inspect(path, need.kind)
        label = f"  {need.name} ({need.role})"
        if state.state == "missing":
            ok &= not need.required
            optional = "" if need.required else " (optional: validation is skipped without it)"
            lines.append(f"{label}: MISSING{optional}\n      {how_to_get(need.name, root)}")
            continue
        if state.state == "malformed":
            ok = False
            lines.append(f"{label}: MALFORMED: {state.detail}\n      remake it: {how_to_get(need.name, root)}")
            continue
        detail = f"{state.count:,} samples" if state.count is not None else "present"
        published = OUTPUTS[need.name].count if need.name in OUTPUTS else None
        if published is not None:
            detail += f" (published: {published:,}{'' if published == state.count else ', DIFFERENT'})"
        if need.dataset and state.image_paths is not None:
            images = images_line(root, need.dataset, state)
            ok &= images.startswith("images found")
            detail += f"; {images}"
        lines.append(f"{label}: present, {detail}")
    for other in other_files(config, root):
        if is_present(other.path):
            lines.append(f"  {other.path.name} ({other.what}): present")
        else:
            ok = False
            lines.append(f"  {other.path.name} ({other.what}): MISSING\n      {other.command}")
    return "\n".join(lines), ok
