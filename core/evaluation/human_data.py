"""Read and write mmhuman3d HumanData `.npz` files (mmhuman3d/data/data_structures/human_data.py), without mmhuman3d.

A HumanData file is `np.savez_compressed` of a dict: arrays per sample (`bbox_xywh` (N, 5),
`keypoints2d` (N, K, 3), `keypoints3d` (N, K, 4), ...), lists (`image_path`), and dicts (`smpl`,
`meta`, `cam_param`) stored as 0-d object arrays, plus the reserved keys `__key_strict__`,
`__data_len__` (`__temporal_len__` in older files) and `__keypoints_compressed__`. Compressed
keypoint arrays keep only the joints whose `<key>_mask` is 1: (N, mask.sum(), C).

Trust: object arrays are pickles. mmhuman3d loads them with `allow_pickle=True`, which runs any code
a crafted file contains. Here they are read with an unpickler that only rebuilds numpy arrays and
plain dict/list/str/number values and refuses everything else, so a dataset file from someone else
cannot execute code; it can still contain wrong numbers, which `load_human_data` checks.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.paths import data_root

RESERVED_KEYS = ("__key_strict__", "__data_len__", "__temporal_len__", "__keypoints_compressed__")
# Globals a numpy pickle of arrays and plain containers needs; numpy 2 writes `numpy._core`.
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict"),
}
_PLAIN_TYPES = (np.ndarray, list, tuple, dict, str, bytes, int, float, bool, np.generic, type(None))


class HumanDataError(ValueError):
    """A HumanData file is malformed; the message names the file, the key and the sample."""


def _error(source, key: str, problem: str, sample: int | None = None) -> HumanDataError:
    where = f"{source}: key '{key}'" + (f", sample {sample}" if sample is not None else "")
    return HumanDataError(f"{where}: {problem}")


@dataclass
class HumanData:
    """Decompressed HumanData: `fields` holds every key except the reserved ones.

    Keypoint arrays are always full size here, e.g. keypoints3d (N, 190, 4), with their
    `<key>_mask` (190,) kept alongside.
    """

    fields: dict[str, Any]
    source: str = "<memory>"
    key_strict: bool = False

    def __len__(self) -> int:
        return _data_len(self.fields, self.source)

    def __contains__(self, key: str) -> bool:
        return key in self.fields

    def __getitem__(self, key: str) -> Any:
        if key not in self.fields:
            raise KeyError(f"{self.source} has no key '{key}'; it has {sorted(self.fields)}")
        return self.fields[key]

    def smpl(self, name: str) -> np.ndarray:
        """One array of the `smpl` dict, e.g. 'betas' (N, 10)."""
        smpl = self["smpl"]
        if name not in smpl:
            raise KeyError(f"{self.source}: 'smpl' has no '{name}'; it has {sorted(smpl)}")
        return np.asarray(smpl[name])

    def keypoints(self, key: str, convention: str = "human_data", approximate: bool = False):
        """Keypoints `key` in `convention` (e.g. 'smpl_54', 'smpl_49', 'hybrik_29') → (kps (N, K, C), mask (K,) 0/1).

        The stored mask is carried through `core.joints.convert`, so joints the file lacks stay masked.
        """
        kps = np.asarray(self[key])
        mask = np.asarray(self.fields.get(f"{key}_mask", np.ones(kps.shape[1])), dtype=np.float64)
        stored = self.fields.get(f"{key}_convention", "human_data")
        if convention == stored:
            return kps, mask
        from core.joints import convert

        converted, new_mask = convert(kps, stored, convention, approximate=approximate, mask=mask)
        return np.asarray(converted), np.asarray(new_mask, dtype=np.float64)

    def image_paths(self, dataset_name: str, root: Path | None = None) -> list[Path]:
        """`image_path` entries resolved against `<data>/datasets/<dataset_name>/`."""
        base = (root or data_root()) / "datasets" / dataset_name
        return [base / relative for relative in self["image_path"]]


def load_human_data(path: str | Path) -> HumanData:
    """Load, decompress and check a HumanData `.npz` written by mmhuman3d or `save_human_data`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"HumanData file not found: {path}")
    raw = _read_npz(path)
    reserved = {key: raw.pop(key) for key in RESERVED_KEYS if key in raw}
    fields = {key: _unwrap(value) for key, value in raw.items()}
    _check_types(fields, path)
    if "bbox_xywh" in fields:
        fields["bbox_xywh"] = _bbox_with_confidence(fields["bbox_xywh"], path)
    if "image_path" in fields:
        fields["image_path"] = [str(p) for p in fields["image_path"]]
    if bool(reserved.get("__keypoints_compressed__", False)):
        _decompress_all(fields, path)
    declared = reserved.get("__data_len__", reserved.get("__temporal_len__", -1))
    data = HumanData(fields=fields, source=str(path), key_strict=bool(reserved.get("__key_strict__", False)))
    check_human_data(data, declared_len=int(declared))
    return data


def save_human_data(path: str | Path, fields: dict[str, Any], compress_keypoints: bool = True) -> None:
    """Write `fields` as an mmhuman3d-compatible HumanData `.npz`.

    Keypoint arrays with a `<key>_mask` are stored compressed when `compress_keypoints`.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"HumanData files end in .npz, got {path}")
    fields = dict(fields)
    keypoint_keys = _masked_keypoint_keys(fields)
    if compress_keypoints:
        for key in keypoint_keys:
            fields[key] = compress(np.asarray(fields[key]), np.asarray(fields[f"{key}_mask"]))
    to_save = {
        "__key_strict__": False,
        "__data_len__": _data_len(fields, str(path)),
        "__keypoints_compressed__": bool(compress_keypoints and keypoint_keys),
    }
    for key, value in fields.items():
        to_save[key] = _wrap(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **to_save)


def compress(keypoints: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, K, C) full keypoints → (N, mask.sum(), C), keeping the mask == 1 joints."""
    assert keypoints.shape[1] == mask.shape[0], f"keypoints {keypoints.shape} vs mask {mask.shape}"
    return np.take(keypoints, np.flatnonzero(mask == 1), axis=1)


def decompress(compressed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, mask.sum(), C) → (N, K, C) with zeros at the mask == 0 joints."""
    assert compressed.shape[1] == int((mask == 1).sum()), f"{compressed.shape} vs {int(mask.sum())} masked joints"
    full = np.zeros((compressed.shape[0], mask.shape[0], compressed.shape[2]), dtype=compressed.dtype)
    full[:, np.flatnonzero(mask == 1)] = compressed
    return full


def check_human_data(data: HumanData, declared_len: int = -1) -> None:
    """Raise HumanDataError on wrong lengths, shapes or non-finite values, naming key and sample."""
    num = len(data)
    if declared_len >= 0 and declared_len != num:
        raise _error(data.source, "__data_len__", f"says {declared_len} samples but the arrays hold {num}")
    for key, value in data.fields.items():
        if key == "bbox_xywh":
            _check_array(data.source, key, value, num, (5,))
        elif key.startswith("keypoints") and isinstance(value, np.ndarray) and not key.endswith("_mask"):
            _check_array(data.source, key, value, num, (None, None))
        elif key == "image_path":
            _check_list(data.source, key, value, num)
        elif key in ("smpl", "meta") and isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, np.ndarray) and item.dtype.kind in "fiu":
                    _check_array(data.source, f"{key}.{name}", item, num, None)
                elif isinstance(item, (list, np.ndarray)):
                    _check_list(data.source, f"{key}.{name}", list(item), num)


# ---------------------------------------------------------------- reading


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load '{module}.{name}' from a data file")
        return super().find_class(module, name)


def _read_npz(path: Path) -> dict[str, Any]:
    """Every array of the npz; object arrays through the restricted unpickler."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                key = member[: -len(".npy")] if member.endswith(".npy") else member
                arrays[key] = _read_member(archive.read(member), path, key)
    except zipfile.BadZipFile as error:
        raise HumanDataError(f"{path}: not an .npz file ({error})") from None
    return arrays


def _read_member(blob: bytes, path: Path, key: str):
    stream = io.BytesIO(blob)
    version = np.lib.format.read_magic(stream)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    _, _, dtype = reader(stream)
    if not dtype.hasobject:
        return np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)
    try:
        return _RestrictedUnpickler(stream).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as error:
        raise _error(path, key, f"object array could not be read safely: {error}") from None


def _unwrap(value):
    """0-d object arrays hold a dict/list/str: return that object; 1-d object arrays become lists."""
    if isinstance(value, np.ndarray) and value.dtype.hasobject:
        return value.item() if value.ndim == 0 else list(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def _check_types(fields: dict, path: Path, prefix: str = "") -> None:
    for key, value in fields.items():
        if not isinstance(value, _PLAIN_TYPES):
            raise _error(path, prefix + key, f"unexpected type {type(value).__name__}")
        if isinstance(value, dict):
            _check_types(value, path, prefix=f"{prefix}{key}.")


def _bbox_with_confidence(bbox, path: Path) -> np.ndarray:
    """mmhuman3d appends a confidence column of ones to 4-column boxes."""
    bbox = np.asarray(bbox, dtype=np.float64)
    if bbox.ndim != 2 or bbox.shape[1] not in (4, 5):
        raise _error(path, "bbox_xywh", f"expected shape (N, 4) or (N, 5), got {bbox.shape}")
    return np.hstack([bbox, np.ones((len(bbox), 1))]) if bbox.shape[1] == 4 else bbox


def _masked_keypoint_keys(fields: dict) -> list[str]:
    return [
        key
        for key, value in fields.items()
        if key.startswith("keypoints")
        and not key.endswith("_mask")
        and isinstance(value, np.ndarray)
        and f"{key}_mask" in fields
    ]


def _decompress_all(fields: dict, path: Path) -> None:
    for key, value in list(fields.items()):
        if not (key.startswith("keypoints") and isinstance(value, np.ndarray) and not key.endswith("_mask")):
            continue
        if f"{key}_mask" not in fields:
            raise _error(path, key, f"compressed keypoints need '{key}_mask' to be decompressed")
        mask = np.asarray(fields[f"{key}_mask"])
        if value.ndim != 3 or value.shape[1] != int((mask == 1).sum()):
            raise _error(
                path,
                key,
                f"compressed shape {value.shape} does not match {int((mask == 1).sum())} joints set in '{key}_mask'",
            )
        fields[key] = decompress(value, mask)


def _data_len(fields: dict, source: str) -> int:
    for key in ("bbox_xywh", "image_path"):
        if key in fields:
            return len(fields[key])
    for key, value in fields.items():
        if key.startswith("keypoints") and isinstance(value, np.ndarray) and value.ndim == 3:
            return len(value)
    smpl = fields.get("smpl")
    if isinstance(smpl, dict) and "betas" in smpl:  # bodies only, e.g. cmu_mosh.npz (HMR's adversarial prior)
        return len(smpl["betas"])
    raise _error(
        source, "bbox_xywh", "cannot tell the number of samples: no bbox_xywh, image_path, keypoints or smpl betas"
    )


def _check_array(source, key: str, value, num: int, trailing) -> None:
    value = np.asarray(value)
    if value.ndim == 0 or len(value) != num:
        raise _error(source, key, f"has {len(value) if value.ndim else 'no'} rows, expected {num} samples")
    if trailing is not None and (
        value.ndim != 1 + len(trailing)
        or any(want is not None and got != want for got, want in zip(value.shape[1:], trailing))
    ):
        raise _error(source, key, f"shape {value.shape}, expected (N, {', '.join(str(t or 'K') for t in trailing)})")
    if value.dtype.kind == "f":
        finite = np.isfinite(value.reshape(num, -1)).all(axis=1)
        if not finite.all():
            raise _error(source, key, "contains NaN or infinity", sample=int(np.flatnonzero(~finite)[0]))


def _check_list(source, key: str, value, num: int) -> None:
    if len(value) != num:
        raise _error(source, key, f"has {len(value)} entries, expected {num} samples")
    if key == "image_path":
        for index, item in enumerate(value):
            if not isinstance(item, (str, np.str_)) or not item:
                raise _error(source, key, f"expected a non-empty relative path, got {item!r}", sample=index)


def _wrap(value):
    """dicts become 0-d object arrays as `np.savez` would make them; lists of str stay string arrays."""
    if isinstance(value, dict):
        holder = np.empty((), dtype=object)
        holder[()] = value
        return holder
    return value
