"""``skvideo-imb fit DATA --out MODEL``: train the paper's pipeline on your own videos."""

import ast
import json
import os
import sys
import time

import numpy as np

from .._recipes import (FROZEN_STEP, PROFILES, SAMPLERS, build_pipeline, class_counts,
                        cross_validator, describe_profiles, has_groups, hold_out,
                        make_classifier, make_featurizer, parse_data_spec, parse_weights,
                        profile_settings)
from ..metrics import imbalanced_scores
from ..models import LOSSES

__all__ = ["add_parser", "run"]


def add_parser(sub):
    parser = sub.add_parser(
        "fit", help="train the pipeline on a class-per-folder tree and save the model",
        description="Train the paper's pipeline (video oversampling, InceptionV3 frame "
        "features, residual bidirectional LSTM) on a class-per-folder tree of videos "
        "(DATA/<class>/<video>) or on UCF101 (ucf101:ROOT, split 1's training list).  "
        "Part of the videos is held out before any oversampling and scored; the model is "
        "saved as one file (skops format) with a JSON card beside it, and the validation "
        "report and confusion matrix beside that.")
    parser.add_argument("data", metavar="DATA",
                        help="a class-per-folder PATH, or 'ucf101:ROOT'")
    parser.add_argument("--out", required=True, metavar="MODEL",
                        help="the model file to write (e.g. model.skops); the card is "
                        "MODEL.json, the validation report MODEL.validation.txt and its "
                        "confusion matrix MODEL.confusion.png")
    parser.add_argument("--profile", choices=list(PROFILES), default="quick",
                        help="sizes and training (default quick): " + describe_profiles())
    parser.add_argument("--weights", default="DEFAULT",
                        help="backbone weights: DEFAULT (torchvision's ImageNet weights, "
                        "downloaded or from torch.hub's cache; default), none (random, "
                        "BatchNorm recalibrated on the training videos) or the path of a "
                        "local state-dict file")
    parser.add_argument("--oversampler", choices=SAMPLERS, default="video",
                        help="video: the paper's spatio-temporal oversampling of the videos "
                        "(default); smote, adasyn, random: imbalanced-learn's SMOTE, ADASYN "
                        "or RandomOverSampler on the frame features; none")
    parser.add_argument("--class-weight", choices=["balanced", "none"], default="none",
                        help="weight the loss by inverse class frequency (default none)")
    parser.add_argument("--loss", choices=LOSSES, default="cross_entropy", metavar="LOSS",
                        help="the classifier's training loss: cross_entropy (default, the "
                        "paper's); focal, class_balanced, ldam (LDAM with deferred "
                        "re-weighting), balanced_softmax, logit_adjusted: long-tail "
                        "losses, with the class counts after oversampling")
    parser.add_argument("--posthoc-tau", type=float, default=None, metavar="TAU",
                        help="post-hoc logit adjustment at prediction: subtract TAU * "
                        "log(class prior) from the logits (default: none; 1 is Menon et "
                        "al.'s)")
    parser.add_argument("--sampler", choices=["none", "class_balanced"], default="none",
                        help="how training batches are drawn: none (each sample once per "
                        "epoch, default) or class_balanced (classes equally often)")
    parser.add_argument("--cache", default=None, metavar="DIR",
                        help="feature cache folder, kept for later runs (default: a "
                        "temporary one)")
    parser.add_argument("--validation-fraction", type=float, default=0.2, metavar="F",
                        help="share of the videos held out, stratified, before any "
                        "oversampling, and scored (default 0.2; 0 trains on everything)")
    parser.add_argument("--search", action="append", default=[], metavar="PARAM=V1,V2",
                        help="grid-search a pipeline parameter (repeatable), e.g. "
                        "'hidden_size=64,128' or 'resbilstmclassifier__lr=1e-3,3e-3'; "
                        "scored by macro F1 with --cv folds, the best is kept")
    parser.add_argument("--cv", type=int, default=3, metavar="K",
                        help="cross-validation folds of --search (default 3)")
    parser.add_argument("--n-frames", type=int, default=None, metavar="N",
                        help="frames per video (default: the profile's)")
    parser.add_argument("--epochs", type=int, default=None, metavar="N",
                        help="training epochs (default: the profile's)")
    parser.add_argument("--device", default="auto",
                        help="auto (CUDA when present), cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the split, the sampling and the networks (default 0)")
    parser.set_defaults(run=run)


def _load(data):
    from ..datasets import load_ucf101, load_video_folder

    spec = parse_data_spec(data, synthetic=False)
    if spec.kind == "ucf101":
        X, _, y, _ = load_ucf101(spec.location, split=1, return_X_y=True)
        return list(X), np.asarray(y)
    videos, target = load_video_folder(spec.location, return_X_y=True)
    return list(videos), np.asarray(target)


def _check_options(args, parser):
    """What is wrong with the options, found before minutes of featurizing."""
    for option, value, least in (("--epochs", args.epochs, 1), ("--n-frames", args.n_frames, 1),
                                 ("--cv", args.cv, 2)):
        if value is not None and value < least:
            parser.error(f"{option} must be at least {least}, got {value}")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"--out {args.out}: the folder {folder} does not exist")


def _split(X, y, fraction, seed, parser):
    """(X_fit, y_fit, X_valid, y_valid, groups of X_fit): the clips of one source
    video (a UCF101 group) all on one side."""
    from ..datasets import video_groups

    groups = video_groups(X)
    if fraction == 0:
        return X, y, [], np.asarray([], dtype=y.dtype), groups
    if not 0 < fraction < 1:
        parser.error(f"--validation-fraction must be in [0, 1), got {fraction}")
    small = [c for c, n in class_counts(y).items() if n < 2]
    if small:
        raise ValueError(f"--validation-fraction {fraction} needs at least 2 videos per "
                         f"class; {', '.join(small)} has 1. Add videos or pass "
                         "--validation-fraction 0.")
    fit_idx, valid_idx = hold_out(y, fraction, seed, groups)
    return ([X[i] for i in fit_idx], y[fit_idx], [X[i] for i in valid_idx], y[valid_idx],
            groups[fit_idx])


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {"none": None, "true": True, "false": False}.get(text.lower(), text)


def _grid(specs, pipe, parser):
    grid = {}
    names = [k for k in pipe.get_params() if "__" in k]
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not values:
            parser.error(f"--search {spec!r}: expected PARAM=V1,V2,...")
        if "__" not in name:
            matches = sorted(k for k in names if k.endswith("__" + name)
                             and not k.startswith(FROZEN_STEP + "__"))
            if len(matches) != 1:
                parser.error(f"--search {spec!r}: {name!r} names "
                             f"{'no' if not matches else 'several'} pipeline parameters"
                             f"{': ' + ', '.join(matches) if matches else ''}; write "
                             "STEP__PARAM")
            name = matches[0]
        if name not in pipe.get_params():
            parser.error(f"--search {spec!r}: no pipeline parameter {name!r}")
        if name.startswith(FROZEN_STEP + "__") or name.endswith("n_frames"):
            parser.error(f"--search {spec!r}: the featurizer is fitted once and frozen; "
                         "search the sampler's and the classifier's parameters")
        grid[name] = [_value(v) for v in values.split(",")]
    return grid


def _build(args, X_fit, y_fit, cache, log):
    """The featurizer, fitted once on ``X_fit``, and the pipeline around it, frozen."""

    settings = profile_settings(args.profile, n_frames=args.n_frames, max_epochs=args.epochs)
    weights = parse_weights(args.weights)
    featurizer = make_featurizer(settings, weights=weights, cache=cache, device=args.device,
                                 verbose=1, random_state=args.seed)
    log(f"featurizer: {featurizer.backbone} at {featurizer.image_size}px, weights "
        f"{weights}, fitting on {len(X_fit)} videos")
    featurizer.fit(X_fit)  # once; every fit below shares its network and cache
    classifier = make_classifier(
        settings, class_weight=None if args.class_weight == "none" else args.class_weight,
        random_state=args.seed, log=log, device=args.device, loss=args.loss,
        posthoc_tau=args.posthoc_tau, sampler=None if args.sampler == "none" else args.sampler)
    pipe = build_pipeline(args.oversampler, featurizer, classifier, y_fit,
                          random_state=args.seed, n_splits=args.cv if args.search else None)
    return pipe, featurizer, settings, weights


def run(args, parser, argv=None):
    import tempfile

    from sklearn.model_selection import GridSearchCV

    from .._persistence import card_path, save_model
    from .._progress import command_log

    _check_options(args, parser)
    log = command_log(args.quiet)
    start = time.perf_counter()
    X, y = _load(args.data)
    X_fit, y_fit, X_valid, y_valid, groups = _split(X, y, args.validation_fraction,
                                                    args.seed, parser)
    counts = class_counts(y_fit)
    if len(counts) < 2:
        raise ValueError(f"{args.data!r} holds one class ({', '.join(counts)}); a "
                         "classifier needs at least two.")
    log(f"skvideo-imb fit: {len(X)} videos, {len(counts)} classes; training on "
        f"{len(X_fit)} {counts}, validating on {len(X_valid)}")
    if args.search:  # every fold's training part must hold every class
        sources = {c: len(set(groups[y_fit == c])) for c in counts}
        few = {c: n for c, n in sources.items() if n < args.cv}
        if few:
            raise ValueError(f"--cv {args.cv} needs at least {args.cv} training "
                             f"{'source videos' if has_groups(groups) else 'videos'} per "
                             f"class; {', '.join(f'{c} has {n}' for c, n in few.items())}. "
                             "Lower --cv or add videos.")
    if has_groups(groups):
        log(f"the clips of one source video stay together in every split "
            f"({len(set(groups))} sources among the {len(X_fit)} training videos)")
    with tempfile.TemporaryDirectory(prefix="skvideo_imb_cache_") as scratch:
        cache = args.cache or scratch
        pipe, featurizer, settings, weights = _build(args, X_fit, y_fit, cache, log)
        search_info = None
        if args.search:
            grid = _grid(args.search, pipe, parser)
            log(f"search: {grid}, {args.cv} folds, macro F1")
            search = GridSearchCV(pipe, grid, scoring="f1_macro", refit=True,
                                  cv=cross_validator(args.cv, args.seed, groups))
            pipe = search.fit(X_fit, y_fit, groups=groups).best_estimator_
            search_info = {"grid": grid, "n_splits": search.n_splits_,
                           "best_params": search.best_params_,
                           "best_cv_f1_macro": float(search.best_score_),
                           "cv_f1_macro": [float(s) for s in
                                           search.cv_results_["mean_test_score"]]}
            log(f"search: best {search.best_params_} (cv macro F1 "
                f"{search.best_score_:.3f})")
        else:
            pipe.fit(X_fit, y_fit)
        featurizer.set_params(verbose=0, cache=args.cache)
        validation = _validate(pipe, X_valid, y_valid, args.out, log) if X_valid else None
        train_time = time.perf_counter() - start
        card = {"data": args.data, "classes": [str(c) for c in pipe.classes_],
                "train_class_counts": counts,
                "validation_class_counts": class_counts(y_valid),
                "settings": {"profile": args.profile, "n_frames": settings["n_frames"],
                             "image_size": settings["image_size"], "weights": weights,
                             "weights_source": featurizer.weights_source_,
                             "oversampler": args.oversampler,
                             "class_weight": args.class_weight, "seed": args.seed,
                             "engine": featurizer.engine_, "device": featurizer.device_,
                             "classifier": {k: v for k, v in pipe[-1].get_params(
                                 deep=False).items() if isinstance(v, (int, float, str,
                                                                      type(None)))}},
                "search": search_info, "validation": validation,
                "train_time_s": round(train_time, 1),
                "command": "skvideo-imb " + " ".join(argv if argv is not None
                                                      else sys.argv[1:])}
        save_model(pipe, args.out, card=card)
    log(f"saved {args.out} and {card_path(args.out)} in {train_time:.0f}s")
    return 0


def _validate(pipe, X_valid, y_valid, out, log):
    from imblearn.metrics import classification_report_imbalanced
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report

    y_pred = pipe.predict(X_valid)
    labels = list(pipe.classes_)
    # per class: precision, recall, specificity, F1, G-mean and IBA (imbalanced-learn)
    report = classification_report_imbalanced(y_valid, y_pred, labels=labels,
                                              zero_division=0)
    scores = {**imbalanced_scores(y_valid, y_pred), "n_videos": len(y_valid),
              "per_class": {str(c): v for c, v in classification_report(
                  y_valid, y_pred, labels=labels, zero_division=0,
                  output_dict=True).items() if c in map(str, labels)}}
    text = (f"validation on {len(y_valid)} held-out videos: accuracy "
            f"{scores['accuracy']:.3f}, macro F1 {scores['f1_macro']:.3f}, balanced "
            f"accuracy {scores['balanced_accuracy']:.3f}, G-mean {scores['gmean']:.3f}"
            f"\n\n{report}")
    log(text)
    with open(out + ".validation.txt", "w") as f:
        f.write(text)
    fig = Figure(figsize=(6, 5.5))
    ax = fig.subplots()
    ConfusionMatrixDisplay.from_predictions(y_valid, y_pred, labels=labels, ax=ax,
                                            xticks_rotation=45, colorbar=False)
    ax.set_title(f"{len(y_valid)} held-out videos", fontsize=9)
    fig.tight_layout()
    fig.savefig(out + ".confusion.png", dpi=100)
    return json.loads(json.dumps(scores, default=float))
