"""Writing the reproduction report: tables, per-run JSON, plots and measured claims."""

import csv
import json
import platform
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

__all__ = ["check_claims", "format_markdown", "package_versions", "write_report"]

_COLUMNS = [("accuracy", "Acc"), ("f1_macro", "F1 (macro)"),
            ("f1_weighted", "Weighted F1"), ("f1_order_only", "F1 (order-only classes)"),
            ("fit_time_s", "Fit time (s)")]
_PACKAGES = ("skvideo-imb", "numpy", "scikit-learn", "imbalanced-learn", "torch",
             "torchvision", "skorch", "opencv-python")


def package_versions():
    """Installed versions of the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _columns(rows):
    scored = [r for r in rows if "error" not in r]
    return [(key, title) for key, title in _COLUMNS if all(key in r for r in scored)]


def _cell(row, key):
    if key not in row:
        return "n/a"
    return f"{row[key]:.1f}" if key == "fit_time_s" else f"{row[key]:.3f}"


def format_markdown(rows):
    """The results as a Markdown table in the paper's layout (one row per model)."""
    columns = _columns(rows)
    lines = ["| Model | " + " | ".join(t for _, t in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    notes = []
    for r in rows:
        name = r["name"]
        if "error" in r:
            notes.append(f"{name}: {r['error']}")
            name += " *"
        lines.append(f"| {name} | " + " | ".join(_cell(r, k) for k, _ in columns) + " |")
    if notes:
        lines += [""] + [f"\\* did not run: {note}" for note in notes]
    return "\n".join(lines)


def check_claims(rows):
    """Compare rows the way the paper does; each claim is measured, not assumed.

    Returns a list of dicts with ``claim``, ``holds`` (bool) and the numbers compared.
    """
    by_name = {r["name"]: r for r in rows if "error" not in r}
    claims = []

    def compare(claim, better, worse, key):
        if better in by_name and worse in by_name:
            a, b = by_name[better][key], by_name[worse][key]
            claims.append({"claim": claim, "holds": bool(a > b), "metric": key,
                           "better": better, "better_value": a,
                           "worse": worse, "worse_value": b})

    compare("video oversampling raises macro F1 (CNN-LSTM)",
            "CNN-LSTM + video oversampling", "CNN-LSTM", "f1_macro")
    compare("video oversampling raises macro F1 (CNN-LSTM + class weighting)",
            "CNN-LSTM + video oversampling + class weighting",
            "CNN-LSTM + class weighting", "f1_macro")
    frames = "Spatial CNN (mean-pooled frames + logistic regression)"
    if frames in by_name and "f1_order_only" in by_name[frames]:
        for r in rows:
            if r["name"].startswith("CNN-ResBiLSTM + video"):
                compare(f"{r['name']} beats the frame-only baseline on order-only classes",
                        r["name"], frames, "f1_order_only")
    return claims


# Figures are made with matplotlib's object-oriented API and saved by their own canvas:
# no pyplot, so writing a report never changes the process's matplotlib backend.

def _plot_curves(curves, path):
    fig = Figure(figsize=(10, 4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, curve in curves.items():
        epochs = np.arange(1, len(curve["valid_loss"]) + 1)
        ax_loss.plot(epochs, curve["valid_loss"], label=name)
        ax_acc.plot(epochs, curve["valid_acc"], label=name)
    ax_loss.set(xlabel="epoch", ylabel="validation loss", title="Validation loss")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_confusion(row, y_test, labels, path):
    fig = Figure(figsize=(6, 5.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(y_test, row["y_pred"], labels=labels, ax=ax,
                                            xticks_rotation=45, colorbar=False)
    ax.set_title(f"Best row: {row['name']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(results, out, *, run_info):
    """Write ``results.csv``, ``results.md``, ``run.json`` and the PNG plots to ``out``.

    Parameters
    ----------
    results : dict
        From :func:`run_reproduction`.
    out : pathlib.Path
        Output folder (created).
    run_info : dict
        Command-line settings, seeds, data description; stored in ``run.json``.

    Returns
    -------
    paths : dict
        Name -> path of every file written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from skvideo_imb.experiments import write_report
    >>> row = {"name": "CNN-LSTM", "accuracy": 0.5, "f1_macro": 0.33, "f1_weighted": 0.33,
    ...        "fit_time_s": 1.0, "y_pred": ["a", "a"]}
    >>> results = {"rows": [row], "curves": {}, "settings": {}, "labels": ["a", "b"],
    ...            "y_test": ["a", "b"], "featurizer_fit_time_s": 0.0}
    >>> paths = write_report(results, pathlib.Path(tempfile.mkdtemp()), run_info={})
    >>> sorted(paths)
    ['confusion', 'csv', 'json', 'markdown']
    """
    out.mkdir(parents=True, exist_ok=True)
    rows = results["rows"]
    columns = _columns(rows)
    paths = {"csv": out / "results.csv", "markdown": out / "results.md",
             "json": out / "run.json", "confusion": out / "confusion_matrix.png"}
    with open(paths["csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model"] + [k for k, _ in columns] + ["error"])
        for r in rows:
            writer.writerow([r["name"]] + [f"{r[k]:.6f}" if k in r else ""
                                           for k, _ in columns] + [r.get("error", "")])
    claims = check_claims(rows)
    table = format_markdown(rows)
    claim_lines = [f"- {'holds' if c['holds'] else 'does NOT hold'}: {c['claim']} "
                   f"({c['metric']} {c['better_value']:.3f} vs {c['worse_value']:.3f})"
                   for c in claims]
    paths["markdown"].write_text(table + "\n\nClaims, as measured:\n\n"
                                 + "\n".join(claim_lines) + "\n")
    best = max((r for r in rows if "error" not in r), key=lambda r: r["f1_macro"])
    _plot_confusion(best, results["y_test"], results["labels"], paths["confusion"])
    if results["curves"]:
        paths["curves"] = out / "validation_curves.png"
        _plot_curves(results["curves"], paths["curves"])
    record = {**run_info, "settings": results["settings"], "versions": package_versions(),
              "featurizer_fit_time_s": results["featurizer_fit_time_s"],
              "labels": results["labels"], "y_test": results["y_test"],
              "rows": rows, "claims": claims,
              "curves": {k: {m: list(map(float, v)) for m, v in c.items()}
                         for k, c in results["curves"].items()}}
    paths["json"].write_text(json.dumps(record, indent=2, default=str))
    return paths
