"""GridSearchCV over the full pipeline: in this process, and on a Dask LocalCluster.

A search of 8 candidates × 3 folds (plus the refit) on the built-in synthetic videos at
75×75: video oversampling, a featurizer fitted once and frozen (so that every fit shares
its network and the feature cache), and the classifier's grid.  It runs

* in this process (``n_jobs=1``) with torch's default threads, and with one thread (the
  workers' budget, so that its scores can be compared exactly: PyTorch's CPU LSTM
  rounds differently on different thread counts, see the scaling guide),
* on a ``LocalCluster`` of 2 single-thread workers (``--workers``), started with
  :func:`skvideo_imb._runtime.dask_worker_config` (``--malloc dask`` keeps Dask's own
  malloc setting, which halves PyTorch's speed in the workers),

each with a fresh feature cache, and prints wall time, speed-up over the in-process run,
the frames the network computed (the cache's entries: each distinct frame once, however
many workers) and whether the scores equal those of the one-thread in-process run.  On
2 cores expect at most 2×: the workers share the cores with each other (and with Dask).

A cluster with a single worker thread in total is not measured: joblib's Dask backend
counts the cluster's threads, and with one it runs the search sequentially in the
calling process, not on the worker.

Usage::

    python benchmarks/search_scaling.py          # about 6 minutes on 2 cores
    python benchmarks/search_scaling.py --quick  # 2 folds, fewer epochs
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import torch
from imblearn.pipeline import make_pipeline
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from skvideo_imb import InceptionFeaturizer, ResBiLSTMClassifier, SpatioTemporalOverSampler
from skvideo_imb._runtime import dask_worker_config
from skvideo_imb.datasets import make_synthetic_videos

GRID = {"resbilstmclassifier__hidden_size": [16, 32],
        "resbilstmclassifier__lr": [1e-3, 3e-3],
        "resbilstmclassifier__class_weight": [None, "balanced"]}


def search(X, y, cache, folds, epochs, n_jobs):
    featurizer = InceptionFeaturizer(n_frames=8, weights=None, image_size=75, cache=cache,
                                     random_state=0).fit(X)
    pipe = make_pipeline(SpatioTemporalOverSampler(n_frames=8, random_state=0),
                         FrozenEstimator(featurizer),
                         ResBiLSTMClassifier(n_frames=8, fc_size=32, max_epochs=epochs,
                                             random_state=0))
    return GridSearchCV(pipe, GRID, scoring="f1_macro", n_jobs=n_jobs,
                        cv=StratifiedKFold(folds, shuffle=True, random_state=0))


def timed(make, X, y, cache, backend=None):
    start = time.perf_counter()
    if backend is None:
        fitted = make(cache).fit(X, y)
    else:
        with joblib.parallel_backend(backend, scatter=[X, y]):
            fitted = make(cache).fit(X, y)
    elapsed = time.perf_counter() - start
    return fitted, elapsed, sum(1 for _ in Path(cache).rglob("*.feat"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", nargs="+", type=int, default=[2])
    parser.add_argument("--malloc", choices=["tuned", "dask"], default="tuned",
                        help="workers' glibc malloc thresholds: tuned (dask_worker_config, "
                        "default) or Dask's own MALLOC_TRIM_THRESHOLD_=65536")
    args = parser.parse_args(argv)
    import dask
    import distributed

    folds, epochs = (2, 15) if args.quick else (3, 30)
    X, y = make_synthetic_videos(random_state=0)
    n_candidates = int(np.prod([len(v) for v in GRID.values()]))
    print(f"{n_candidates} candidates x {folds} folds + refit on {len(X)} videos, 75x75, "
          f"{epochs} epochs; {os.cpu_count()} cores, torch {torch.get_num_threads()} "
          f"threads here", flush=True)
    make = lambda cache: search(X, y, cache, folds, epochs, None)  # noqa: E731
    # warm up (imports, the engine's first compilation) so the first timing is not unfair
    few = train_test_split(np.arange(len(y)), train_size=30, stratify=y, random_state=0)[0]
    search([X[i] for i in few], y[few], tempfile.mkdtemp(prefix="svi_cache_"), 2, 1,
           None).fit([X[i] for i in few], y[few])
    rows = []
    default_threads = torch.get_num_threads()
    _, base, entries = timed(make, X, y, tempfile.mkdtemp(prefix="svi_cache_"))
    rows.append((f"in process (n_jobs=1, torch threads {default_threads})", base, entries,
                 None))
    print(f"  in process, {default_threads} threads: {base:.1f}s", flush=True)
    torch.set_num_threads(1)
    reference, elapsed, entries = timed(make, X, y, tempfile.mkdtemp(prefix="svi_cache_"))
    torch.set_num_threads(default_threads)
    rows.append(("in process (n_jobs=1, torch threads 1)", elapsed, entries, True))
    print(f"  in process, 1 thread: {elapsed:.1f}s", flush=True)
    for n_workers in args.workers:
        if n_workers < 2:
            print(f"  {n_workers} worker: skipped (joblib runs a one-thread cluster's search "
                  "in this process)", flush=True)
            continue
        config = dask_worker_config() if args.malloc == "tuned" else {}
        with dask.config.set(config):
            cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                               processes=True, dashboard_address=None)
        with distributed.Client(cluster) as client:
            threads = sorted(set(client.run(torch.get_num_threads).values()))
            make_dask = lambda cache: search(X, y, cache, folds, epochs, -1)  # noqa: E731
            fitted, elapsed, entries = timed(make_dask, X, y,
                                             tempfile.mkdtemp(prefix="svi_cache_"), "dask")
        cluster.close()
        same = np.allclose(fitted.cv_results_["mean_test_score"],
                           reference.cv_results_["mean_test_score"], rtol=0, atol=1e-6)
        rows.append((f"LocalCluster, {n_workers} workers (torch threads {threads}, "
                     f"{args.malloc} malloc)",
                     elapsed, entries, same))
        print(f"  {n_workers} worker(s): {elapsed:.1f}s", flush=True)
    print("\n| where | wall time (s) | speed-up | frames computed (cache entries) | "
          "scores equal the 1-thread in-process run |")
    print("|---|---:|---:|---:|---|")
    for name, elapsed, entries, same in rows:
        print(f"| {name} | {elapsed:.1f} | {base / elapsed:.2f}x | {entries} | "
              f"{'-' if same is None else 'yes' if same else 'NO'} |")
    print(f"best: {reference.best_params_} (macro F1 {reference.best_score_:.3f})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.exit(main())
