"""What the int8 engine costs downstream, and what it gains: a seed study.

For each data set (the built-in synthetic set, and the harder skew of
``readout_study.py``) and each seed, the data are split 70/30 and the paper's pipeline
(video oversampling, the featurizer, the two-layer ResBiLSTM, the quick profile's
sizes) is fitted twice on the same split and seed, once with ``engine="openvino"``
(bf16 where the CPU has it, else fp32) and once with ``engine="openvino-int8"``; the
two differ only in the engine.  Scores: macro F1 on the test videos.  The table prints
mean ± standard deviation over seeds and the paired difference int8 − float.

Per-frame agreement is reported on a network where it means something: a randomly
initialised InceptionV3 amplifies rounding (its own bf16 features have a cosine of
about 0.6 to its fp32 ones), so the cosine of int8 to fp32 features is measured on a
ResNet-18 (BatchNorm recalibrated), whose bf16 features agree with its fp32 ones.

Throughput of the engines alone (ready uint8 frames, batch 32) at the study's size and
at 299 px closes the report.  Nothing is asserted.

Usage::

    python benchmarks/int8_quality.py --seeds 3
"""

import argparse
import time

import numpy as np
import torch

from skvideo_imb import InceptionFeaturizer
from skvideo_imb.experiments import PROFILES
from skvideo_imb.pipeline import make_video_pipeline

from readout_study import split
from featurize import pure_forward

ENGINES = ("openvino", "openvino-int8")


def f1_for(dataset, seed, engine, settings):
    from sklearn.metrics import f1_score
    X_train, y_train, X_test, y_test = split(dataset, seed)
    pipe = make_video_pipeline(
        "spatiotemporal", n_frames=settings["n_frames"],
        featurizer=dict(weights=None, image_size=settings["image_size"], engine=engine,
                        batch_size=settings["featurizer_batch_size"]),
        classifier=dict(hidden_size=settings["hidden_size"], fc_size=settings["fc_size"],
                        max_epochs=settings["max_epochs"], lr=settings["lr"],
                        weight_decay=settings["weight_decay"],
                        batch_size=settings["batch_size"], device="cpu"),
        random_state=seed)
    pipe.fit(X_train, y_train)
    return f1_score(y_test, pipe.predict(X_test), average="macro", zero_division=0)


def cosines(seed):
    X_train, _, X_test, _ = split("builtin", seed)
    out = {}
    for engine in ("torch", "openvino-int8"):
        featurizer = InceptionFeaturizer(
            n_frames=8, backbone="resnet18", weights=None, image_size=112,
            precision="fp32", engine=engine, random_state=seed).fit(X_train)
        out[engine] = featurizer.transform(X_test).reshape(-1, featurizer.n_frame_features_)
    a, b = out["torch"], out["openvino-int8"]
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    parser.add_argument("--speed-only", action="store_true",
                        help="only the engines' forward speed and build time")
    args = parser.parse_args(argv)
    settings = PROFILES[args.profile]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; profile "
          f"{args.profile}: {settings['n_frames']} frames at {settings['image_size']} px, "
          f"{settings['max_epochs']} epochs", flush=True)
    if not args.speed_only:
        quality(args, settings)
    speed(settings)


def quality(args, settings):
    print("\n| data | engine | macro F1 (mean ± sd) | int8 − float (mean, per seed) |")
    print("|---|---|---:|---|")
    for dataset in ("builtin", "hard-skew"):
        f1 = {e: [] for e in ENGINES}
        for seed in range(args.seeds):
            for engine in ENGINES:
                f1[engine].append(f1_for(dataset, seed, engine, settings))
            print(f"  {dataset} seed {seed}: " + ", ".join(
                f"{e} {f1[e][-1]:.3f}" for e in ENGINES), flush=True)
        diff = np.array(f1["openvino-int8"]) - np.array(f1["openvino"])
        for engine in ENGINES:
            values = np.array(f1[engine])
            extra = (f"{diff.mean():+.3f} ({', '.join(f'{d:+.3f}' for d in diff)})"
                     if engine == "openvino-int8" else "")
            print(f"| {dataset} | {engine} | {values.mean():.3f} ± {values.std():.3f} | "
                  f"{extra} |")
    cos = np.concatenate([cosines(seed) for seed in range(args.seeds)])
    print(f"\nper-frame cosine, int8 against fp32 (ResNet-18 at 112 px, {len(cos)} test "
          f"frames): min {cos.min():.3f}, mean {cos.mean():.3f}")


def speed(settings):
    X_train, *_ = split("builtin", 0)
    print("\n| engine | size | precision | forward (frames/s) | build (s) |")
    print("|---|---:|---|---:|---:|")
    for size in sorted({settings["image_size"], 299}):
        for engine in ENGINES:
            featurizer = InceptionFeaturizer(n_frames=8, weights=None, image_size=size,
                                             engine=engine, n_calibration_frames=64,
                                             random_state=0).fit(X_train[:8])
            start = time.perf_counter()
            featurizer._get_engine()
            build = time.perf_counter() - start
            print(f"| {engine} | {size} | {featurizer.precision_} | "
                  f"{pure_forward(featurizer, 128):.0f} | {build:.1f} |", flush=True)


if __name__ == "__main__":
    main()
