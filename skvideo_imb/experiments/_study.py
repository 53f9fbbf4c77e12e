"""The long-tail study: data-level against loss-level and decision-level remedies.

Every loss of :data:`~skvideo_imb.models.LOSSES` with and without the paper's video
oversampling, post-hoc logit adjustment and class-balanced batches, all on the
CNN-ResBiLSTM, on data of several skews and over several seeds; each remedy is
compared with plain cross-entropy seed by seed, as the paper's claims are.
"""

import json

import numpy as np
from matplotlib.figure import Figure

from .._versions import package_versions
from ..models import LOSSES
from ._grid import Row
from ._report import _plain, _write_csv, format_claims, format_markdown
from ._run import run_reproduction
from ._summary import _compare

__all__ = ["LONG_TAIL_DATA", "LONG_TAIL_ROWS", "check_long_tail_claims",
           "run_long_tail_study", "write_long_tail_report"]

BASELINE = "cross-entropy"
_VIDEO = " + video oversampling"
_POSTHOC = " + post-hoc adjustment (tau=1)"


def _rows():
    rows = []
    for loss in LOSSES:
        name = loss.replace("_", "-")
        rows += [Row(name, model="resbilstm", loss=loss),
                 Row(name + _VIDEO, sampler="video", model="resbilstm", loss=loss)]
    rows += [Row(BASELINE + _POSTHOC, model="resbilstm", posthoc_tau=1.0),
             Row(BASELINE + _VIDEO + _POSTHOC, sampler="video", model="resbilstm",
                 posthoc_tau=1.0),
             Row(BASELINE + " + class-balanced batches", model="resbilstm",
                 batch_sampler="class_balanced")]
    return tuple(rows)


LONG_TAIL_ROWS = _rows()
"""The study's rows, all CNN-ResBiLSTM: each loss without and with video oversampling,
cross-entropy with post-hoc logit adjustment (``tau=1``) without and with video
oversampling, and cross-entropy with class-balanced batches."""

LONG_TAIL_DATA = ("synthetic:moderate", "synthetic", "synthetic:severe")
"""The data the study runs on by default: the synthetic classes at a moderate skew, the
built-in skew and a severe one (see :data:`SYNTHETIC_SKEWS`)."""


def _setting(row):
    return tuple(row.get(key) for key in ("model", "loss", "posthoc_tau", "batch_sampler"))


def check_long_tail_claims(runs):
    """Each remedy against plain cross-entropy, and video oversampling for each loss,
    on macro F1, decided seed by seed.

    Parameters
    ----------
    runs : list of dict
        The per-seed runs of :func:`run_reproduction` over :data:`LONG_TAIL_ROWS`.

    Returns
    -------
    claims : list of dict
        As :func:`check_claims` returns them.

    Examples
    --------
    >>> from skvideo_imb.experiments import check_long_tail_claims
    >>> run = lambda seed, a, b: {"seed": seed, "rows": [
    ...     {"name": "cross-entropy", "f1_macro": a},
    ...     {"name": "focal", "f1_macro": b}]}
    >>> (claim,) = check_long_tail_claims([run(0, 0.6, 0.7), run(1, 0.6, 0.5)])
    >>> claim["claim"], claim["n_above"], claim["n_below"], claim["holds"]
    ('focal raises macro F1 over cross-entropy', 1, 1, False)
    """
    rows = {r["name"]: r.get("row", {}) for run in runs for r in run["rows"]}
    specs = [(f"{name} raises macro F1 over {BASELINE}", name, BASELINE, "f1_macro")
             for name in rows if name != BASELINE]
    # each row without oversampling against its twin with video oversampling (the
    # same loss, post-hoc adjustment and batches)
    twins = {_setting(row): name for name, row in rows.items()
             if row.get("sampler") == "video"}
    specs += [(f"video oversampling raises macro F1 with {name}",
               twins[_setting(row)], name, "f1_macro") for name, row in rows.items()
              if row.get("sampler", "none") == "none" and _setting(row) in twins]
    claims = [_compare(runs, *spec) for spec in specs]
    return [claim for claim in claims if claim is not None]


def run_long_tail_study(data=LONG_TAIL_DATA, *, seeds=range(5), rows=LONG_TAIL_ROWS,
                        **kwargs):
    """Fit the study's rows on each data set over ``seeds``.

    Parameters
    ----------
    data : sequence of str or dict, default=LONG_TAIL_DATA
        Data specifications (or fixed splits) as :func:`run_reproduction` takes them.
    seeds : sequence of int, default=range(5)
    rows : sequence of Row, default=LONG_TAIL_ROWS
    **kwargs
        Passed to :func:`run_reproduction` (``profile``, ``weights``, ``cache``,
        ``device``, ``n_jobs``, ``verbose``, ``log``); no ablations are fitted.

    Returns
    -------
    studies : dict
        ``{name of the data: results of run_reproduction}``.

    Examples
    --------
    >>> from skvideo_imb.datasets import make_synthetic_videos
    >>> from skvideo_imb.experiments import LONG_TAIL_ROWS, run_long_tail_study
    >>> X, y = make_synthetic_videos(4, n_frames=6)
    >>> data = {"name": "tiny", "X_train": X[::2], "y_train": y[::2], "X_test": X[1::2],
    ...         "y_test": y[1::2]}
    >>> studies = run_long_tail_study([data], seeds=[0], rows=LONG_TAIL_ROWS[:2],
    ...                               profile="smoke", verbose=0, log=lambda line: None)
    >>> [r["name"] for r in studies["tiny"]["rows"]]
    ['cross-entropy', 'cross-entropy + video oversampling']
    """
    studies = {}
    for spec in data:
        results = run_reproduction(spec, seeds=seeds, rows=rows, ablations=False,
                                   **kwargs)
        name = results["runs"][0]["data_name"]
        if name in studies:
            raise ValueError(f"two data sets of the study are both named {name!r}.")
        studies[name] = results
    return studies


def _plot(studies, path):
    names = [r["name"] for r in next(iter(studies.values()))["rows"]]
    fig = Figure(figsize=(10, 0.35 * len(names) + 1.5))
    ax = fig.subplots()
    height = 0.8 / len(studies)
    for k, (data_name, results) in enumerate(studies.items()):
        by_name = {r["name"]: r for r in results["rows"]}
        means = [by_name[n]["f1_macro"]["mean"] if "f1_macro" in by_name.get(n, {})
                 else np.nan for n in names]
        stds = [by_name[n]["f1_macro"]["std"] if "f1_macro" in by_name.get(n, {})
                else 0.0 for n in names]
        ax.barh(np.arange(len(names)) + k * height, means, height, xerr=stds,
                label=data_name, capsize=2)
    ax.set_yticks(np.arange(len(names)) + 0.4 - height / 2, names, fontsize=8)
    ax.invert_yaxis()
    n_seeds = len(next(iter(studies.values()))["seeds"])
    ax.set(xlabel=f"macro F1 (mean ± sd over {n_seeds} seeds)", xlim=(0, 1))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_long_tail_report(studies, out, *, run_info):
    """Write ``long_tail.md``, one CSV per data set, ``long_tail.json`` and a figure.

    Parameters
    ----------
    studies : dict
        From :func:`run_long_tail_study`.
    out : pathlib.Path
        Output folder (created).
    run_info : dict
        Command-line settings; stored in the JSON record.

    Returns
    -------
    paths : dict
        Name -> path of every file written.
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "long_tail.md", "json": out / "long_tail.json",
             "figure": out / "long_tail_f1.png"}
    sections, record = [], {**run_info, "versions": package_versions(), "studies": {}}
    for k, (data_name, results) in enumerate(studies.items()):
        runs, n_seeds = results["runs"], len(results["runs"])
        claims = check_long_tail_claims(runs)
        counts = ", ".join(f"{c} {n}" for c, n in runs[0]["train_class_counts"].items())
        sections.append(
            f"## {data_name}\n\nTraining videos of seed {results['seeds'][0]}: {counts}; "
            f"{runs[0]['n_test']} test videos.  Seeds: "
            f"{', '.join(map(str, results['seeds']))}.\n\n"
            + format_markdown(results["rows"], n_seeds)
            + "\n\nClaims, as measured (decided per seed):\n\n" + format_claims(claims))
        paths[f"csv{k}"] = out / f"long_tail_{data_name.replace(':', '_')}.csv"
        _write_csv(results["rows"], paths[f"csv{k}"])
        record["studies"][data_name] = {"seeds": results["seeds"],
                                        "settings": results["settings"],
                                        "summary": results["rows"], "claims": claims,
                                        "runs": _plain(runs)}
    paths["markdown"].write_text("# Long-tail study\n\n" + "\n\n".join(sections) + "\n")
    paths["json"].write_text(json.dumps(record, indent=2, default=str))
    _plot(studies, paths["figure"])
    return paths
