"""Which readout, learning rate and number of epochs for the quick profile: a seed study.

For each data set (the built-in synthetic set, and a harder skew whose two minority
classes keep at most 5 training videos) and each seed, the data are split, the
featurizer is fitted (random weights, BatchNorm recalibrated, the quick profile's
8 frames at 75 px) and the features of the training videos, of their video-oversampled
clips and of the test videos are computed once.  Then every classifier setting is
fitted on the same features:

* VO + CNN-LSTM (one layer, forward only: the readout does not apply);
* VO + CNN-ResBiLSTM with readout ``ends``, ``last`` and ``mean``;

each with and without ``class_weight="balanced"``, for every (learning rate, epochs)
pair asked for, plus the frame-only baseline (mean-pooled features, logistic
regression).  Scores are macro F1 on the test videos and macro F1 over the order-only
classes.  The table prints mean ± standard deviation over seeds, and for each
ResBiLSTM setting how often it beats the CNN-LSTM of the same (lr, epochs, weighting)
on the same seed.  Nothing is asserted.

Usage::

    python benchmarks/readout_study.py --seeds 5 --jobs 2 --out benchmarks/_out/readout
"""

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvideo_imb import InceptionFeaturizer, ResBiLSTMClassifier, SpatioTemporalOverSampler
from skvideo_imb.datasets import ORDER_ONLY_PAIRS, make_synthetic_videos
from skvideo_imb.experiments import PROFILES
from sklearn.model_selection import train_test_split

HARD_SKEW = {"brighten": 40, "darken": 6, "move_right": 30, "move_left": 5,
             "checkerboard": 15}
"""A harder skew: 70/30 splits leave 3-4 training videos in each minority class."""

ORDER_ONLY = sorted(c for pair in ORDER_ONLY_PAIRS for c in pair)
ARCHITECTURES = {
    "CNN-LSTM": dict(num_layers=1, bidirectional=False, residual=False),
    "ResBiLSTM": dict(num_layers=2, bidirectional=True, residual=True),
}


def split(dataset, seed):
    X, y = make_synthetic_videos(None if dataset == "builtin" else HARD_SKEW,
                                 random_state=seed)
    index = np.arange(len(X))
    train, test = train_test_split(index, test_size=0.3, stratify=y, random_state=seed)
    return [X[i] for i in train], y[train], [X[i] for i in test], y[test]


def features(dataset, seed, settings):
    X_train, y_train, X_test, y_test = split(dataset, seed)
    featurizer = InceptionFeaturizer(n_frames=settings["n_frames"], weights=None,
                                     image_size=settings["image_size"],
                                     batch_size=settings["featurizer_batch_size"],
                                     random_state=seed).fit(X_train)
    clips, y_clips = SpatioTemporalOverSampler(
        n_frames=settings["n_frames"], random_state=seed).fit_resample(X_train, y_train)
    return {"F_train": featurizer.transform(X_train), "y_train": y_train,
            "F_clips": featurizer.transform(clips), "y_clips": np.asarray(y_clips),
            "F_test": featurizer.transform(X_test), "y_test": y_test,
            "min_train": int(np.unique(y_train, return_counts=True)[1].min())}


def scores(y_true, y_pred):
    return {"f1_macro": f1_score(y_true, y_pred, average="macro", zero_division=0),
            "f1_order_only": f1_score(y_true, y_pred, labels=ORDER_ONLY, average="macro",
                                      zero_division=0)}


def fit_one(data, settings, model, readout, lr, epochs, class_weight, seed):
    torch.set_num_threads(1)
    start = time.perf_counter()
    clf = ResBiLSTMClassifier(
        n_frames=settings["n_frames"], hidden_size=settings["hidden_size"],
        fc_size=settings["fc_size"], max_epochs=epochs, lr=lr,
        weight_decay=settings["weight_decay"], batch_size=settings["batch_size"],
        class_weight="balanced" if class_weight else None, readout=readout,
        random_state=seed, device="cpu", **ARCHITECTURES[model])
    clf.fit(data["F_clips"], data["y_clips"])
    return {**scores(data["y_test"], clf.predict(data["F_test"])),
            "fit_s": time.perf_counter() - start}


def frame_only(data, settings):
    n = settings["n_frames"]
    pooled = [F.reshape(len(F), n, -1).mean(axis=1) for F in (data["F_train"], data["F_test"])]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(pooled[0], data["y_train"])
    return scores(data["y_test"], model.predict(pooled[1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=["builtin", "hard"])
    parser.add_argument("--readouts", nargs="+", default=["ends", "last", "mean"])
    parser.add_argument("--schedules", nargs="+", default=["1e-3:60", "3e-3:60", "1e-3:120"],
                        help="lr:epochs pairs")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/_out/readout")
    args = parser.parse_args(argv)
    settings = dict(PROFILES["quick"])
    schedules = [(float(lr), int(ep)) for lr, ep in (s.split(":") for s in args.schedules)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    start = time.perf_counter()
    for dataset, seed in itertools.product(args.datasets, range(args.seeds)):
        data = features(dataset, seed, settings)
        tasks = [("CNN-LSTM", "last", lr, ep, cw) for (lr, ep), cw in
                 itertools.product(schedules, (False, True))]
        tasks += [("ResBiLSTM", r, lr, ep, cw) for r, (lr, ep), cw in
                  itertools.product(args.readouts, schedules, (False, True))]
        results = Parallel(n_jobs=args.jobs)(
            delayed(fit_one)(data, settings, m, r, lr, ep, cw, seed)
            for m, r, lr, ep, cw in tasks)
        base = {"dataset": dataset, "seed": seed, "min_train_videos": data["min_train"]}
        records.append({**base, "model": "frames", **frame_only(data, settings)})
        for (m, r, lr, ep, cw), res in zip(tasks, results):
            records.append({**base, "model": m, "readout": r, "lr": lr, "epochs": ep,
                            "class_weight": cw, **res})
        print(f"{dataset} seed {seed}: {len(tasks)} fits, "
              f"{time.perf_counter() - start:.0f}s so far", flush=True)
        (out / "records.json").write_text(json.dumps(records, indent=1))
    print(summarise(records))


def mean_sd(values):
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.3f} ± {sd:.3f}"


def summarise(records):
    lines = []
    for dataset in sorted({r["dataset"] for r in records}):
        rows = [r for r in records if r["dataset"] == dataset]
        frames = {r["seed"]: r for r in rows if r["model"] == "frames"}
        fo = np.array([frames[s]["f1_order_only"] for s in sorted(frames)])
        lines.append(f"\n{dataset}: {len(frames)} seeds; frame-only order-only F1 "
                     f"{mean_sd(fo)}; smallest training class "
                     f"{min(r['min_train_videos'] for r in rows)} videos")
        lines.append("| model | readout | lr | epochs | class weight | macro F1 | "
                     "order-only F1 | vs CNN-LSTM (wins, mean diff) | fit s |")
        lines.append("|---|---|---:|---:|---|---:|---:|---:|---:|")
        keys = sorted({(r["model"], r["readout"], r["lr"], r["epochs"], r["class_weight"])
                       for r in rows if r["model"] != "frames"})
        for key in keys:
            runs = {r["seed"]: r for r in rows if r["model"] != "frames" and
                    (r["model"], r["readout"], r["lr"], r["epochs"], r["class_weight"]) == key}
            seeds = sorted(runs)
            f1 = np.array([runs[s]["f1_macro"] for s in seeds])
            oo = np.array([runs[s]["f1_order_only"] for s in seeds])
            vs = ""
            if key[0] == "ResBiLSTM":
                lstm = {r["seed"]: r for r in rows if r["model"] == "CNN-LSTM" and
                        (r["lr"], r["epochs"], r["class_weight"]) == key[2:]}
                diff = f1 - np.array([lstm[s]["f1_macro"] for s in seeds])
                vs = f"{int((diff > 0).sum())}/{int((diff < 0).sum())}, {diff.mean():+.3f}"
            fit_s = np.mean([runs[s]["fit_s"] for s in seeds])
            lines.append(f"| {key[0]} | {key[1] if key[0] != 'CNN-LSTM' else '-'} | "
                         f"{key[2]:g} | {key[3]} | {'yes' if key[4] else 'no'} | "
                         f"{mean_sd(f1)} | {mean_sd(oo)} | {vs} | {fit_s:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.exit(main())
