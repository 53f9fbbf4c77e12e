"""``skvideo-imb make-data synthetic DIR``: the built-in data set as real video files."""

__all__ = ["add_parser", "run"]


def add_parser(sub):
    parser = sub.add_parser(
        "make-data", help="write the built-in synthetic data set as video files",
        description="Write the built-in synthetic data set (five classes, two of which "
        "differ from a partner only in the order of their frames) as real video files in "
        "a class-per-folder tree DIR/<class>/<class>_<i>.<ext>, the layout `skvideo-imb "
        "fit` and `reproduce --data DIR` read.")
    parser.add_argument("kind", choices=["synthetic"], help="which data set (synthetic)")
    parser.add_argument("folder", metavar="DIR", help="where to write the videos")
    parser.add_argument("--format", choices=["avi", "mp4", "frames"], default="avi",
                        help="avi (Motion-JPEG, default), mp4 (MPEG-4 part 2) or frames "
                        "(a folder of PNG images per video)")
    parser.add_argument("--videos-per-class", type=int, default=None, metavar="N",
                        help="N videos of every class (default: the built-in imbalanced "
                        "sizes 40/8/24/6/12)")
    parser.add_argument("--frames", type=int, nargs=2, default=(12, 20),
                        metavar=("MIN", "MAX"), help="frames per video, drawn in [MIN, MAX] "
                        "(default 12 20)")
    parser.add_argument("--size", type=int, default=32, metavar="PX",
                        help="frame height and width in pixels (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.set_defaults(run=run)


def run(args, parser, argv=None):
    from collections import Counter
    from pathlib import Path

    from ..datasets import make_synthetic_videos

    paths, y = make_synthetic_videos(
        args.videos_per_class, n_frames=tuple(args.frames), frame_size=args.size,
        directory=args.folder, video_format=args.format, random_state=args.seed)
    counts = Counter(map(str, y))
    print(f"wrote {len(paths)} videos to {Path(args.folder)}: "
          + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0
