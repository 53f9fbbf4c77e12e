"""``skvideo-imb reproduce``: the paper's experiment grid and its report."""

import os
import sys
import time
from pathlib import Path


from .._recipes import (PROFILES, check_scheduler, class_counts, describe_profiles,
                        parse_weights, scheduler)

__all__ = ["add_parser", "run"]


def _devices_used(results):
    """Where the featurizers and the classifiers of the run actually ran."""
    runs = results["runs"]
    return {"featurizer": sorted({run["featurizer_device"] for run in runs}),
            "classifier": sorted({r["device"] for run in runs for r in run["rows"]
                                  if "device" in r})}


def add_parser(sub):
    rep = sub.add_parser(
        "reproduce", help="run the paper's experiment grid and write its tables",
        description="Fit the paper's Table I/II rows (CNN-LSTM with and without class "
        "weighting and video oversampling, CNN-ResBiLSTM), feature-space SMOTE/ADASYN/"
        "RandomOverSampler and a frame-only baseline; write tables, JSON and plots.")
    rep.add_argument("--data", default="synthetic",
                     help="'synthetic' (default, built in), a class-per-folder PATH, or "
                     "'ucf101:ROOT' (the paper's imbalanced UCF101, split 1)")
    rep.add_argument("--profile", choices=list(PROFILES), default="quick",
                     help="sizes and training (default quick): " + describe_profiles())
    rep.add_argument("--out", default="reproduce_output", help="output folder")
    rep.add_argument("--weights", default="auto",
                     help="'auto' (random init for synthetic data, ImageNet otherwise), "
                     "'none', 'DEFAULT', or a local state-dict file")
    rep.add_argument("--cache", default=None,
                     help="feature cache folder (default: OUT/feature_cache)")
    rep.add_argument("--device", default="auto",
                     help="where the CNN and the LSTMs run: auto (CUDA when present), cpu, "
                     "cuda or cuda:N")
    rep.add_argument("--seed", type=int, default=0,
                     help="first seed (default 0); the seeds are SEED .. SEED+N-1")
    rep.add_argument("--seeds", type=int, default=None, metavar="N",
                     help="repeat every row over N seeds (data split, sampling, "
                     "initialisation) and report mean ± sd (default 3; 5 for "
                     "--study long-tail)")
    rep.add_argument("--no-ablations", action="store_true",
                     help="skip the Figure 3 ablation curves")
    rep.add_argument("--study", choices=["paper", "long-tail"], default="paper",
                     help="paper (default): the paper's tables and ablations; long-tail: "
                     "every loss with and without video oversampling, post-hoc "
                     "adjustment and class-balanced batches, on the CNN-ResBiLSTM; with "
                     "--data synthetic it runs at three skews (synthetic:moderate, "
                     "synthetic, synthetic:severe); --seeds defaults to 5")
    rep.add_argument("--scheduler", default="none", metavar="WHERE",
                     help="where the rows are fitted: 'none' (default: in this process), "
                     "'local:N' (a Dask LocalCluster of N worker processes sharing the "
                     "cores) or 'tcp://HOST:PORT' (a Dask scheduler; its workers must see "
                     "the data and the cache at the same paths)")
    rep.set_defaults(run=run)


def run(args, parser, argv=None):
    from .._progress import command_log
    from ..experiments import run_reproduction, write_report

    if args.seeds is None:
        args.seeds = 5 if args.study == "long-tail" else 3
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")
    try:
        check_scheduler(args.scheduler)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    cache = args.cache or str(out / "feature_cache")
    weights = parse_weights(args.weights, args.data)
    seeds = list(range(args.seed, args.seed + args.seeds))
    log = command_log(args.quiet)
    log(f"skvideo-imb reproduce: data={args.data} profile={args.profile} "
        f"weights={weights} seeds={seeds} out={out}")
    if args.study == "long-tail":
        return _long_tail(args, parser, argv, seeds, weights, cache, log)
    start = time.perf_counter()
    first = _first_split(args.data, seeds[0], parser)
    counts = class_counts(first["y_train"])
    log(f"seed {seeds[0]}: train {len(first['X_train'])} videos {counts}; "
        f"test {len(first['X_test'])}")
    with scheduler(args.scheduler, log) as n_jobs:
        results = run_reproduction(args.data, seeds=seeds, profile=args.profile,
                                   weights=weights, cache=cache,
                                   ablations=not args.no_ablations, device=args.device,
                                   n_jobs=n_jobs, log=log)
    runs = results["runs"]
    run_info = {"command": _command(argv), "data": args.data,
                "data_name": runs[0]["data_name"], "profile": args.profile, "weights": weights, "seed": args.seed,
                "device": args.device, "device_used": _devices_used(results),
                "scheduler": args.scheduler,
                "train_class_counts": runs[0]["train_class_counts"],
                "n_test": runs[0]["n_test"], "cpu_count": os.cpu_count(),
                "total_time_s": time.perf_counter() - start}
    return _show(write_report(results, out, run_info=run_info), start)


def _first_split(spec, seed, parser):
    """The data of the first seed; a missing or malformed --data is a usage error."""
    from ..experiments import load_experiment_data

    try:
        return load_experiment_data(spec, random_state=seed)
    except (OSError, ValueError) as exc:
        parser.error(f"--data {spec}: {exc}")


def _command(argv):
    return "skvideo-imb " + " ".join(argv if argv is not None else sys.argv[1:])


def _show(paths, start):
    """Print the written report's table and where its files are; the exit status."""
    print()
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    print(f"total time {time.perf_counter() - start:.0f}s")
    return 0


def _long_tail(args, parser, argv, seeds, weights, cache, log):
    from ..experiments import LONG_TAIL_DATA, run_long_tail_study, write_long_tail_report

    start = time.perf_counter()
    data = list(LONG_TAIL_DATA) if args.data == "synthetic" else [args.data]
    for spec in data:
        first = _first_split(spec, seeds[0], parser)
        log(f"{spec}, seed {seeds[0]}: train {class_counts(first['y_train'])}")
    with scheduler(args.scheduler, log) as n_jobs:
        studies = run_long_tail_study(data, seeds=seeds, profile=args.profile,
                                      weights=weights, cache=cache, device=args.device,
                                      n_jobs=n_jobs, log=log)
    run_info = {"command": _command(argv), "study": "long-tail", "data": data,
                "profile": args.profile, "weights": weights, "seeds": seeds,
                "device": args.device, "scheduler": args.scheduler,
                "cpu_count": os.cpu_count(),
                "total_time_s": time.perf_counter() - start}
    return _show(write_long_tail_report(studies, Path(args.out), run_info=run_info),
                 start)
