"""`python -m train.prepare DATASET --raw DIR --out DIR [--split S]`: raw dataset downloads → HumanData files.
`python -m train.prepare --check DATA_ROOT [--config hmr|hybrik|spin_gta]`: what a training config still needs.

    python -m train.prepare pw3d --raw data/datasets/pw3d --out data/preprocessed_datasets --split test
    python -m train.prepare --check data --config hmr

Datasets, the files they write and the raw layouts they expect: docs/data.md (and `--list`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from train.prepare.common import DOCS, Options, RawDataError

# dataset → (what it reads, default split, accepted splits)
DATASETS = {
    "pw3d": ("3DPW sequence pickles → pw3d_<split>.npz", "test", ("test", "train", "validation")),
    "pw3d_hybrik": ("HybrIK's 3DPW_test_new.json → hybrik_pw3d_test.npz", "test", ("test",)),
    "h36m": (
        "Human3.6M release (+ MoSh) → h36m_mosh_train.npz / h36m_train.npz / h36m_valid_protocol<p>.npz",
        "train",
        ("train", "valid"),
    ),
    "h36m_hybrik": ("HybrIK's Human3.6M json → hybrik_h36m_train.npz", "train", ("train", "test")),
    "mpi_inf_3dhp": ("MPI-INF-3DHP release → mpi_inf_3dhp_<split>.npz", "train", ("train", "test")),
    "mpi_inf_3dhp_hybrik": ("HybrIK's MPI-INF-3DHP json → hybrik_mpi_inf_3dhp_<split>.npz", "train", ("train", "test")),
    "lsp": ("LSP original → lsp_<split>.npz", "train", ("train", "test")),
    "lspet": ("LSP-extended (hr-lspet) → lspet_train.npz", "train", ("train",)),
    "mpii": ("MPII + pose-hg-train's train.h5 → mpii_train.npz", "train", ("train",)),
    "coco": ("COCO 2014 keypoints → coco_2014_train.npz", "train", ("train",)),
    "coco_hybrik": ("COCO 2017 keypoints → hybrik_coco_2017_train.npz", "train", ("train",)),
    "spin": (
        "SPIN's npz files → spin_<split>_train.npz, spin_pw3d_test.npz",
        "coco_2014",
        ("coco_2014", "lsp", "lspet", "mpii", "mpi_inf_3dhp", "h36m", "pw3d"),
    ),
    "cmu_mosh": ("HMR's neutrMosh or AMASS CMU → cmu_mosh.npz", "train", ("train",)),
    "gta_human": ("GTA-Human annotations → gta_human.npz (needs SMPL)", "train", ("train",)),
    "ai_challenger": ("AI Challenger keypoints → ai_challenger_<split>.npz", "train", ("train", "validation")),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m train.prepare",
        description=__doc__.split("\n\n")[0],
        epilog=f"Raw layouts, licences and counts: {DOCS}",
    )
    parser.add_argument("dataset", nargs="?", choices=sorted(DATASETS), help="what to convert (see --list)")
    parser.add_argument("--raw", type=Path, help="the dataset's raw folder, e.g. data/datasets/pw3d")
    parser.add_argument("--out", type=Path, help="where the .npz files go, e.g. data/preprocessed_datasets")
    parser.add_argument("--split", help="split or mode (default: the one the training configs read)")
    parser.add_argument(
        "--images",
        type=Path,
        default=None,
        help="HybrIK json converters: the folder their image paths are relative to (default: <raw>/../<dataset>)",
    )
    parser.add_argument("--mosh", type=Path, default=None, help="h36m: MoSh fits folder (S1/<Action>_cam0_aligned.pkl)")
    parser.add_argument("--protocol", type=int, choices=(1, 2), default=1, help="h36m valid: protocol 1 or 2")
    parser.add_argument(
        "--extract-frames",
        action="store_true",
        help="h36m, mpi_inf_3dhp: write the frames the samples need from the videos",
    )
    parser.add_argument(
        "--skip-missing-images",
        action="store_true",
        help="leave out (and count) samples whose image is absent instead of stopping",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes for per-sequence work (h36m)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--check", type=Path, metavar="DATA_ROOT", help="report what the configs need under DATA_ROOT")
    parser.add_argument(
        "--config",
        choices=("hmr", "hybrik", "spin_gta"),
        action="append",
        help="with --check: only this config (repeatable; default all three)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        nargs="*",
        default=[],
        metavar="PATH=VALUE",
        help="with --check: config overrides, as train.run takes them",
    )
    parser.add_argument("--list", action="store_true", help="list the datasets and what they write")
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> list[str]:
    """Run the converter `args.dataset`; returns one report line per file written."""
    from train.prepare import (
        ai_challenger,
        cmu_mosh,
        coco,
        gta_human,
        h36m,
        lsp,
        mpi_inf_3dhp,
        mpii,
        pw3d,
        spin,
    )

    name = args.dataset
    _, default_split, splits = DATASETS[name]
    split = args.split or default_split
    if split not in splits:
        raise RawDataError(f"{name}: --split {split!r} is not one of {', '.join(splits)}")
    if args.raw is None or args.out is None:
        raise RawDataError(f"{name}: give --raw (the raw folder) and --out (where the .npz files go); see {DOCS}")
    raw, out = args.raw, args.out
    options = Options(
        workers=args.workers,
        skip_missing_images=args.skip_missing_images,
        extract_frames=args.extract_frames,
        progress=False if args.no_progress else None,
    )
    images = lambda dataset: args.images or raw.parent / dataset  # noqa: E731  (HybrIK jsons sit in hybrik_data/)
    if name == "pw3d":
        return pw3d.convert(raw, out, split, options)
    if name == "pw3d_hybrik":
        return pw3d.convert_hybrik(raw, out, images("pw3d"), options)
    if name == "h36m":
        mosh = args.mosh if args.mosh is not None else raw.parent / "h36m_mosh"
        if args.mosh is not None and not args.mosh.is_dir():
            raise RawDataError(f"{args.mosh}: folder not found; expected the MoSh fits (S1/<Action>_cam0_aligned.pkl)")
        return h36m.convert(raw, out, split, options, protocol=args.protocol, mosh_dir=mosh)
    if name == "h36m_hybrik":
        return h36m.convert_hybrik(raw, out, split, images("h36m"), options)
    if name == "mpi_inf_3dhp":
        return mpi_inf_3dhp.convert(raw, out, split, options)
    if name == "mpi_inf_3dhp_hybrik":
        return mpi_inf_3dhp.convert_hybrik(raw, out, split, images("mpi_inf_3dhp"), options)
    if name == "lsp":
        return lsp.convert_lsp(raw, out, split, options)
    if name == "lspet":
        return lsp.convert_lspet(raw, out, options)
    if name == "mpii":
        return mpii.convert(raw, out, options)
    if name == "coco":
        return coco.convert_2014(raw, out, options)
    if name == "coco_hybrik":
        return coco.convert_hybrik_2017(raw, out, options)
    if name == "spin":
        return spin.convert(raw, out, split, options)
    if name == "cmu_mosh":
        return cmu_mosh.convert(raw, out, options)
    if name == "gta_human":
        return gta_human.convert(raw, out, options)
    return ai_challenger.convert(raw, out, split, options)


def check(root: Path, methods: list[str], overrides: list[str]) -> bool:
    from train.config import apply_overrides, default_config
    from train.prepare.check import check_config

    all_ok = True
    for method in methods:
        text, ok = check_config(method, apply_overrides(default_config(method), list(overrides)), root)
        print(text + "\n")
        all_ok &= ok
    print(
        "everything the configs read is in place"
        if all_ok
        else f"some files are missing or malformed: run the commands above (raw layouts in {DOCS})"
    )
    return all_ok


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, (what, default, splits) in DATASETS.items():
            print(f"{name:20s} {what}  [--split {'|'.join(splits)}; default {default}]")
        return 0
    if args.check is not None:
        return 0 if check(args.check, args.config or ["hmr", "hybrik", "spin_gta"], args.overrides) else 1
    if args.dataset is None:
        print(
            "give a dataset to convert, --check DATA_ROOT or --list (python -m train.prepare --help)", file=sys.stderr
        )
        return 2
    try:
        for line in convert(args):
            print(line)
    except RawDataError as error:
        print(f"error: {error}\nNothing was written.", file=sys.stderr)
        return 2
    except FileNotFoundError as error:  # e.g. the SMPL model GTA-Human's converter needs
        print(f"error: {error}\nNothing was written.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was written (files already complete before are intact)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
