"""``skvideo-imb predict MODEL VIDEO|DIR...``: classify videos, or a long video over time."""

import csv
import json
import sys

import numpy as np

__all__ = ["add_parser", "run"]


def add_parser(sub):
    parser = sub.add_parser(
        "predict", help="classify videos with a saved model (or a long video over time)",
        description="Classify video files and folders with a model saved by `skvideo-imb "
        "fit`: one line per video (path, label, the probability of each class).  A video "
        "that cannot be read is reported in its row and the others are still classified; "
        "the exit status is then 1.  With --window, each video is classified window by "
        "window and a timeline is printed.")
    parser.add_argument("model", metavar="MODEL", help="a model file saved by `fit`")
    parser.add_argument("videos", nargs="+", metavar="VIDEO",
                        help="video files, frame folders, or folders to search for videos")
    parser.add_argument("--csv", metavar="FILE", help="also write the results as CSV")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--cache", metavar="DIR",
                        help="feature cache folder to read and write (default: none; a "
                        "model file never chooses where predict writes)")
    parser.add_argument("--window", type=int, metavar="N",
                        help="classify every window of N frames (a timeline per video)")
    parser.add_argument("--stride", type=int, metavar="S",
                        help="frames between the starts of two windows (default: N, "
                        "windows side by side)")
    parser.add_argument("--plot", metavar="FILE",
                        help="with --window, draw the timelines to FILE (PNG, PDF, SVG)")
    parser.set_defaults(run=run)


def _rows(model, videos):
    """One dict per video: its label and probabilities, or its error."""
    from ..io import check_video

    rows = [{"path": str(v)} for v in videos]
    todo = []
    for row, video in zip(rows, videos):
        try:
            check_video(video)
            todo.append(row)
        except (OSError, ValueError, TypeError) as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
    try:  # all at once (batched); if one fails, one by one to find which
        results = [(row, p) for row, p in zip(todo, model.predict_proba(
            [row["path"] for row in todo]))] if todo else []
    except (OSError, ValueError, RuntimeError):
        results = []
        for row in todo:
            try:
                results.append((row, model.predict_proba([row["path"]])[0]))
            except (OSError, ValueError, RuntimeError) as exc:
                # the video was predicted alone: the loader's "sample 0: " says nothing
                message = str(exc).removeprefix("sample 0: ")
                row["error"] = f"{type(exc).__name__}: {message}"
    classes = [str(c) for c in model.classes_]
    for row, p in results:
        best = int(np.argmax(p))
        row.update(label=classes[best], probability=float(p[best]),
                   probabilities={c: float(q) for c, q in zip(classes, p)})
    return rows, classes


def _print_rows(rows, classes):
    width = max(len(r["path"]) for r in rows)
    print(f"{'video':<{width}}  {'label':<12}  " + "  ".join(f"{c:>10}" for c in classes))
    for r in rows:
        if "error" in r:
            print(f"{r['path']:<{width}}  {'ERROR':<12}  {r['error']}")
        else:
            print(f"{r['path']:<{width}}  {r['label']:<12}  " + "  ".join(
                f"{r['probabilities'][c]:>10.3f}" for c in classes))


def _write(rows, classes, args):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            timeline = any("start_frame" in r for r in rows)
            head = ["path"] + (["start_frame", "end_frame", "start_s", "end_s"]
                               if timeline else [])
            writer.writerow(head + ["label", "probability"] + [f"p_{c}" for c in classes]
                            + ["error"])
            for r in rows:
                probabilities = r.get("probabilities", {})
                writer.writerow([r.get(k, "") for k in head] + [
                    r.get("label", ""), r.get("probability", "")] + [
                    probabilities.get(c, "") for c in classes] + [r.get("error", "")])


def _timelines(model, videos, args):
    from .._timeline import predict_timeline

    rows, timelines = [], {}
    for video in videos:
        try:
            timeline = predict_timeline(model, video, args.window, args.stride or args.window)
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            rows.append({"path": str(video), "error": f"{type(exc).__name__}: {exc}"})
            print(f"{video}: ERROR {type(exc).__name__}: {exc}")
            continue
        timelines[str(video)] = timeline
        print(f"{video}:")
        print(f"  {'frames':>13}  {'seconds':>15}  {'label':<12}  probability")
        for w in timeline:
            seconds = ("-" if w.start_s is None else f"{w.start_s:6.2f}-{w.end_s:6.2f}")
            print(f"  {w.start_frame:>6}-{w.end_frame:<6}  {seconds:>15}  {str(w.label):<12}  "
                  f"{w.probability:.3f}")
            rows.append({"path": str(video), **w.as_dict()})
    return rows, timelines


def _plot(timelines, classes, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 1.2 + 1.6 * len(timelines)))
    axes = fig.subplots(len(timelines), 1, squeeze=False)[:, 0]
    for ax, (video, timeline) in zip(axes, timelines.items()):
        seconds = timeline[0].start_s is not None
        centres = [((w.start_s + w.end_s) / 2 if seconds else
                    (w.start_frame + w.end_frame) / 2) for w in timeline]
        for c in classes:
            ax.plot(centres, [w.probabilities[c] for w in timeline], marker=".", label=c)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("probability")
        ax.set_title(video, fontsize=8)
        ax.set_xlabel("seconds" if seconds else "frame")
    axes[0].legend(fontsize=7, ncol=min(len(classes), 5), loc="upper center",
                   bbox_to_anchor=(0.5, 1.45), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _set_cache(model, folder):
    from .._steps import featurizers as find_featurizers

    featurizers = find_featurizers(model)
    if not featurizers:
        raise ValueError(f"--cache: {type(model).__name__} has no featurizer to cache for")
    for featurizer in featurizers:
        featurizer.set_params(cache=folder)


def run(args, parser, argv=None):
    from .._persistence import load_model
    from ..io import find_videos

    if args.window is not None and args.window < 1:
        parser.error(f"--window must be at least 1 frame, got {args.window}")
    if args.stride is not None and args.stride < 1:
        parser.error(f"--stride must be at least 1 frame, got {args.stride}")
    if args.plot and not args.window:
        parser.error("--plot draws timelines: give --window N too")
    if args.stride is not None and not args.window:
        parser.error("--stride needs --window")
    model = load_model(args.model)
    if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise ValueError(f"{args.model!r} holds a {type(model).__name__}, not a fitted "
                         "classifier or pipeline.")
    if args.cache:
        _set_cache(model, args.cache)
    videos = find_videos(args.videos)
    if not videos:
        raise ValueError(f"no video found in {', '.join(args.videos)}")
    classes = [str(c) for c in model.classes_]
    if args.window:
        rows, timelines = _timelines(model, videos, args)
        if args.plot and timelines:
            _plot(timelines, classes, args.plot)
    else:
        rows, classes = _rows(model, videos)
        _print_rows(rows, classes)
    _write(rows, classes, args)
    failed = sum("error" in r for r in rows)
    if failed:
        print(f"{failed} of {len(videos)} videos could not be classified", file=sys.stderr)
    return 1 if failed else 0
