"""`python -m train.run hmr|hybrik|spin_gta [--set section.field=value ...] [--resume]`

Builds the method's config (train.config), its datasets from the mmhuman3d-style data folder
($HMRC_DATA or --data-root), the trainer (train.trainers) and trains. Several GPUs or machines:
`torchrun --nproc_per_node=8 -m train.run hmr` (each process takes its slice of every global batch).

Examples:
    python -m train.run hmr --run-dir runs/hmr
    python -m train.run spin_gta --set data.batch_size=64 optim.grad_clip=35
    python -m train.run hybrik --resume --run-dir runs/hybrik          # continue after a crash or a kill
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from core.settings import DataFolders, data_folders, distributed_settings
from train.config import METHODS, TrainConfig, apply_overrides, check_config, default_config
from train.data.files import missing_files_message
from train.data.sampling import MixedSampler, epoch_length


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("method", choices=METHODS)
    parser.add_argument(
        "--set",
        dest="overrides",
        nargs="*",
        default=[],
        metavar="PATH=VALUE",
        help="override config fields, e.g. optim.lr=1e-4 data.batch_size=64",
    )
    parser.add_argument("--run-dir", type=Path, default=None, help="output folder (default runs/<method>)")
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="mmhuman3d-style data folder: datasets, body models, initial weights (default $HMRC_DATA)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from <run-dir>/latest.pth")
    parser.add_argument(
        "--skip-bad-samples",
        action="store_true",
        help="replace unreadable samples by zero-weight ones and count them instead of failing",
    )
    return parser.parse_args(argv)


def build_trainer(config: TrainConfig, run_dir: Path, folders: DataFolders):
    """Body model, datasets, sampler and the method's trainer for `config`, reading everything under `folders`."""
    from core import joints
    from core.body_models.load import load_body_model
    from core.networks.hybrik_ik import HYBRIK_JOINT_NAMES
    from train.data import datasets
    from train.trainers import HybrIKTrainer, MeshTrainer

    data_root = folders.data
    body_model = load_body_model(config.body_model, folder=folders.body_models)
    sources = datasets.load_sources(config.data, data_root)
    seed = config.runtime.seed
    if config.method == "hybrik":
        train_set = datasets.HybrIKDataset(
            sources,
            config.data,
            config.augment,
            list(HYBRIK_JOINT_NAMES),
            seed,
            dpg_scale_mult=config.augment.dpg_scale_mult,
        )
    else:
        names = list(joints.joint_names(config.data.convention))
        fits = datasets.load_static_fits(sources, data_root) if config.data.static_fits else None
        train_set = datasets.MeshDataset(sources, config.data, config.augment, names, seed, fits)
        if config.data.adv_ann_file:
            poses = datasets.AdversarialPoses(data_root / "preprocessed_datasets" / config.data.adv_ann_file, seed)
            train_set = datasets.WithAdversarial(train_set, poses)
    launch = distributed_settings()
    lengths = [len(s.data) for s in sources]
    partitions = [config.data.partitions[s.name] for s in sources]
    sampler = MixedSampler(
        lengths,
        partitions,
        epoch_length(lengths, config.data.num_data),
        config.data.batch_size,
        seed,
        launch.rank,
        launch.world_size,
    )
    validate = make_validation(config, folders)
    if config.method == "hybrik":
        return HybrIKTrainer(config, run_dir, train_set, sampler, body_model, validate=validate, folders=folders)
    convention = config.data.convention
    pelvis = (joints.joint_index(convention, "right_hip_extra"), joints.joint_index(convention, "left_hip_extra"))
    names = joints.joint_names(convention)
    loss_joints = None
    if config.loss.ignore_openpose_keypoints:
        loss_joints = torch.tensor([not name.endswith("_openpose") for name in names])
    return MeshTrainer(
        config,
        run_dir,
        train_set,
        sampler,
        body_model,
        validate=validate,
        folders=folders,
        pelvis=pelvis,
        loss_joints=loss_joints,
        keypoint_fn=lambda model, output: joints.keypoints(model, output, convention),
    )


def make_validation(config: TrainConfig, folders: DataFolders):
    """3DPW-format validation (core.evaluation.pw3d) of the epoch's checkpoint; None when no test file is configured."""
    if not config.data.test_ann_file:
        return None
    path = folders.data / "preprocessed_datasets" / config.data.test_ann_file

    def validate(trainer) -> dict[str, float]:
        from core.evaluation import pw3d as evaluation
        from core.evaluation.human_data import load_human_data
        from core.networks.build import load_model

        bodies = evaluation.load_eval_bodies(config.method, trainer.device, folders.body_models, config.body_model)
        model = load_model(
            trainer.run_dir / f"epoch_{trainer.epoch}.pth",
            config.method,
            body_model=bodies.neutral,
            device=trainer.device,
        )
        result = evaluation.run_evaluation(
            model,
            config.method,
            load_human_data(path),
            bodies,
            trainer.device,
            batch_size=config.data.batch_size,
            workers=config.data.num_workers,
            progress=False,
            data_root=folders.data,
            img_res=config.data.img_res,
        )
        summary = result.summary()
        return {name: summary[name] for name in ("mpjpe_mm", "pa_mpjpe_mm", "pve_mm")}

    return validate


def main(argv=None) -> None:
    args = parse_args(argv)
    overrides = list(args.overrides) + (["data.skip_bad_samples=true"] if args.skip_bad_samples else [])
    try:
        config = check_config(apply_overrides(default_config(args.method), overrides))
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    run_dir = args.run_dir or Path("runs") / args.method
    folders = data_folders(args.data_root)
    missing = missing_files_message(config, folders)
    if missing:
        raise SystemExit(missing)
    if config.body_model == "open":
        print("body model: the bundled open body model (body_model=open); its numbers are not SMPL's", flush=True)
    trainer = build_trainer(config, run_dir, folders)
    if args.resume and not trainer.resume():
        raise SystemExit(f"--resume: no checkpoint at {run_dir / 'latest.pth'}")
    trainer.fit()
    if trainer.is_main:
        print(
            f"done: {trainer.epoch} epochs, {trainer.iteration} iterations, {trainer.bad_samples} bad samples "
            f"skipped; checkpoints in {run_dir}"
        )


if __name__ == "__main__":
    main()
