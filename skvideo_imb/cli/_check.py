"""``skvideo-imb check PATH...``: is every video readable, complete and long enough?"""

import json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    parser = sub.add_parser(
        "check", help="decode every video and list unreadable, truncated or suspicious ones",
        description="Decode every video under the given paths (video files, frame folders, "
        "class-per-folder trees, a UCF101 root) from start to end and list those that "
        "cannot be read, decode fewer frames than their container declares, or are "
        "shorter than --min-frames.  Exit status 1 when any is found, 0 otherwise.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to check")
    parser.add_argument("--min-frames", type=int, default=2, metavar="N",
                        help="fewer decodable frames than N is suspicious (default 2)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (every video and its status)")
    parser.set_defaults(run=run)


def _table(problems):
    header = ("status", "frames", "declared", "path", "reason")
    rows = [(c.status, "-" if c.n_frames is None else str(c.n_frames),
             "-" if c.declared_frames is None else str(c.declared_frames), c.path, c.reason)
            for c in problems]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4]
                     for r in [header, *rows])


def run(args, parser, argv=None):
    from ..io import scan_videos

    checks = scan_videos(args.paths, min_frames=args.min_frames)  # --quiet: main()
    problems = [c for c in checks if c.status != "ok"]
    if args.json:
        print(json.dumps({"n_videos": len(checks), "n_problems": len(problems),
                          "videos": [c.as_dict() for c in checks]}, indent=2))
    else:
        if problems:
            print(_table(problems))
        print(f"checked {len(checks)} videos: {len(problems)} "
              f"problem{'s' * (len(problems) != 1)}"
              + (" (" + ", ".join(f"{sum(c.status == s for c in problems)} {s}"
                                  for s in ("unreadable", "truncated", "suspicious")
                                  if any(c.status == s for c in problems)) + ")"
                 if problems else ""))
    if not checks:
        print("no video found under the given paths")
    return 1 if problems else 0
