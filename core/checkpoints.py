"""Which checkpoint each method runs with: the official file, or the user's own, chosen explicitly.

    from core.checkpoints import checkpoint_for, use_own_checkpoint
    checkpoint_for("hmr")                                  # the official file, custom=False
    use_own_checkpoint("hmr", "runs/hmr/epoch_10.pth")     # from now on HMR runs with it, labelled "HMR (custom)"

In order of precedence: the file chosen in this process (`use_own_checkpoint`: the app's Setup tab,
`python -m core.demo --checkpoint hmr=PATH`), then HMRC_CHECKPOINT_<METHOD> (read by core.settings, or given to
`use_data_folders`), then the official file in the checkpoints folder (core.methods.checkpoint_path). The official
file is used only when its content has the sha256 prefix its name carries (core.networks.checkpoint); a user's
own file is never checked against a published hash but is labelled "custom" wherever the method is named.

`weights_fingerprint()` names every file a result depends on (each method's checkpoint and the body-model files),
so a cached result keyed on it is never shown after one of them was added or replaced.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.file_hash import file_identity, sha256_of
from core.methods import NETWORK_METHODS, checkpoint_path, network_method
from core.settings import OWN_CHECKPOINT_VARIABLES, data_folders

CUSTOM_TAG = "custom"
CHOSEN_HERE = "chosen in this session of the app or command"  # CheckpointChoice.source of use_own_checkpoint


@dataclass(frozen=True)
class CheckpointChoice:
    """The checkpoint a method runs with."""

    method: str
    path: Path
    custom: bool  # the user's own file (labelled "custom"), not the official one
    source: str  # 'official', the environment variable that named it, or CHOSEN_HERE

    @property
    def label(self) -> str:
        """'HMR', or 'HMR (custom)' for the user's own checkpoint."""
        return custom_label(network_method(self.method).short_label, self.custom)


def custom_label(label: str, custom: bool) -> str:
    return f"{label} ({CUSTOM_TAG})" if custom else label


_chosen: dict[str, Path] = {}
_lock = threading.Lock()


def checkpoint_for(method: str) -> CheckpointChoice:
    """The checkpoint `method` runs with now (whether or not the file is there)."""
    network_method(method)
    with _lock:
        chosen = _chosen.get(method)
    if chosen is not None:
        return CheckpointChoice(method, chosen, True, CHOSEN_HERE)
    own = data_folders().own_checkpoints.get(method)
    if own is not None:
        return CheckpointChoice(method, own, True, OWN_CHECKPOINT_VARIABLES[method])
    return CheckpointChoice(method, checkpoint_path(method), False, "official")


def use_own_checkpoint(method: str, path: str | Path) -> CheckpointChoice:
    """Run `method` with the user's own checkpoint from now on, in this process, after checking that the file is
    a checkpoint of that method (keys and shapes; e.g. one written by `python -m train.run`). CheckpointError with
    a sentence saying what is wrong otherwise; the previous choice then stays."""
    from core.networks.build import build_network
    from core.networks.checkpoint import CheckpointError, check_method, load_strict, read_checkpoint

    row = network_method(method)
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise CheckpointError(f"No file at {path}: give the path of a .pth checkpoint.")
    state_dict, meta = read_checkpoint(path, verify=False)
    check_method(state_dict, meta, method, str(path), f"a {row.label} checkpoint")
    depth = meta.get("config", {}).get("model", {}).get("backbone_depth")
    network = build_network(method, depth)
    load_strict(
        {"backbone": network.backbone, "head": network.head}, state_dict, str(path), f"a {row.label} checkpoint"
    )
    with _lock:
        _chosen[method] = path
    return CheckpointChoice(method, path, True, CHOSEN_HERE)


def forget_own_checkpoint(method: str) -> CheckpointChoice:
    """Undo `use_own_checkpoint`: the method runs with HMRC_CHECKPOINT_<METHOD>'s file, else the official one."""
    network_method(method)
    with _lock:
        _chosen.pop(method, None)
    return checkpoint_for(method)


def custom_methods() -> frozenset[str]:
    """The methods that run with the user's own checkpoint now."""
    return frozenset(m for m in NETWORK_METHODS if checkpoint_for(m).custom)


def weights_fingerprint() -> str:
    """16 hex digits naming the files results depend on: each method's checkpoint (path, own or official, sha256,
    hashed once per file version) and the body-model files (path, size, modification time)."""
    parts = []
    for method in NETWORK_METHODS:
        choice = checkpoint_for(method)
        parts.append((method, str(choice.path), choice.custom, sha256_of(choice.path) if choice.path.is_file() else ""))
    parts += [file_identity(path) for path in body_model_files() if path.is_file()]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def body_model_files() -> list[Path]:
    """The files in the body-model folder that decide which body model results are posed on."""
    from core.body_models.smpl import REGRESSOR_FILES, smpl_candidates

    folder = paths.body_models_dir()
    return smpl_candidates("neutral", folder) + [folder / name for name in REGRESSOR_FILES.values()]
