"""``skvideo-imb``: the command line (``skvideo-imb reproduce``)."""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]


def _weights(value, data):
    if value == "auto":  # no download for the built-in data: random init + BN recalibration
        return None if data == "synthetic" else "DEFAULT"
    return None if value.lower() == "none" else value


def _parser():
    parser = argparse.ArgumentParser(
        prog="skvideo-imb",
        description="Imbalanced video classification as a scikit-learn problem.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "reproduce", help="run the paper's experiment grid and write its tables",
        description="Fit the paper's Table I/II rows (CNN-LSTM with and without class "
        "weighting and video oversampling, CNN-ResBiLSTM), feature-space SMOTE/ADASYN/"
        "RandomOverSampler and a frame-only baseline; write tables, JSON and plots.")
    rep.add_argument("--data", default="synthetic",
                     help="'synthetic' (default, built in), a class-per-folder PATH, or "
                     "'ucf101:ROOT' (the paper's imbalanced UCF101, split 1)")
    rep.add_argument("--profile", choices=["quick", "paper", "smoke"], default="quick",
                     help="quick: 8 frames, 75x75, 64-wide (CPU minutes); paper: 40 frames, "
                     "299x299, 1024-wide, Adam lr=1e-6, L2 3e-4; smoke: seconds, for tests")
    rep.add_argument("--out", default="reproduce_output", help="output folder")
    rep.add_argument("--weights", default="auto",
                     help="'auto' (random init for synthetic data, ImageNet otherwise), "
                     "'none', 'DEFAULT', or a local state-dict file")
    rep.add_argument("--cache", default=None,
                     help="feature cache folder (default: OUT/feature_cache)")
    rep.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                     help="where the CNN and the LSTMs run (auto: CUDA when present)")
    rep.add_argument("--seed", type=int, default=0, help="seed of data, sampling and models")
    rep.add_argument("--no-ablations", action="store_true",
                     help="skip the Figure 3 ablation curves")
    return parser


def main(argv=None):
    """Entry point of the ``skvideo-imb`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success.

    Examples
    --------
    >>> from skvideo_imb.cli import main
    >>> main(["--help"])  # doctest: +SKIP
    """
    parser = _parser()
    args = parser.parse_args(argv)
    from .experiments import load_experiment_data, run_reproduction, write_report

    out = Path(args.out)
    cache = args.cache or str(out / "feature_cache")
    weights = _weights(args.weights, args.data)
    print(f"skvideo-imb reproduce: data={args.data} profile={args.profile} "
          f"weights={weights} out={out}", flush=True)
    start = time.perf_counter()
    try:
        data = load_experiment_data(args.data, random_state=args.seed)
    except (OSError, ValueError) as exc:  # a missing or malformed --data: a usage error
        parser.error(f"--data {args.data}: {exc}")
    counts = {str(c): int(n)
              for c, n in zip(*np.unique(data["y_train"], return_counts=True))}
    print(f"train: {len(data['X_train'])} videos {counts}; test: {len(data['X_test'])}",
          flush=True)
    results = run_reproduction(data, profile=args.profile, weights=weights, cache=cache,
                               ablations=not args.no_ablations, random_state=args.seed,
                               device=args.device,
                               log=lambda line: print(line, flush=True))
    run_info = {"command": "skvideo-imb " + " ".join(argv if argv is not None
                                                      else sys.argv[1:]),
                "data": args.data, "data_name": data["name"], "profile": args.profile,
                "weights": weights, "seed": args.seed, "device": args.device,
                "train_class_counts": counts, "n_test": len(data["X_test"]),
                "cpu_count": os.cpu_count(),
                "total_time_s": time.perf_counter() - start}
    paths = write_report(results, out, run_info=run_info)
    print()
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    print(f"total time {time.perf_counter() - start:.0f}s")
    return 0
