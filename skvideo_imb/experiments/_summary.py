"""What the seeds say: per-row statistics, mean curves, and claims decided per seed."""

import numpy as np

__all__ = ["METRICS", "check_claims", "summarise_curves", "summarise_rows"]

METRICS = ("accuracy", "f1_macro", "f1_weighted", "balanced_accuracy", "gmean", "f1_order_only",
           "fit_time_s")
"""The per-row numbers of a run, in the report's column order."""

FRAMES = "Spatial CNN (mean-pooled frames + logistic regression)"
ORDER_ONLY_MARGIN = 0.15
"""How far above the frame-only baseline a temporal model must be on the order-only
classes for the report to say it understands order."""


def _stats(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "values": [float(v) for v in values]}


def summarise_rows(runs):
    """Per row (in the order of the runs), each metric's mean, sd and per-seed values.

    Parameters
    ----------
    runs : list of dict
        The per-seed runs of :func:`run_reproduction`.

    Returns
    -------
    rows : list of dict
        ``name``, ``row``, ``seeds`` (those that ran), ``errors`` (seed -> message, for
        seeds where a sampler declined the data), and one ``{"mean", "std",
        "values"}`` per metric present in every run of the row.
    """
    names = list(dict.fromkeys(r["name"] for run in runs for r in run["rows"]))
    summary = []
    for name in names:
        per_seed = [(run["seed"], r) for run in runs for r in run["rows"] if r["name"] == name]
        scored = [(seed, r) for seed, r in per_seed if "error" not in r]
        entry = {"name": name, "row": per_seed[0][1]["row"],
                 "seeds": [seed for seed, _ in scored],
                 "errors": {seed: r["error"] for seed, r in per_seed if "error" in r}}
        for metric in METRICS:
            if scored and all(metric in r for _, r in scored):
                entry[metric] = _stats([r[metric] for _, r in scored])
        summary.append(entry)
    return summary


def summarise_curves(runs):
    """Per ablation and curve, the mean and sd over seeds of each epoch's value.

    Parameters
    ----------
    runs : list of dict
        The per-seed runs of :func:`run_reproduction`.

    Returns
    -------
    curves : dict
        ``name -> curve -> {"mean": [...], "std": [...]}`` (epochs every seed ran).
    """
    names = list(dict.fromkeys(name for run in runs for name in run["curves"]))
    curves = {}
    for name in names:
        series = [run["curves"][name] for run in runs if name in run["curves"]]
        curves[name] = {}
        for key in series[0]:
            length = min(len(s[key]) for s in series)
            stacked = np.array([np.asarray(s[key][:length], dtype=float) for s in series])
            curves[name][key] = {
                "mean": stacked.mean(axis=0).tolist(),
                "std": (stacked.std(axis=0, ddof=1) if len(series) > 1
                        else np.zeros(length)).tolist()}
    return curves


def _compare(runs, claim, better, worse, metric, margin=0.0):
    """A claim "better beats worse on metric by more than margin", decided per seed."""
    diffs = []
    for run in runs:
        by_name = {r["name"]: r for r in run["rows"] if "error" not in r}
        if better in by_name and worse in by_name and metric in by_name[better]:
            diffs.append((run["seed"], by_name[better][metric] - by_name[worse][metric]))
    if not diffs:
        return None
    d = np.array([diff for _, diff in diffs])
    above, below = int((d > margin).sum()), int((d < margin).sum())
    return {"claim": claim, "metric": metric, "better": better, "worse": worse,
            "margin": margin, "holds": bool(d.mean() > margin and above > below),
            "n_seeds": len(d), "n_above": above, "n_below": below,
            "mean_difference": float(d.mean()),
            "std_difference": float(d.std(ddof=1)) if len(d) > 1 else 0.0,
            "per_seed": {str(seed): float(diff) for seed, diff in diffs}}


def check_claims(runs):
    """The paper's comparisons, each decided from the per-seed results.

    A claim "A beats B by more than m" holds when the mean paired difference A − B
    over the seeds exceeds m *and* more seeds are above m than below it; one lucky
    seed decides nothing.

    Parameters
    ----------
    runs : list of dict
        The per-seed runs of :func:`run_reproduction`.

    Returns
    -------
    claims : list of dict
        ``claim``, ``holds``, ``n_seeds``, ``n_above``/``n_below`` (seeds whose
        difference is above/below the margin), ``mean_difference``,
        ``std_difference``, ``per_seed`` and the rows and metric compared.

    Examples
    --------
    >>> from skvideo_imb.experiments._summary import check_claims
    >>> run = lambda seed, a, b: {"seed": seed, "rows": [
    ...     {"name": "CNN-LSTM + video oversampling", "f1_macro": a},
    ...     {"name": "CNN-LSTM", "f1_macro": b}]}
    >>> (claim,) = check_claims([run(0, 0.8, 0.6), run(1, 0.7, 0.72), run(2, 0.9, 0.5)])
    >>> claim["holds"], claim["n_above"], claim["n_seeds"]
    (True, 2, 3)
    >>> round(claim["mean_difference"], 3)
    0.193
    """
    specs = [
        ("video oversampling raises macro F1 (CNN-LSTM)",
         "CNN-LSTM + video oversampling", "CNN-LSTM", "f1_macro", 0.0),
        ("video oversampling raises macro F1 (CNN-LSTM + class weighting)",
         "CNN-LSTM + video oversampling + class weighting", "CNN-LSTM + class weighting",
         "f1_macro", 0.0),
        ("CNN-ResBiLSTM beats CNN-LSTM, both with video oversampling",
         "CNN-ResBiLSTM + video oversampling", "CNN-LSTM + video oversampling",
         "f1_macro", 0.0),
        ("CNN-ResBiLSTM beats CNN-LSTM, both with video oversampling + class weighting",
         "CNN-ResBiLSTM + video oversampling + class weighting",
         "CNN-LSTM + video oversampling + class weighting", "f1_macro", 0.0),
        ("video oversampling beats feature-space SMOTE (CNN-ResBiLSTM)",
         "CNN-ResBiLSTM + video oversampling", "CNN-ResBiLSTM + SMOTE (feature space)",
         "f1_macro", 0.0),
    ]
    for temporal in ("CNN-LSTM + video oversampling", "CNN-ResBiLSTM + video oversampling",
                     "CNN-ResBiLSTM + video oversampling + class weighting"):
        specs.append((f"{temporal} beats the frame-only baseline on the order-only "
                      f"classes by more than {ORDER_ONLY_MARGIN}", temporal, FRAMES,
                      "f1_order_only", ORDER_ONLY_MARGIN))
    claims = [_compare(runs, *spec) for spec in specs]
    return [claim for claim in claims if claim is not None]
