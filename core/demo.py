"""Compare the methods on photos from the command line (the photo command: analyse, draw and write each bundle
with core.outputs.bundle.bundle_photo).

    python -m core.demo PHOTO [PHOTO ...] --methods hmr,hybrik,spin_gta,fit --out DIR
        [--fov DEGREES] [--refine] [--opacity 0.8] [--keypoints] [--top-view] [--body-model auto]
        [--box x0,y0,x1,y1 ...] [--checkpoint hmr=PATH ...]

For each photo, DIR/<photo name>/ receives the bundle of core.outputs.bundle: comparison.png (every method's
overlay in a row, side views under them), the single views, meshes, scene.glb, parameter files, the
2D error table and a README explaining them. Methods without weights are skipped with a line saying
how to get them; a photo that cannot be read or shows nobody is reported and the next one is
processed. The exit status is 1 only when no photo gave a result. `--checkpoint hmr=PATH` runs a method with your
own checkpoint (e.g. one written by `python -m train.run`), labelled "custom" in every file; an official file
name whose content does not have the published hash is refused, whatever the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from core.checkpoints import use_own_checkpoint
from core.cli import log_to_stderr
from core.geometry import DEFAULT_FOV_DEG
from core.image_io import ImageError, LoadedImage, load_image
from core.methods import METHOD_IDS, NETWORK_METHODS
from core.networks.checkpoint import CheckpointError
from core.outputs.bundle import bundle_photo
from core.pipeline.analyse import ImageResult, PipelineOptions, person_label
from core.pipeline.inference import default_body_model
from core.render.colors import method_label

log = logging.getLogger("core.demo")


def parse_methods(text: str) -> tuple[str, ...]:
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in methods if m not in METHOD_IDS]
    if unknown or not methods:
        raise argparse.ArgumentTypeError(f"unknown methods {unknown}; choose from {','.join(METHOD_IDS)}")
    return methods


def parse_box(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a box is x0,y0,x1,y1 in pixels, e.g. 330,30,540,420; got {text!r}")
    if x1 <= x0 or y1 <= y0:
        raise argparse.ArgumentTypeError(f"box {text!r}: x1 must exceed x0 and y1 must exceed y0")
    return x0, y0, x1, y1


def parse_checkpoint(text: str) -> tuple[str, Path]:
    method, separator, path = text.partition("=")
    if not separator or method not in NETWORK_METHODS or not path:
        raise argparse.ArgumentTypeError(
            f"--checkpoint takes METHOD=PATH with METHOD one of {','.join(NETWORK_METHODS)}, e.g. "
            f"hmr=runs/hmr/epoch_10.pth; got {text!r}"
        )
    return method, Path(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="image files (JPEG, PNG, ...)")
    parser.add_argument(
        "--methods",
        type=parse_methods,
        default=METHOD_IDS,
        help=f"comma-separated, from {','.join(METHOD_IDS)} (default: all)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder; one sub-folder per photo")
    parser.add_argument(
        "--fov",
        type=float,
        default=None,
        help="diagonal field of view of the photo's camera in degrees (default: from the photo's EXIF "
        f"35 mm-equivalent focal length, else {DEFAULT_FOV_DEG:.2f})",
    )
    parser.add_argument("--refine", action="store_true", help="also refine each network's result with the keypoint fit")
    parser.add_argument("--opacity", type=float, default=0.8, help="mesh opacity over the photo, 0..1 (default 0.8)")
    parser.add_argument(
        "--keypoints",
        action="store_true",
        help="draw MediaPipe's landmarks (white) and each method's joints (its colour)",
    )
    parser.add_argument("--top-view", action="store_true", help="also render views from above")
    parser.add_argument(
        "--body-model",
        choices=("auto", "smpl", "open"),
        default="auto",
        help="'auto': SMPL when its file is present, else the open body model",
    )
    parser.add_argument(
        "--box",
        type=parse_box,
        action="append",
        metavar="x0,y0,x1,y1",
        help="a person's box in the photo's pixels, instead of detection (repeat for more people; "
        "used for every photo)",
    )
    parser.add_argument(
        "--checkpoint",
        type=parse_checkpoint,
        action="append",
        default=[],
        metavar="METHOD=PATH",
        help="run METHOD with your own checkpoint instead of the official one (labelled 'custom'); repeat per method",
    )
    return parser


def options_for(args: argparse.Namespace, image: LoadedImage) -> PipelineOptions:
    """Pipeline options of one photo; boxes are given in the photo's pixels, the pipeline wants processing pixels."""
    boxes = None
    if args.box:
        boxes = [image.to_processing(np.reshape(box, (2, 2))).reshape(4).tolist() for box in args.box]
    return PipelineOptions(
        methods=args.methods,
        fov_deg=args.fov,
        refine_with_keypoints=args.refine,
        boxes=boxes,
        body_model=args.body_model,
    )


def process_photo(path: Path, args: argparse.Namespace, folder: Path, reported: set[str]) -> bool:
    """Analyse, render and write one photo's bundle into `folder`; False (with a logged reason) if it gave nothing."""
    try:
        image = load_image(path)
    except ImageError as error:
        log.error("%s: skipped, %s", path, error)
        return False
    except OSError as error:  # Pillow's own errors for damaged files that it started to parse
        log.error("%s: skipped, the file is damaged or not an image (%s). Use a JPEG or PNG photo.", path, error)
        return False
    result, files = bundle_photo(image, options_for(args, image), folder, args.opacity, args.keypoints, args.top_view)
    _report_unavailable(result, reported)
    if not result.people:
        log.warning("%s: no person reconstructed. %s", path, result.message)
        return False
    log.info(
        "%s: %d %s, %s; wrote %d files to %s (see comparison.png)",
        path,
        len(result.people),
        "person" if len(result.people) == 1 else "people",
        ", ".join(result.label(m) for m in result.methods),
        len(files),
        folder,
    )
    for line in error_summary(result):
        log.info("  %s", line)
    return True


def error_summary(result: ImageResult) -> list[str]:
    """One line per person: each method's mean 2D distance to MediaPipe's landmarks."""
    lines = []
    for person in result.people:
        errors = ", ".join(
            f"{result.label(m)} {e.mean_pixels:.1f} px ({e.mean_percent:.1f} %)" for m, e in person.errors_2d.items()
        )
        lines.append(f"{person_label(person.index)}: mean distance to MediaPipe's landmarks: {errors}")
    return lines


def output_folders(photos: list[Path], out: Path) -> list[Path]:
    """out/<photo name without suffix>, numbered when two photos share a name."""
    folders, used = [], set()
    for photo in photos:
        name, number = photo.stem, 2
        while name in used:
            name, number = f"{photo.stem}_{number}", number + 1
        used.add(name)
        folders.append(out / name)
    return folders


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0.0 <= args.opacity <= 1.0:
        build_parser().error(f"--opacity must be between 0 and 1, got {args.opacity}")
    log_to_stderr(log)
    for method, path in args.checkpoint:
        try:
            log.info("%s runs with your own checkpoint %s", method_label(method), use_own_checkpoint(method, path).path)
        except CheckpointError as error:
            log.error("--checkpoint %s=%s: %s", method, path, error)
            return 1
    try:
        default_body_model(args.body_model)  # loaded once and cached; without one no photo can work
    except FileNotFoundError as error:
        log.error("no body model: %s", error)
        return 1
    reported: set[str] = set()
    succeeded = 0
    for photo, folder in zip(args.photos, output_folders(args.photos, args.out)):
        succeeded += process_photo(photo, args, folder, reported)
    log.info("done: %d of %d photos gave results in %s", succeeded, len(args.photos), args.out)
    return 0 if succeeded else 1


def _report_unavailable(result: ImageResult, reported: set[str]) -> None:
    """One line per method that could not run, the first time only."""
    for method, reason in result.unavailable.items():
        if method not in reported:
            reported.add(method)
            log.warning("%s skipped, %s", method_label(method), reason)


if __name__ == "__main__":
    sys.exit(main())
