"""Every preprocessed file a training config can read: which converter makes it, from which raw folder, whether
mmhuman3d publishes it, and the sample count published for it (where one is).

One row per file. `command(name, root)` is the exact line that makes a missing file; `--check`, `train.run`'s
missing-file message and docs/data.md all take it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Output:
    name: str  # file name in preprocessed_datasets/
    dataset: str  # `python -m train.prepare DATASET`
    raw: str  # raw folder under <data root>/datasets/
    args: str = ""  # further converter arguments
    images: str = ""  # folder under datasets/ holding the images its image_path entries name ("" = no images)
    published: bool = True  # mmhuman3d publishes the file (python -m core.weights fetch NAME downloads it)
    count: int | None = None  # published sample count, when one is published
    kind: str = "images"  # what the file must hold: 'images' (image samples), 'smpl' (bodies only), 'test'
    note: str = ""


OUTPUTS = {
    output.name: output
    for output in (
        # HMR (configs/hmr/resnet50_hmr_pw3d.py)
        Output(
            "h36m_mosh_train.npz",
            "h36m",
            "h36m",
            "--mosh {root}/datasets/h36m_mosh --extract-frames",
            "h36m",
            published=False,
            note="MoSh fits cannot be redistributed (mmhuman3d docs); h36m_train.npz (no SMPL) is published",
        ),
        Output("mpi_inf_3dhp_train.npz", "mpi_inf_3dhp", "mpi_inf_3dhp", "--extract-frames", "mpi_inf_3dhp"),
        Output("lsp_train.npz", "lsp", "lsp", images="lsp", count=None),
        Output("lspet_train.npz", "lspet", "lspet", images="lspet"),
        Output("mpii_train.npz", "mpii", "mpii", images="mpii"),
        Output("coco_2014_train.npz", "coco", "coco", images="coco"),
        Output("cmu_mosh.npz", "cmu_mosh", "cmu_mosh", kind="smpl"),
        Output("pw3d_test.npz", "pw3d", "pw3d", "--split test", "pw3d", count=35515, kind="test"),
        # HybrIK (configs/hybrik/resnet34_hybrik_mixed.py)
        Output("hybrik_h36m_train.npz", "h36m_hybrik", "hybrik_data", images="h36m"),
        Output("hybrik_mpi_inf_3dhp_train.npz", "mpi_inf_3dhp_hybrik", "hybrik_data", images="mpi_inf_3dhp"),
        Output("hybrik_coco_2017_train.npz", "coco_hybrik", "coco/train_2017", images="coco"),
        Output(
            "hybrik_pw3d_test.npz",
            "pw3d_hybrik",
            "hybrik_data",
            images="pw3d",
            count=35515,
            kind="test",
            note="HybrIK's 3DPW_test_new.json holds the same person-frames as pw3d_test",
        ),
        # SPIN-GTA (configs/gta_human/spin/resnet50_spin_gta_ft.py)
        Output(
            "spin_h36m_train.npz",
            "spin",
            "spin_data",
            "--split h36m",
            "h36m",
            published=False,
            note="SPIN does not ship h36m_train.npz (its h36m_train.py makes it from H36M + MoSh); or train on "
            "h36m_mosh_train.npz: --set data.ann_files.h36m=h36m_mosh_train.npz",
        ),
        Output("spin_mpi_inf_3dhp_train.npz", "spin", "spin_data", "--split mpi_inf_3dhp", "mpi_inf_3dhp"),
        Output("spin_lsp_train.npz", "spin", "spin_data", "--split lsp", "lsp"),
        Output("spin_lspet_train.npz", "spin", "spin_data", "--split lspet", "lspet"),
        Output("spin_mpii_train.npz", "spin", "spin_data", "--split mpii", "mpii"),
        Output("spin_coco_2014_train.npz", "spin", "spin_data", "--split coco_2014", "coco"),
        Output("spin_pw3d_test.npz", "spin", "spin_data", "--split pw3d", "pw3d", count=35515, kind="test"),
        Output(
            "gta_human_4x.npz",
            "gta_human",
            "gta",
            images="gta",
            note="no converter makes this file; `python -m train.prepare gta_human` writes gta_human.npz from the "
            "raw release (use it with --set data.ann_files.gta=gta_human.npz)",
        ),
        # AI Challenger for HMR (no mmhuman3d file)
        Output("ai_challenger_train.npz", "ai_challenger", "ai_challenger", images="ai_challenger", published=False),
    )
}
# What `python -m train.prepare DATASET` writes when the file name differs from the catalogue's row.
CONVERTER_OUTPUT = {"gta_human_4x.npz": "gta_human.npz"}


def make_command(name: str, root: Path | str) -> str:
    """The line that makes `name` under `<root>/preprocessed_datasets` from its raw folder."""
    output = OUTPUTS[name]
    args = f" {output.args.format(root=root)}" if output.args else ""
    return (
        f"python -m train.prepare {output.dataset} --raw {root}/datasets/{output.raw} "
        f"--out {root}/preprocessed_datasets{args}"
    )


def fetch_command(name: str, root: Path | str) -> str | None:
    """The line that downloads mmhuman3d's published copy, or None when it is not published."""
    if not OUTPUTS[name].published:
        return None
    return f"HMRC_DATA={root} python -m core.weights fetch {name}"


def how_to_get(name: str, root: Path | str) -> str:
    """Both ways to get a missing file, for error messages."""
    if name not in OUTPUTS:
        return f"make {name} with python -m train.prepare (docs/data.md)"
    output = OUTPUTS[name]
    if name in CONVERTER_OUTPUT:
        lines = [f"download: {fetch_command(name, root)}", f"or convert: {make_command(name, root)}"]
    else:
        lines = [f"make: {make_command(name, root)}"]
        if output.published:
            lines.append(f"or download mmhuman3d's copy: {fetch_command(name, root)}")
    if output.note:
        lines.append(f"note: {output.note}")
    return "\n      ".join(lines)
