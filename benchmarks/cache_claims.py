"""What the shared feature cache costs and saves: leases, records, one and two processes.

The featurizer (InceptionV3 at 75 px by default, random weights, the default engine)
transforms the same video files

* without a cache,
* with a fresh cache (cold: every frame computed, leased and written),
* with that cache filled (warm: every frame read back),

in one process, then in two processes started together over one fresh cache (each
transforms all videos; the leases split the work) and over the filled one.  It prints
frames per second of output (frames delivered to the caller: two processes deliver
twice the frames), the frames each process computed, and the time spent taking and
releasing leases (``Leases.acquire`` / ``release``), measured inside the processes.

Usage::

    python benchmarks/cache_claims.py            # about 2 minutes on 2 cores
    python benchmarks/cache_claims.py --quick    # fewer videos
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from skvideo_imb import InceptionFeaturizer
from skvideo_imb.datasets import make_synthetic_videos

CHILD = textwrap.dedent("""
    import json, pickle, sys, time
    from skvideo_imb.features import _claims
    spent = {"leases_s": 0.0, "calls": 0}
    def timed(method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent["leases_s"] += time.perf_counter() - start
                spent["calls"] += 1
        return wrapper
    _claims.Leases.acquire = timed(_claims.Leases.acquire)
    _claims.Leases.release = timed(_claims.Leases.release)
    featurizer = pickle.load(open(sys.argv[1], "rb"))
    videos = json.load(open(sys.argv[2]))
    featurizer.transform(videos[:1])            # build the engine before timing
    start = time.perf_counter()
    featurizer.transform(videos)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "computed": featurizer.cache_stats().misses, **spent}))
""")


def run_processes(featurizer, videos, cache, n, workdir):
    model = Path(workdir) / "featurizer.pkl"
    model.write_bytes(pickle.dumps(featurizer.set_params(cache=cache)))
    listing = Path(workdir) / "videos.json"
    listing.write_text(json.dumps(videos))
    script = Path(workdir) / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, os.cpu_count() // n)),
               OMP_WAIT_POLICY="PASSIVE")
    start = time.perf_counter()
    children = [subprocess.Popen([sys.executable, str(script), str(model), str(listing)],
                                 env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(n)]
    reports = [json.loads(child.communicate()[0].strip().splitlines()[-1])
               for child in children]
    return time.perf_counter() - start, reports


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--image-size", type=int, default=75)
    parser.add_argument("--n-frames", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        per_class = 4 if args.quick else 8
        X, _ = make_synthetic_videos(
            {c: per_class for c in ("brighten", "darken", "move_left", "move_right")},
            n_frames=(30, 40), directory=Path(workdir) / "videos", random_state=0)
        videos = [str(v) for v in X]
        featurizer = InceptionFeaturizer(n_frames=args.n_frames, weights=None,
                                         image_size=args.image_size,
                                         random_state=0).fit(videos)
        n_out = len(videos) * args.n_frames
        rows = []
        for label, cache, n in [("no cache", None, 1),
                                ("cold cache", "cold1", 1), ("warm cache", "cold1", 1),
                                ("no cache", None, 2),
                                ("cold cache", "cold2", 2), ("warm cache", "cold2", 2)]:
            folder = None if cache is None else str(Path(workdir) / cache)
            wall, reports = run_processes(featurizer, videos, folder, n, workdir)
            slowest = max(r["seconds"] for r in reports)
            rows.append((label, n, n * n_out / slowest, [r["computed"] for r in reports],
                         sum(r["leases_s"] for r in reports), sum(r["calls"] for r in reports)))
        print(f"{len(videos)} videos × {args.n_frames} frames at {args.image_size} px, "
              f"engine {featurizer.engine_}, {os.cpu_count()} cores\n")
        print("| cache | processes | frames/s delivered | computed per process | "
              "lease calls | time in leases |")
        print("|---|---:|---:|---|---:|---:|")
        for label, n, fps, computed, lease_s, calls in rows:
            print(f"| {label} | {n} | {fps:.0f} | {computed} | {calls} | {lease_s:.2f} s |")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
