"""3DPW evaluation from the command line (the protocol, the data set and the scoring are core.evaluation.pw3d).

    python -m train.eval --method hmr|spin_gta|hybrik --checkpoint FILE --data-root data/ \
        [--batch-size 32] [--limit N] [--out DIR] [--device cpu|cuda] [--workers 2]
    torchrun --nproc_per_node 4 -m train.eval ...      (several GPUs; results gathered in sample order)

Writes `<out>/<method>_pw3d.json` (MPJPE, PA-MPJPE, PVE in mm) and a per-sample CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from core import distributed
from core.evaluation.human_data import load_human_data
from core.evaluation.pw3d import load_eval_bodies, run_evaluation, test_file, write_outputs
from core.methods import NETWORK_METHODS
from core.networks.build import load_model
from core.settings import data_folders


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", required=True, choices=NETWORK_METHODS)
    parser.add_argument("--checkpoint", required=True, type=Path, help="the method's .pth checkpoint")
    parser.add_argument(
        "--data-root", type=Path, default=None, help="mmhuman3d-style data/ folder (default $HMRC_DATA)"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="only the first N samples")
    parser.add_argument("--out", type=Path, default=Path("eval_results"))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=("cpu", "cuda"))
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers decoding and cropping images")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    folders = data_folders(args.data_root)  # body models and images resolve under --data-root too
    device = distributed.pick_device(args.device)
    distributed.init_distributed(device)
    try:
        data = load_human_data(test_file(args.method, folders.data))
    except FileNotFoundError as missing:  # say what to run, without a traceback
        from core.evaluation.pw3d import TEST_FILES
        from train.prepare.catalog import how_to_get

        raise SystemExit(f"{missing}\n      {how_to_get(TEST_FILES[args.method], folders.data)}") from None
    bodies = load_eval_bodies(args.method, device, folders.body_models)
    model = load_model(args.checkpoint, args.method, bodies.neutral, device)  # posing the neutral SMPL, as mmhuman3d
    result = run_evaluation(
        model, args.method, data, bodies, device, args.batch_size, args.limit, args.workers, data_root=folders.data
    )
    if distributed.rank() == 0:
        json_path, csv_path = write_outputs(result, args.out, args.checkpoint)
        summary = result.summary()
        print(
            f"{args.method}: MPJPE {summary['mpjpe_mm']:.2f} mm, PA-MPJPE {summary['pa_mpjpe_mm']:.2f} mm, "
            f"PVE {summary['pve_mm']:.2f} mm on {summary['num_samples']} samples → {json_path}, {csv_path}"
        )
        return summary
    return {}


if __name__ == "__main__":
    main()
