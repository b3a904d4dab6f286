"""One miniature of every raw dataset (train.prepare.miniatures) under <root>/datasets, converted once per session
into <root>/preprocessed_datasets: the data root a user would have after following docs/data.md."""

from pathlib import Path

import pytest

from train.prepare import miniatures
from train.prepare.__main__ import main as prepare

BUILDERS = {
    "pw3d": miniatures.write_pw3d,
    "pw3d_hybrik": miniatures.write_pw3d_hybrik,
    "h36m": miniatures.write_h36m,
    "h36m_hybrik": miniatures.write_h36m_hybrik,
    "mpi_inf_3dhp": miniatures.write_mpi_inf_3dhp,
    "mpi_inf_3dhp_hybrik": miniatures.write_mpi_inf_3dhp_hybrik,
    "lsp": miniatures.write_lsp,
    "lspet": miniatures.write_lspet,
    "mpii": miniatures.write_mpii,
    "coco": miniatures.write_coco,
    "coco_2017": miniatures.write_coco_2017,
    "ai_challenger": miniatures.write_ai_challenger,
    "spin": miniatures.write_spin,
    "cmu_mosh": miniatures.write_cmu_mosh,
}
# (train.prepare arguments with {d} = <root>/datasets, output file)
CONVERSIONS = [
    (["pw3d", "--raw", "{d}/pw3d", "--split", "test"], "pw3d_test.npz"),
    (["pw3d_hybrik", "--raw", "{d}/hybrik_data"], "hybrik_pw3d_test.npz"),
    (["h36m", "--raw", "{d}/h36m", "--mosh", "{d}/h36m_mosh"], "h36m_mosh_train.npz"),
    (["h36m_hybrik", "--raw", "{d}/hybrik_data"], "hybrik_h36m_train.npz"),
    (["mpi_inf_3dhp", "--raw", "{d}/mpi_inf_3dhp"], "mpi_inf_3dhp_train.npz"),
    (["mpi_inf_3dhp_hybrik", "--raw", "{d}/hybrik_data"], "hybrik_mpi_inf_3dhp_train.npz"),
    (["lsp", "--raw", "{d}/lsp"], "lsp_train.npz"),
    (["lspet", "--raw", "{d}/lspet"], "lspet_train.npz"),
    (["mpii", "--raw", "{d}/mpii"], "mpii_train.npz"),
    (["coco", "--raw", "{d}/coco"], "coco_2014_train.npz"),
    (["coco_hybrik", "--raw", "{d}/coco/train_2017"], "hybrik_coco_2017_train.npz"),
    (["ai_challenger", "--raw", "{d}/ai_challenger"], "ai_challenger_train.npz"),
    (["cmu_mosh", "--raw", "{d}/cmu_mosh"], "cmu_mosh.npz"),
    *[
        (["spin", "--raw", "{d}/spin_data", "--split", mode], f"spin_{mode}_train.npz")
        for mode in ("coco_2014", "lsp", "lspet", "mpii", "mpi_inf_3dhp", "h36m")
    ],
    (["spin", "--raw", "{d}/spin_data", "--split", "pw3d"], "spin_pw3d_test.npz"),
]


def run_prepare(args: list[str], datasets: Path, out: Path) -> int:
    return prepare([a.replace("{d}", str(datasets)) for a in args] + ["--out", str(out), "--no-progress"])


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """(data root, {builder: what it made}) with every CONVERSIONS output written."""
    root = tmp_path_factory.mktemp("prepared_data")
    made = {name: build(root / "datasets") for name, build in BUILDERS.items()}
    for args, _ in CONVERSIONS:
        assert run_prepare(args, root / "datasets", root / "preprocessed_datasets") == 0, args
    _write_weights_and_body_models(root)
    return root, made


def _write_weights_and_body_models(root):
    """What a run reads besides HumanData files, so `--check` can find a complete root: stand-in SMPL files,
    regressors and mean parameters, and placeholder ImageNet backbones (their presence is all --check reads)."""
    from core.testing.smpl import write_standin_body_models_dir
    from core.weights import imagenet_backbone

    write_standin_body_models_dir(root / "body_models")
    for depth in (50, 34):
        path = imagenet_backbone(depth)[1].path_in(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"placeholder")
