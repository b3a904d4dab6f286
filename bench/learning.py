"""A loop that learns: HMR trained from scratch on a synthetic set, held-out error before and after.

`python -m bench --only learning` renders a synthetic training set and a held-out test set from the open body
model (train.synth), trains HMR from mmhuman3d's fresh initialisation (no ImageNet weights, no SMPL, the open
body model: `--set body_model=open model.pretrained_backbone=none model.mean_params=rest`) for a bounded number
of CPU iterations through `train.run.build_trainer` (the same trainer, losses and augmentations as a real run),
evaluates the held-out set with core.evaluation.pw3d before training and after every chunk of iterations, and writes the
curve (held-out MPJPE and PA-MPJPE against iterations) to docs/learning_curve.png. Target: PA-MPJPE at least
halves. Everything is HMR's config (the discriminator on the synthetic bodies, its losses and augmentations) except
the crop, 64 pixels instead of 224, and the learning rate, 1e-3 instead of 2.5e-4, so that a bounded run on a 2-core
CPU gets past the mean pose (at 2.5e-4 it was still there after 300 iterations).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.results import Results

GROUP = "learning"
CURVE_PNG = Path("docs/learning_curve.png")
CURVE_JSON = Path("docs/bench/learning_curve.json")  # every point as soon as it is measured
FULL = dict(num_train=2000, num_test=64, iterations=2400, chunk=100, batch_size=16, img_res=64, lr=1e-3)
QUICK = dict(num_train=32, num_test=8, iterations=4, chunk=2, batch_size=4, img_res=64, lr=2.5e-4)


def run(results: Results, quick: bool, work: Path, curve_png: Path = CURVE_PNG) -> dict:
    settings = QUICK if quick else FULL
    root = work / "learning_data"
    start = time.perf_counter()
    synthetic_set(root, settings["num_train"], settings["num_test"])
    render_s = time.perf_counter() - start
    curve, train_s = train_and_evaluate(root, work / "learning_run", settings, None if quick else curve_png)
    before, after = curve[0], curve[-1]
    note = (
        f"{settings['num_train']} training / {settings['num_test']} held-out samples (open body model), "
        f"batch {settings['batch_size']}, {settings['img_res']}-pixel crops, lr {settings['lr']:g}, "
        f"{settings['iterations']} iterations "
        f"in {train_s / 60:.1f} min (+{render_s / 60:.1f} min rendering)"
    )
    for name in ("mpjpe_mm", "pa_mpjpe_mm"):
        label = "MPJPE" if name == "mpjpe_mm" else "PA-MPJPE"
        results.add_value(GROUP, f"HMR from scratch, held-out {label} before training", before[name], "mm", note=note)
        results.add_value(
            GROUP,
            f"HMR from scratch, held-out {label} after {after['iteration']} iterations",
            after[name],
            "mm",
            note=note,
        )
    results.add_value(
        GROUP,
        "HMR from scratch, held-out PA-MPJPE after / before",
        after["pa_mpjpe_mm"] / before["pa_mpjpe_mm"],
        "ratio",
        note="target ≤ 0.5",
    )
    if not quick:
        draw_curve(curve, curve_png, note)
    return {"curve": curve, "train_s": train_s, "render_s": render_s}


def synthetic_set(root: Path, num_train: int, num_test: int) -> None:
    from core.body_models.open_model import load_open_body_model
    from train.synth import generate

    if not (root / "preprocessed_datasets" / "synth_train.npz").is_file():
        generate(root, load_open_body_model(), num_train=num_train, num_test=num_test, seed=1)


def config_for(settings: dict):
    from train.config import apply_overrides, check_config, default_config

    chunk_samples = settings["chunk"] * settings["batch_size"]
    return check_config(
        apply_overrides(
            default_config("hmr"),
            [
                "body_model=open",
                "model.pretrained_backbone=none",
                "model.mean_params=rest",
                "model.sync_bn=false",
                "data.ann_files={'synth': 'synth_train.npz'}",
                "data.partitions={'synth': 1.0}",
                "data.adv_ann_file=synth_train.npz",
                f"data.batch_size={settings['batch_size']}",
                f"data.img_res={settings['img_res']}",
                f"data.num_data={chunk_samples}",
                "data.num_workers=1",
                f"runtime.epochs={settings['iterations'] // settings['chunk']}",
                "runtime.val_interval=1",
                f"optim.lr={settings['lr']}",
                "runtime.log_interval=10",
                "runtime.device='cpu'",
            ],
        )
    )


def train_and_evaluate(
    root: Path, run_dir: Path, settings: dict, curve_png: Path | None = None
) -> tuple[list[dict], float]:
    """Each 'epoch' is one chunk of iterations; the held-out set is evaluated before training and after each (the
    curve so far is drawn and saved after every point when `curve_png` is given)."""
    from core.settings import data_folders
    from train.run import build_trainer

    trainer = build_trainer(config_for(settings), run_dir, data_folders(root))
    validate = trainer.validate_fn
    curve = []
    start = time.perf_counter()

    def validate_and_keep(current) -> dict:
        metrics = validate(current)
        curve.append({"iteration": current.iteration, "minutes": (time.perf_counter() - start) / 60, **metrics})
        if curve_png is not None:
            save_curve(curve, settings, curve_png)
        print(
            f"  iteration {current.iteration}: MPJPE {metrics['mpjpe_mm']:.1f} mm, "
            f"PA-MPJPE {metrics['pa_mpjpe_mm']:.1f} mm",
            flush=True,
        )
        return metrics

    trainer.validate_fn = validate_and_keep
    trainer.save_checkpoint()  # epoch_0.pth: the freshly initialised model
    validate_and_keep(trainer)
    trainer.fit()
    return curve, time.perf_counter() - start


def save_curve(curve: list[dict], settings: dict, png: Path) -> None:
    import json

    CURVE_JSON.parent.mkdir(parents=True, exist_ok=True)
    CURVE_JSON.write_text(json.dumps({"settings": settings, "curve": curve}, indent=1) + "\n")
    draw_curve(
        curve,
        png,
        f"{settings['num_train']} training / {settings['num_test']} held-out samples (open body "
        f"model), batch {settings['batch_size']}, {settings['img_res']}-pixel crops, lr {settings['lr']:g}; "
        f"{curve[-1]['iteration']} iterations in {curve[-1]['minutes']:.0f} min on a shared 2-core CPU",
    )


def draw_curve(curve: list[dict], path: Path, note: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    iterations = [point["iteration"] for point in curve]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=120)
    axes.plot(iterations, [p["mpjpe_mm"] for p in curve], "o-", label="MPJPE")
    axes.plot(iterations, [p["pa_mpjpe_mm"] for p in curve], "s-", label="PA-MPJPE")
    axes.set_xlabel("training iterations")
    axes.set_ylabel("held-out error (mm)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title("HMR from scratch on synthetic data (train.synth, open body model)", fontsize=10)
    figure.text(0.01, 0.01, note, fontsize=6)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
