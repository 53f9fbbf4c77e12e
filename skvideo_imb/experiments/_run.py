"""Running the grid: every row, and the Figure 3 ablations, over several seeds.

A seed decides everything random in one repetition: the data (the synthetic videos
and the train/test split, or the imbalance protocol's subset of UCF101), the
featurizer's random initialisation and calibration frames, the oversampler's clips,
the feature-space samplers and the classifiers' initialisation, dropout and
shuffling.  Per seed the featurizer is fitted once and frozen, and, with a feature
cache, every feature the rows need is computed once before any row is fitted; the
rows and ablations are then independent tasks, run in this process or, with
``n_jobs``, in parallel by joblib (under whatever joblib backend is active).
"""

import time

import numpy as np
from joblib import Parallel, delayed, parallel_config
from joblib.parallel import get_active_backend
from sklearn.metrics import f1_score

from .._recipes import (class_counts, hold_out, make_featurizer, make_sampler,
                        profile_settings)
from ..datasets import video_groups
from ..metrics import imbalanced_scores
from ._data import load_experiment_data
from ._grid import ABLATIONS, ROWS, build_ablation_pipeline, build_row_pipeline
from ._summary import summarise_curves, summarise_rows

__all__ = ["run_reproduction"]


def _scores(y_true, y_pred, order_only_classes):
    scores = imbalanced_scores(y_true, y_pred)
    if len(order_only_classes):
        # Macro F1 over the classes of the order-only pairs: a frame-only model can
        # still get their majority partners right, so accuracy would hide that it
        # never finds the minority partner; macro F1 weighs each class equally.
        scores["f1_order_only"] = f1_score(y_true, y_pred, labels=order_only_classes,
                                           average="macro", zero_division=0)
    return scores


def _prepare(data, seed, settings, weights, cache, device, ablations, verbose, log):
    """One seed's data, fitted featurizer, ablation split and precomputed features."""
    data = load_experiment_data(data, random_state=seed) if isinstance(data, str) else data
    log(f"[seed {seed}] featurizer: fitting on {len(data['X_train'])} training videos")
    featurizer = make_featurizer(settings, weights=weights, cache=cache, device=device,
                                 verbose=verbose, random_state=seed)
    start = time.perf_counter()
    featurizer.fit(data["X_train"], data["y_train"])
    prepared = {"seed": seed, "data": data, "featurizer": featurizer,
                "featurizer_fit_time_s": time.perf_counter() - start}
    y_train = np.asarray(data["y_train"])
    videos = []
    if cache is not None:  # every feature the rows read, computed once, here
        videos += [data["X_train"], _video_clips(data["X_train"], y_train, settings, seed),
                   data["X_test"]]
    if ablations:
        # Hold out 20% of the training *videos* before any oversampling (see
        # _HeldOutScores); the test set stays untouched for the table.
        fit_idx, valid_idx = hold_out(y_train, 0.2, seed, video_groups(data["X_train"]))
        prepared["ablation"] = {
            "X_fit": [data["X_train"][i] for i in fit_idx], "y_fit": y_train[fit_idx],
            "X_valid": [data["X_train"][i] for i in valid_idx], "y_valid": y_train[valid_idx]}
        prepared["ablation"]["F_valid"] = featurizer.transform(prepared["ablation"]["X_valid"])
        if cache is not None:
            videos.append(_video_clips(prepared["ablation"]["X_fit"], y_train[fit_idx],
                                       settings, seed))
    for X in videos:
        featurizer.transform(X)
    if cache is not None:
        featurizer.set_params(verbose=0)  # the tasks only read the cache
    return prepared


def _video_clips(X, y, settings, seed):
    """The clips the video oversampler of a row makes of ``X``."""
    return make_sampler("video", y, n_frames=settings["n_frames"],
                        random_state=seed).fit_resample(X, y)[0]


def _prefixed(log, prefix):
    return lambda line: log(f"    {prefix}: {line.strip()}")


def _fit_row(row, prepared, settings, device, log):
    data, seed = prepared["data"], prepared["seed"]
    pipe = build_row_pipeline(row, prepared["featurizer"], settings, data["y_train"], seed,
                              log=_prefixed(log, f"[seed {seed}] {row.name}"), device=device)
    start = time.perf_counter()
    try:
        pipe.fit(data["X_train"], data["y_train"])
    except (ValueError, RuntimeError) as exc:
        if row.sampler not in ("smote", "adasyn"):
            raise
        # Neighbour-based samplers can decline a data set: ADASYN when it would
        # generate nothing (every minority sample's neighbours are of its own class),
        # SMOTE when a class has a single training video.  Report it.
        log(f"    [seed {seed}] {row.name}: {row.sampler.upper()} declined this data "
            f"set: {exc}")
        return {"name": row.name, "error": str(exc),
                "fit_time_s": time.perf_counter() - start}
    fit_time = time.perf_counter() - start
    y_pred = pipe.predict(data["X_test"])
    scores = _scores(data["y_test"], y_pred, data.get("order_only_classes", []))
    device = str(getattr(pipe[-1], "device_", "cpu"))  # scikit-learn models: the CPU
    log(f"    [seed {seed}] {row.name}: "
        + "  ".join(f"{k}={v:.3f}" for k, v in scores.items()) + f"  fit={fit_time:.1f}s")
    return {"name": row.name, **scores, "fit_time_s": fit_time, "device": device,
            "y_pred": list(map(str, y_pred)), "pipeline": repr(pipe)}


def _fit_ablation(name, prepared, settings, device, log):
    split, seed = prepared["ablation"], prepared["seed"]
    pipe = build_ablation_pipeline(name, prepared["featurizer"], settings, split["F_valid"],
                                   split["y_valid"], seed, device=device,
                                   log=_prefixed(log, f"[seed {seed}] ablation {name}"))
    pipe.fit(split["X_fit"], split["y_fit"])
    history = pipe[-1].history_
    log(f"    [seed {seed}] ablation {name}: final valid_loss "
        f"{history[-1]['valid_loss']:.3f}, valid_acc {history[-1]['valid_acc']:.3f}")
    return {"valid_loss": history[:, "valid_loss"], "valid_acc": history[:, "valid_acc"],
            "train_loss": history[:, "train_loss"]}


def _run_task(kind, item, prepared, settings, device, log):
    if kind == "row":
        return _fit_row(item, prepared, settings, device, log)
    return _fit_ablation(item, prepared, settings, device, log)


def _run_tasks(tasks, prepared, settings, device, log, n_jobs):
    calls = (delayed(_run_task)(kind, item, p, settings, device, log) for kind, item, p in tasks)
    backend, _ = get_active_backend()
    if type(backend).__name__ == "DaskDistributedBackend":
        # every seed's data and featurizer on every worker: joblib would otherwise put
        # each on one worker, and a worker's death would lose them with it
        with parallel_config(backend="dask", scatter=prepared):
            return Parallel(n_jobs=-1 if n_jobs is None else n_jobs)(calls)
    return Parallel(n_jobs=n_jobs)(calls)


def run_reproduction(data="synthetic", *, seeds=(0,), profile="quick", weights=None,
                     cache=None, rows=ROWS, ablations=True, device="auto", n_jobs=None,
                     verbose=1, log=print):
    """Fit every row of the paper's tables over several seeds and score the test videos.

    Parameters
    ----------
    data : str or dict, default="synthetic"
        A specification for :func:`load_experiment_data` (``"synthetic"``, a
        class-per-folder path, ``"ucf101:ROOT"``), loaded anew for every seed; or one
        fixed split as that function returns it, used by every seed (then only the
        featurizer, the samplers and the classifiers vary).
    seeds : sequence of int, default=(0,)
        One repetition of the whole grid per seed (see the module docstring for what a
        seed decides).
    profile : {"quick", "paper", "smoke"} or dict, default="quick"
        Sizes and optimiser settings (see :data:`PROFILES`).
    weights : None, "DEFAULT" or str, default=None
        Backbone weights, as for :class:`~skvideo_imb.InceptionFeaturizer`.
    cache : str or None, default=None
        Feature cache directory shared by all rows (and parallel workers).  With a cache
        every feature is computed once per seed, before the rows are fitted.
    rows : sequence of Row, default=ROWS
    ablations : bool, default=True
        Also fit the Figure 3 ablations and keep their per-epoch loss and accuracy on
        20% of the training videos, held out before oversampling.
    device : str, default="auto"
        Where the featurizer and the classifiers run.
    n_jobs : int or None, default=None
        Rows and ablations run as joblib tasks: ``None`` or 1 in this process, ``k``
        in ``k`` workers of the active joblib backend (loky by default).  Under
        ``joblib.parallel_backend("dask")`` they run on the Dask cluster (every worker,
        whatever ``n_jobs``), with each seed's data and featurizer sent to every
        worker.  Without a ``cache`` every worker computes the features it needs.
    verbose : int, default=1
        The featurizer's progress on standard error (a bar on a terminal, plain lines
        otherwise; see :ref:`progress`); 0 silences it.
    log : callable, default=print
        Receives progress lines.

    Returns
    -------
    results : dict
        ``runs``: one dict per seed (``seed``, ``rows`` with each row's scores, fit time
        and test predictions, ``curves`` of the ablations, ``y_test``, ``data_name``,
        ``train_class_counts``, ``featurizer_fit_time_s``); ``rows``: per row, the
        mean, standard deviation and per-seed values of every metric
        (:func:`summarise_rows`); ``curves``: per ablation, the mean and standard
        deviation per epoch; ``seeds``, ``labels``, ``settings``.

    Examples
    --------
    >>> from skvideo_imb.experiments import ROWS, run_reproduction
    >>> from skvideo_imb.datasets import make_synthetic_videos
    >>> X, y = make_synthetic_videos(4, n_frames=6)        # one fixed split, small
    >>> data = {"name": "tiny", "X_train": X[::2], "y_train": y[::2], "X_test": X[1::2],
    ...         "y_test": y[1::2]}
    >>> results = run_reproduction(data, seeds=[0, 1], profile="smoke", rows=ROWS[:1],
    ...                            ablations=False, verbose=0, log=lambda line: None)
    >>> [len(run["rows"]) for run in results["runs"]]
    [1, 1]
    >>> len(results["rows"][0]["f1_macro"]["values"])
    2
    """
    settings = profile_settings(profile)
    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct integers, at least one; got {seeds}.")
    prepared = [_prepare(data, seed, settings, weights, cache, device, ablations, verbose,
                         log) for seed in seeds]
    tasks = [("row", row, p) for p in prepared for row in rows]
    if ablations:
        tasks += [("ablation", name, p) for p in prepared for name in ABLATIONS]
    log(f"fitting {len(tasks)} pipelines ({len(rows)} rows"
        + (f" and {len(ABLATIONS)} ablations" if ablations else "")
        + f" x {len(seeds)} seeds)")
    outcomes = _run_tasks(tasks, prepared, settings, device, log, n_jobs)
    runs = []
    for p in prepared:
        mine = [(kind, item, out) for (kind, item, q), out in zip(tasks, outcomes) if q is p]
        data = p["data"]
        runs.append({
            "seed": p["seed"], "data_name": data["name"],
            "train_class_counts": class_counts(data["y_train"]),
            "n_test": len(data["X_test"]), "y_test": list(map(str, data["y_test"])),
            "featurizer_fit_time_s": p["featurizer_fit_time_s"],
            "featurizer_device": str(p["featurizer"].device_),
            "rows": [{"row": item.__dict__, **out} for kind, item, out in mine
                     if kind == "row"],
            "curves": {item: out for kind, item, out in mine if kind == "ablation"}})
    labels = sorted({label for run in runs for label in run["y_test"]}
                    | {label for p in prepared for label in map(str, p["data"]["y_train"])})
    return {"settings": settings, "seeds": seeds, "labels": labels, "runs": runs,
            "rows": summarise_rows(runs), "curves": summarise_curves(runs)}
