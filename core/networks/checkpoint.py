"""Official mmhuman3d checkpoints: safe reading, strict loading into this project's modules, writing.

An mmcv 1.x checkpoint is a dict {'state_dict': full model.state_dict(), 'meta': {...}}. Only
`backbone.*` and `head.*` are used, strictly (every key present with its exact shape). Known extras
are skipped on purpose: `disc.*` (HMR's adversarial discriminator) and the SMPL buffers the
architectures carry (`body_model_train.*`, `body_model_test.*`, `smpl.*`); the body model comes from
the user's SMPL files or the open model instead.

Files are read with `torch.load(weights_only=True)`: tensors and plain containers only. The meta of
mmcv checkpoints may hold numpy scalars (seed, epoch), so exactly those numpy types are allowed too.

A file whose name carries a published sha256 prefix (mmhuman3d's `...-04f40f58_20211201.pth`, torchvision's
`resnet50-0676ba61.pth`) is read only when its content has that hash (`verify_published_hash`): a file saved
under an official name is never taken for the official one. The hash is computed once per file version
(core.file_hash).
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.file_hash import sha256_of
from core.methods import METHOD_IDS, METHODS, published_sha256_prefix
from core.methods import method as method_row

IGNORED_PREFIXES = ("disc.", "body_model_train.", "body_model_test.", "smpl.")
USED_PREFIXES = ("backbone", "head")
# numpy types an mmcv `meta` may hold (np.int64 seeds, float64 times); nothing callable beyond these.
ALLOWED_META_GLOBALS = [
    np.core.multiarray.scalar,
    np.dtype,
    type(np.dtype(np.int64)),
    type(np.dtype(np.int32)),
    type(np.dtype(np.float64)),
    type(np.dtype(np.float32)),
    type(np.dtype(np.bool_)),
]


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message names the file and what to do."""


class CheckpointIntegrityError(CheckpointError):
    """A file under a published name whose sha256 does not start with the prefix in that name."""


def integrity_message(path: str | Path, expected: str, found: str) -> str:
    """The one message for a file whose content does not match the hash its name promises: what was
    expected, what was found, and how to fix it."""
    path = Path(path)
    owner = next((m for m in METHODS if m.checkpoint == path.name), None)
    what = f"the published {owner.label} checkpoint" if owner else "the published file of that name"
    problem = (
        f"{path.name} is not {what}: its name promises a sha256 starting {expected}, but this file's sha256 "
        f"starts {found[:8]} ({path}), so it is refused."
    )
    if owner is None:
        return (
            f"{problem} Download it again (`python -m core.weights fetch {path.name}`), or give your own file "
            "under another name."
        )
    return (
        f"{problem} To fix it, download the official file again (`python -m core.weights fetch {owner.id}`, or "
        f"Download on the app's Setup tab), or, if it is your own checkpoint, load it as your own (the Setup "
        f"tab's Own checkpoint, HMRC_CHECKPOINT_{owner.id.upper()}=PATH, or `--checkpoint {owner.id}=PATH`): "
        "it is then labelled “custom”."
    )


def verify_published_hash(path: str | Path) -> None:
    """CheckpointIntegrityError when the file's name carries a published sha256 prefix its content does not
    have; files without such a name pass (their hash is not published)."""
    path = Path(path)
    expected = published_sha256_prefix(path.name)
    if expected is None:
        return
    found = sha256_of(path)
    if not found.startswith(expected):
        raise CheckpointIntegrityError(integrity_message(path, expected, found))


def read_checkpoint(path: str | Path, verify: bool = True) -> tuple[dict[str, torch.Tensor], dict]:
    """Read an mmcv-layout `.pth` → (state_dict, meta) without running any code stored in it.

    verify: refuse a file under a published name whose hash differs (`verify_published_hash`); False only for a
    file the user explicitly loads as their own checkpoint (core.checkpoints), which is labelled as such."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if verify:
        verify_published_hash(path)
    try:
        with torch.serialization.safe_globals(ALLOWED_META_GLOBALS):
            content = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        unsafe = _unsafe_globals(path)
        if unsafe is None:  # not even a readable pickle
            raise CheckpointError(f"{path} is not a PyTorch checkpoint (.pth written by torch.save).") from error
        raise CheckpointError(
            f"{path} holds Python objects that would run code when loaded ({unsafe}); "
            "refusing to load it. Use the official checkpoint (python -m core.weights fetch <method>)."
        ) from error
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(
            f"{path} is truncated or not a PyTorch checkpoint ({str(error).splitlines()[0]}). "
            "Delete it and download it again: python -m core.weights fetch <method>."
        ) from error
    return _split_content(content, path)


def _unsafe_globals(path: Path) -> str | None:
    """The globals a pickled checkpoint would import, for the message; None when the file is no pickle at all."""
    try:
        return ", ".join(torch.serialization.get_unsafe_globals_in_checkpoint(path)) or "unknown globals"
    except Exception:  # noqa: BLE001 - only for the message
        return None


def _split_content(content, path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    if isinstance(content, dict) and "state_dict" in content:
        state_dict, meta = content["state_dict"], content.get("meta") or {}
    elif isinstance(content, dict) and content and all(isinstance(v, torch.Tensor) for v in content.values()):
        state_dict, meta = content, {}
    else:
        raise CheckpointError(f"{path} is not a model checkpoint: expected a dict with 'state_dict' and 'meta'")
    return dict(state_dict), dict(meta)


def looks_like(state_dict: dict[str, torch.Tensor]) -> str | None:
    """Which method family a state_dict belongs to, from its keys: 'hybrik', 'hmr', 'spin_gta' or None."""
    if "head.final_layer.weight" in state_dict and "head.decphi.weight" in state_dict:
        return "hybrik"
    if "head.decpose.weight" in state_dict:
        return "hmr" if any(k.startswith("disc.") for k in state_dict) else "spin_gta"
    return None


def check_method(state_dict: dict, meta: dict, method: str, source: str, expected_file: str) -> None:
    """Fail when the checkpoint belongs to another method (by its keys, or by meta['method'] if saved here)."""
    recorded = meta.get("method")
    guessed = recorded or looks_like(state_dict)
    # Without a discriminator an HMR-architecture file may still be HMR (e.g. trained here without one).
    undecidable = recorded is None and guessed == "spin_gta" and method == "hmr"
    if guessed is None or guessed == method or undecidable:
        return
    raise CheckpointError(
        f"{source} looks like a {_describe(guessed)} checkpoint, not {_describe(method)}. Expected {expected_file}."
    )


def _describe(method_id: str) -> str:
    return method_row(method_id).description if method_id in METHOD_IDS else method_id


def load_strict(modules: dict[str, nn.Module], state_dict: dict, source: str, expected_file: str) -> None:
    """Copy `<prefix>.*` of state_dict into each module; every module key must be there with its shape."""
    unknown = sorted(k for k in state_dict if not k.startswith(IGNORED_PREFIXES) and k.split(".", 1)[0] not in modules)
    if unknown:
        raise CheckpointError(f"{source}: unexpected keys {unknown[:5]} (expected {expected_file})")
    for prefix, module in modules.items():
        part = {k[len(prefix) + 1 :]: v for k, v in state_dict.items() if k.startswith(prefix + ".")}
        _check_part(module.state_dict(), part, prefix, source, expected_file)
        module.load_state_dict(part, strict=True)


def _check_part(expected: dict, got: dict, prefix: str, source: str, expected_file: str) -> None:
    for key, value in expected.items():
        if key not in got:
            raise CheckpointError(f"{source}: missing key {prefix}.{key}; expected the checkpoint {expected_file}")
        # HybrIK's mean shape follows its .npy: (10,) or (1, 10); the head accepts both.
        same = got[key].shape == value.shape or (key == "init_shape" and got[key].numel() == value.numel())
        if not same:
            raise CheckpointError(
                f"{source}: {prefix}.{key} has shape {tuple(got[key].shape)}, expected {tuple(value.shape)}; "
                f"expected the checkpoint {expected_file}"
            )
    extra = sorted(set(got) - set(expected))
    if extra:
        raise CheckpointError(
            f"{source}: unexpected keys {[prefix + '.' + k for k in extra[:5]]} (expected {expected_file})"
        )


def save_checkpoint(
    path: str | Path, state_dict: dict[str, torch.Tensor], meta: dict, extra: dict | None = None
) -> None:
    """Write {'state_dict', 'meta'} (mmcv layout) atomically: a temporary file in the same folder, then rename.

    `extra` adds top-level keys beside them (training keeps its resume state there, as mmcv keeps 'optimizer').
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"state_dict": {k: v.detach().cpu() for k, v in state_dict.items()}, "meta": dict(meta)}
    content.update(extra or {})
    handle, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(content, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@dataclass
class LoadReport:
    """What loading an initial checkpoint into a module did: key names relative to the module."""

    source: str
    what: str
    loaded: list[str]
    missing: list[str]
    unexpected: list[str]
    mismatched: list[tuple[str, tuple, tuple]]  # (key, shape in the file, shape in the model)

    def summary(self) -> str:
        lines = [
            f"{self.what} from {self.source}: {len(self.loaded)} keys loaded, {len(self.missing)} missing, "
            f"{len(self.unexpected)} unexpected, {len(self.mismatched)} shape-mismatched"
        ]
        if self.missing:
            lines.append(f"  missing: {_first(self.missing)}")
        if self.unexpected:
            lines.append(f"  unexpected (ignored): {_first(self.unexpected)}")
        for key, got, want in self.mismatched[:5]:
            lines.append(f"  shape mismatch: {key} is {got} in the file, {want} in the model")
        return "\n".join(lines)


def _first(keys: list[str], count: int = 5) -> str:
    return ", ".join(keys[:count]) + (f" … ({len(keys) - count} more)" if len(keys) > count else "")


def load_initial_weights(
    module: nn.Module,
    state_dict: dict,
    source: str,
    what: str,
    may_be_missing=lambda key: key.endswith("num_batches_tracked"),
) -> LoadReport:
    """Copy the tensors of `state_dict` that match `module`'s keys and shapes; refuse a file that does not cover
    the module (every key except those `may_be_missing` accepts must be there with its shape).

    Unlike mmcv's non-strict `load_checkpoint`, a file with missing or mis-shaped keys raises CheckpointError
    naming them, before anything is copied; keys the module does not have are reported and ignored.
    """
    expected = module.state_dict()
    loaded, mismatched = [], []
    for key, value in expected.items():
        if key in state_dict and tuple(state_dict[key].shape) != tuple(value.shape):
            mismatched.append((key, tuple(state_dict[key].shape), tuple(value.shape)))
        elif key in state_dict:
            loaded.append(key)
    missing = [k for k in expected if k not in state_dict]
    report = LoadReport(source, what, loaded, missing, sorted(set(state_dict) - set(expected)), mismatched)
    refused = mismatched or [k for k in missing if not may_be_missing(k)]
    if refused:
        raise CheckpointError(
            f"{report.summary()}\n{source} does not fit {what} ({len(loaded)} of {len(expected)} "
            f"keys match); refusing to start from it."
        )
    with torch.no_grad():
        for key in loaded:
            expected[key].copy_(state_dict[key])
    return report
