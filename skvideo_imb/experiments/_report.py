"""Writing the reproduction report: tables, per-run JSON, plots and measured claims."""

import csv
import json

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from .._versions import package_versions
from ._summary import METRICS, check_claims

__all__ = ["format_claims", "format_markdown", "write_report"]

_TITLES = {"accuracy": "Acc", "f1_macro": "F1 (macro)", "f1_weighted": "Weighted F1",
           "balanced_accuracy": "Balanced acc", "gmean": "G-mean",
           "f1_order_only": "F1 (order-only classes)", "fit_time_s": "Fit time (s)"}

# Figures are made with matplotlib's object-oriented API and saved by their own canvas:
# no pyplot, so writing a report never changes the process's matplotlib backend.


def _columns(rows):
    return [key for key in METRICS if any(key in r for r in rows)]


def _cell(row, key, n_seeds):
    if key not in row:
        return "n/a"
    digits = 1 if key == "fit_time_s" else 3
    stats = row[key]
    if n_seeds < 2:
        return f"{stats['mean']:.{digits}f}"
    return f"{stats['mean']:.{digits}f} ± {stats['std']:.{digits}f}"


def format_markdown(rows, n_seeds):
    """The summary rows as a Markdown table in the paper's layout (one row per model).

    With two or more seeds each cell is ``mean ± sd`` over the seeds; a row that a
    sampler declined on some seeds is marked and averaged over the seeds it ran on.
    """
    columns = _columns(rows)
    lines = ["| Model | " + " | ".join(_TITLES[k] for k in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    notes = []
    for r in rows:
        name = r["name"]
        if r["errors"]:
            seeds = ", ".join(str(s) for s in sorted(r["errors"]))
            first = next(iter(r["errors"].values()))
            ran = (f"on {len(r['seeds'])} of {len(r['seeds']) + len(r['errors'])} seeds"
                   if r["seeds"] else "on no seed")
            notes.append(f"{name}: ran {ran}; declined on seed(s) {seeds}: {first}")
            name += " *"
        lines.append(f"| {name} | " + " | ".join(_cell(r, k, n_seeds) for k in columns)
                     + " |")
    if notes:
        lines += [""] + [f"\\* {note}" for note in notes]
    return "\n".join(lines)


def format_claims(claims):
    """One line per claim: whether it holds, in how many seeds, and by how much."""
    lines = []
    for c in claims:
        margin = f" by more than {c['margin']}" if c["margin"] else ""
        lines.append(
            f"- {'holds' if c['holds'] else 'does NOT hold'}: {c['claim']} — "
            f"{c['metric']} higher{margin} in {c['n_above']} of {c['n_seeds']} seeds "
            f"(lower in {c['n_below']}), mean difference "
            f"{c['mean_difference']:+.3f} ± {c['std_difference']:.3f}")
    return "\n".join(lines)


def _plot_curves(curves, n_seeds, path):
    fig = Figure(figsize=(10, 4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, curve in curves.items():
        for ax, key in ((ax_loss, "valid_loss"), (ax_acc, "valid_acc")):
            mean, std = np.asarray(curve[key]["mean"]), np.asarray(curve[key]["std"])
            epochs = np.arange(1, len(mean) + 1)
            line, = ax.plot(epochs, mean, label=name)
            if n_seeds > 1:
                ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(),
                                alpha=0.15, linewidth=0)
    band = f" (mean ± sd over {n_seeds} seeds)" if n_seeds > 1 else ""
    ax_loss.set(xlabel="epoch", ylabel="validation loss", title="Validation loss" + band)
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy",
               title="Validation accuracy" + band)
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_confusion(name, y_test, y_pred, labels, n_seeds, path):
    fig = Figure(figsize=(6, 5.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(y_test, y_pred, labels=labels, ax=ax,
                                            xticks_rotation=45, colorbar=False)
    pooled = f", test videos of {n_seeds} seeds pooled" if n_seeds > 1 else ""
    ax.set_title(f"Best row: {name}{pooled}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _write_csv(rows, path):
    columns = _columns(rows)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "n_seeds"]
                        + [f"{k}_{s}" for k in columns for s in ("mean", "std")]
                        + ["error"])
        for r in rows:
            cells = []
            for k in columns:
                cells += ([f"{r[k]['mean']:.6f}", f"{r[k]['std']:.6f}"] if k in r
                          else ["", ""])
            error = "; ".join(f"seed {s}: {e}" for s, e in sorted(r["errors"].items()))
            writer.writerow([r["name"], len(r["seeds"])] + cells + [error])


def write_report(results, out, *, run_info):
    """Write ``results.csv``, ``results.md``, ``run.json`` and the PNG plots to ``out``.

    Parameters
    ----------
    results : dict
        From :func:`run_reproduction`.
    out : pathlib.Path
        Output folder (created).
    run_info : dict
        Command-line settings and data description; stored in ``run.json``.

    Returns
    -------
    paths : dict
        Name -> path of every file written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from skvideo_imb.experiments import write_report
    >>> from skvideo_imb.experiments._summary import summarise_rows
    >>> runs = [{"seed": seed, "y_test": ["a", "b"], "curves": {}, "rows": [
    ...     {"name": "CNN-LSTM", "row": {}, "accuracy": acc, "f1_macro": acc,
    ...      "f1_weighted": acc, "fit_time_s": 1.0, "y_pred": ["a", "a"]}]}
    ...     for seed, acc in ((0, 0.5), (1, 1.0))]
    >>> results = {"runs": runs, "rows": summarise_rows(runs), "curves": {},
    ...            "seeds": [0, 1], "labels": ["a", "b"], "settings": {}}
    >>> tmp = tempfile.TemporaryDirectory()
    >>> paths = write_report(results, pathlib.Path(tmp.name), run_info={})
    >>> sorted(paths)
    ['confusion', 'csv', 'json', 'markdown']
    >>> "±" in paths["markdown"].read_text()
    True
    >>> tmp.cleanup()
    """
    out.mkdir(parents=True, exist_ok=True)
    rows, runs, n_seeds = results["rows"], results["runs"], len(results["runs"])
    paths = {"csv": out / "results.csv", "markdown": out / "results.md",
             "json": out / "run.json", "confusion": out / "confusion_matrix.png"}
    _write_csv(rows, paths["csv"])
    claims = check_claims(runs)
    seeds = ", ".join(map(str, results["seeds"]))
    paths["markdown"].write_text(
        f"Seeds: {seeds} ({'mean ± sd over the seeds' if n_seeds > 1 else 'one run'}).\n\n"
        + format_markdown(rows, n_seeds) + "\n\nClaims, as measured (decided per seed):\n\n"
        + format_claims(claims) + "\n")
    scored = [r for r in rows if "f1_macro" in r]
    best = max(scored, key=lambda r: r["f1_macro"]["mean"])
    pairs = [(y, p) for run in runs for r in run["rows"] if r["name"] == best["name"]
             and "y_pred" in r for y, p in zip(run["y_test"], r["y_pred"])]
    _plot_confusion(best["name"], [y for y, _ in pairs], [p for _, p in pairs],
                    results["labels"], n_seeds, paths["confusion"])
    if results["curves"]:
        paths["curves"] = out / "validation_curves.png"
        _plot_curves(results["curves"], n_seeds, paths["curves"])
    record = {**run_info, "seeds": results["seeds"], "settings": results["settings"],
              "versions": package_versions(), "labels": results["labels"],
              "summary": rows, "claims": claims, "curves": results["curves"],
              "runs": _plain(runs)}
    paths["json"].write_text(json.dumps(record, indent=2, default=str))
    return paths


def _plain(value):
    """``value`` with numpy arrays and scalars turned into lists and floats, for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
