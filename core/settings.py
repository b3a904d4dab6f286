"""Every environment variable hmr-compare reads, read here and nowhere else, into frozen dataclasses.

Each getter reads the environment when it is called (nothing is cached), so a variable set in a test
(monkeypatch.setenv) or before a call counts at once. The table of docs/configuration.md lists them all:

    data_folders()          HMRC_DATA, HMRC_BODY_MODELS, HMRC_CHECKPOINTS,
                            HMRC_CHECKPOINT_HMR, HMRC_CHECKPOINT_HYBRIK, HMRC_CHECKPOINT_SPIN_GTA
    download_settings()     HMRC_WEIGHTS_BASE_URL
    fast_setting()          HMRC_FAST
    renderer_setting()      HMRC_RENDERER
    opengl_platform()       PYOPENGL_PLATFORM (read, and written below)
    app_settings()          GRADIO_SERVER_NAME (alias HMRC_APP_HOST), GRADIO_SERVER_PORT (alias HMRC_APP_PORT),
                            HMRC_APP_TMP, HMRC_APP_CONCURRENCY, HMRC_APP_QUEUE, HMRC_APP_EXAMPLES,
                            HMRC_APP_MAX_UPLOAD_MB, HMRC_APP_ROOTS, SPACE_ID
    space_settings()        SPACE_ID, HMRC_SKIP_WEIGHTS, HMRC_SMPL_DATASET, HF_TOKEN, HMRC_ACCEPT_SMPL_LICENSE
    distributed_settings()  RANK, WORLD_SIZE, LOCAL_RANK (set by torchrun)

A program that needs other data folders than the environment's says so explicitly with
`use_data_folders(...)` (a context manager), never by writing os.environ.

Writing the environment is only done to configure third-party libraries that read it themselves, and only
through `set_library_variable` here (the names are in LIBRARY_VARIABLES); `child_environment` gives the
environment of a subprocess this process starts.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DATA = "HMRC_DATA"
BODY_MODELS = "HMRC_BODY_MODELS"
CHECKPOINTS = "HMRC_CHECKPOINTS"
OWN_CHECKPOINT_HMR = "HMRC_CHECKPOINT_HMR"
OWN_CHECKPOINT_HYBRIK = "HMRC_CHECKPOINT_HYBRIK"
OWN_CHECKPOINT_SPIN_GTA = "HMRC_CHECKPOINT_SPIN_GTA"
# method id → the variable naming the user's own checkpoint for it (core.methods.NETWORK_METHODS, checked by a test)
OWN_CHECKPOINT_VARIABLES = {
    "hmr": OWN_CHECKPOINT_HMR,
    "hybrik": OWN_CHECKPOINT_HYBRIK,
    "spin_gta": OWN_CHECKPOINT_SPIN_GTA,
}
WEIGHTS_BASE_URL = "HMRC_WEIGHTS_BASE_URL"
FAST = "HMRC_FAST"
RENDERER = "HMRC_RENDERER"
OPENGL_PLATFORM = "PYOPENGL_PLATFORM"
APP_HOST = "HMRC_APP_HOST"
APP_PORT = "HMRC_APP_PORT"
APP_TMP = "HMRC_APP_TMP"
APP_CONCURRENCY = "HMRC_APP_CONCURRENCY"
APP_QUEUE = "HMRC_APP_QUEUE"
APP_EXAMPLES = "HMRC_APP_EXAMPLES"
APP_MAX_UPLOAD_MB = "HMRC_APP_MAX_UPLOAD_MB"
APP_ROOTS = "HMRC_APP_ROOTS"
GRADIO_HOST = "GRADIO_SERVER_NAME"
GRADIO_PORT = "GRADIO_SERVER_PORT"
SPACE_ID = "SPACE_ID"
SKIP_WEIGHTS = "HMRC_SKIP_WEIGHTS"
SMPL_DATASET = "HMRC_SMPL_DATASET"
HF_TOKEN = "HF_TOKEN"
ACCEPT_SMPL_LICENSE = "HMRC_ACCEPT_SMPL_LICENSE"

RANK = "RANK"
WORLD_SIZE = "WORLD_SIZE"
LOCAL_RANK = "LOCAL_RANK"
READ = (
    DATA,
    BODY_MODELS,
    CHECKPOINTS,
    OWN_CHECKPOINT_HMR,
    OWN_CHECKPOINT_HYBRIK,
    OWN_CHECKPOINT_SPIN_GTA,
    WEIGHTS_BASE_URL,
    FAST,
    RENDERER,
    OPENGL_PLATFORM,
    APP_HOST,
    GRADIO_HOST,
    APP_PORT,
    GRADIO_PORT,
    APP_TMP,
    APP_CONCURRENCY,
    APP_QUEUE,
    APP_EXAMPLES,
    APP_MAX_UPLOAD_MB,
    APP_ROOTS,
    SPACE_ID,
    SKIP_WEIGHTS,
    SMPL_DATASET,
    HF_TOKEN,
    ACCEPT_SMPL_LICENSE,
    RANK,
    WORLD_SIZE,
    LOCAL_RANK,
)  # every variable read here

FAST_CHOICES = ("auto", "onnxruntime", "off")
RENDERER_CHOICES = ("auto", "egl", "osmesa", "software")
EXAMPLE_CACHE_MODES = ("eager", "lazy", "off")
LIBRARY_VARIABLES = {  # the only variables written, each before the library that reads it is imported
    OPENGL_PLATFORM: "PyOpenGL's platform, chosen by core.render.renderer from HMRC_RENDERER",
    "GRADIO_TEMP_DIR": "Gradio's uploads and cache, inside the app's temporary folder (app.settings)",
    "GRADIO_EXAMPLES_CACHE": "Gradio's cached examples, inside the app's temporary folder (app.settings)",
    "CUBLAS_WORKSPACE_CONFIG": "cuBLAS's workspace, fixed for deterministic training (train.trainer)",
    "OPENBLAS_NUM_THREADS": "OpenBLAS libraries loaded later (scipy's): one thread, unless set (core.threads)",
}


def _get(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


# ---------------------------------------------------------------- data folders


@dataclass(frozen=True)
class DataFolders:
    data: Path  # mmhuman3d-style data folder (HMRC_DATA, default <repo>/data)
    body_models: Path  # SMPL files and regressors (HMRC_BODY_MODELS, default <data>/body_models)
    checkpoints: Path  # method checkpoints (HMRC_CHECKPOINTS, default <data>/checkpoints)
    own_checkpoints: dict[str, Path] = field(default_factory=dict)  # method → the user's own (HMRC_CHECKPOINT_<M>)


_chosen_folders: DataFolders | None = None


def data_folders(data: Path | None = None) -> DataFolders:
    """The folders set with `use_data_folders`, else those of the environment; with `data` given (a command
    line's --data-root), that data folder instead of HMRC_DATA (HMRC_BODY_MODELS / HMRC_CHECKPOINTS still apply)."""
    if _chosen_folders is not None and data is None:
        return _chosen_folders
    from core.paths import DEFAULT_DATA_DIR  # core.paths reads its folders from here

    data = Path(data or _get(DATA) or DEFAULT_DATA_DIR).expanduser()
    named = {
        "hmr": _get(OWN_CHECKPOINT_HMR),
        "hybrik": _get(OWN_CHECKPOINT_HYBRIK),
        "spin_gta": _get(OWN_CHECKPOINT_SPIN_GTA),
    }
    own = {method: Path(value).expanduser() for method, value in named.items() if value}
    return DataFolders(
        data, _folder(_get(BODY_MODELS), data / "body_models"), _folder(_get(CHECKPOINTS), data / "checkpoints"), own
    )


def _folder(value: str, default: Path) -> Path:
    return Path(value).expanduser() if value else default


@contextmanager
def use_data_folders(
    data: Path,
    body_models: Path | None = None,
    checkpoints: Path | None = None,
    own_checkpoints: dict[str, Path] | None = None,
):
    """Within the block every folder comes from here (body models and checkpoints default to `data`'s, no own
    checkpoints unless given), whatever the environment says; the previous choice comes back afterwards."""
    global _chosen_folders
    previous = _chosen_folders
    data = Path(data)
    _chosen_folders = DataFolders(
        data,
        Path(body_models or data / "body_models"),
        Path(checkpoints or data / "checkpoints"),
        {method: Path(path) for method, path in (own_checkpoints or {}).items()},
    )
    try:
        yield _chosen_folders
    finally:
        _chosen_folders = previous


# ---------------------------------------------------------------- downloads, networks, rendering


@dataclass(frozen=True)
class DownloadSettings:
    weights_base_url: str  # a flat mirror serving every file by name; '' = the official URLs


def download_settings() -> DownloadSettings:
    return DownloadSettings(_get(WEIGHTS_BASE_URL))


def fast_setting() -> str:
    """HMRC_FAST: 'auto' (ONNX Runtime when installed, the default), 'onnxruntime' (required) or 'off'."""
    return _choice(FAST, "auto", FAST_CHOICES)


def renderer_setting() -> str:
    """HMRC_RENDERER: 'auto' (the default), 'egl', 'osmesa' or 'software'."""
    return _choice(RENDERER, "auto", RENDERER_CHOICES)


def opengl_platform() -> str:
    """PYOPENGL_PLATFORM as set by the user (or by core.render), lower case; '' when unset."""
    return _get(OPENGL_PLATFORM).strip().lower()


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _get(name, default).strip().lower() or default
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {choices}")
    return value


# ---------------------------------------------------------------- the app and the Space


@dataclass(frozen=True)
class AppSettings:
    host: str
    port: int
    temp_dir: Path | None  # HMRC_APP_TMP; None: a fresh folder in the system's temp dir, removed at exit
    concurrency: int  # requests processed at once
    queue_size: int  # requests allowed to wait
    examples: str  # example results: 'eager' (computed at start-up), 'lazy' (on first click) or 'off'
    on_space: bool
    max_upload_mb: float  # larger uploads are refused by Gradio before they reach a handler
    extra_roots: tuple[Path, ...]  # server folders besides the data folders that path fields may name


def app_settings() -> AppSettings:
    on_space = bool(_get(SPACE_ID))
    examples = _get(APP_EXAMPLES, "eager" if on_space else "lazy").strip().lower()
    if examples not in EXAMPLE_CACHE_MODES:
        raise ValueError(f"{APP_EXAMPLES}={examples!r}: use one of {', '.join(EXAMPLE_CACHE_MODES)}")
    roots = _get(APP_ROOTS)
    return AppSettings(
        host=_aliased(GRADIO_HOST, _get(GRADIO_HOST), APP_HOST, _get(APP_HOST))
        or ("0.0.0.0" if on_space else "127.0.0.1"),
        port=int(_aliased(GRADIO_PORT, _get(GRADIO_PORT), APP_PORT, _get(APP_PORT)) or "7860"),
        temp_dir=app_temp_dir(),
        concurrency=max(1, int(_get(APP_CONCURRENCY, "2"))),
        queue_size=max(1, int(_get(APP_QUEUE, "64"))),
        examples=examples,
        on_space=on_space,
        max_upload_mb=float(_get(APP_MAX_UPLOAD_MB, "25")),
        extra_roots=tuple(Path(p).expanduser() for p in roots.split(os.pathsep) if p) if roots else (_default_runs(),),
    )


def _aliased(name: str, value: str, alias: str, alias_value: str) -> str:
    """Gradio's own variable, or this project's alias for it; both set to different values is a mistake."""
    value, alias_value = value.strip(), alias_value.strip()
    if value and alias_value and value != alias_value:
        raise ValueError(
            f"{name}={value!r} and {alias}={alias_value!r} disagree: set one of them (they mean the same)."
        )
    return value or alias_value


def _default_runs() -> Path:
    from core.paths import REPO_ROOT  # core.paths reads its folders from here

    return REPO_ROOT / "runs"  # where `python -m train.run` writes its checkpoints when started in the repository


def app_temp_dir() -> Path | None:
    """HMRC_APP_TMP, the one folder the app writes into; None: a fresh one (app.settings.app_temp_root)."""
    value = _get(APP_TMP)
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class SpaceSettings:
    on_space: bool  # SPACE_ID is set by Hugging Face
    skip_weights: bool  # HMRC_SKIP_WEIGHTS=1: download nothing at start-up
    smpl_dataset: str  # a private HF dataset holding SMPL_*.pkl
    hf_token: str | None  # read access to it
    accept_smpl_license: bool  # HMRC_ACCEPT_SMPL_LICENSE=1: the owner accepted the SMPL licence


def space_settings() -> SpaceSettings:
    return SpaceSettings(
        bool(_get(SPACE_ID)),
        _get(SKIP_WEIGHTS) == "1",
        _get(SMPL_DATASET),
        _get(HF_TOKEN) or None,
        _get(ACCEPT_SMPL_LICENSE) == "1",
    )


# ---------------------------------------------------------------- processes started by torchrun


@dataclass(frozen=True)
class DistributedSettings:
    rank: int
    world_size: int
    local_rank: int


def distributed_settings() -> DistributedSettings:
    return DistributedSettings(int(_get(RANK, "0")), int(_get(WORLD_SIZE, "1")), int(_get(LOCAL_RANK, "0")))


# ---------------------------------------------------------------- what is written


def set_library_variable(name: str, value: str, keep_existing: bool = False) -> str:
    """Set one of LIBRARY_VARIABLES (keep_existing: only when unset); returns the value in force."""
    if name not in LIBRARY_VARIABLES:
        raise ValueError(f"{name} is not a library variable this project sets; see core.settings.LIBRARY_VARIABLES")
    if keep_existing:
        return os.environ.setdefault(name, value)
    os.environ[name] = value
    return value


def data_environment(**values: str | None) -> dict[str, str]:
    """`child_environment` with the data folders in force here (`use_data_folders` or the environment's)."""
    folders = data_folders()
    own = {
        name: str(folders.own_checkpoints[m]) if m in folders.own_checkpoints else None
        for m, name in OWN_CHECKPOINT_VARIABLES.items()
    }
    return child_environment(
        **{DATA: str(folders.data), BODY_MODELS: str(folders.body_models), CHECKPOINTS: str(folders.checkpoints)},
        **own,
        **values,
    )


def child_environment(**values: str | None) -> dict[str, str]:
    """This process's environment with `values` added, for a subprocess (None removes a variable)."""
    environment = dict(os.environ)
    for name, value in values.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment
