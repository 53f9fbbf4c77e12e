"""Throughput and memory of InceptionFeaturizer on real video files.

Writes a folder of Motion-JPEG videos (320×240, 150 frames each by default), then
times, at the paper's 299×299 input:

* end-to-end featurization (decode → select → resize → CNN → features) with
  :class:`skvideo_imb.InceptionFeaturizer`, in bf16 autocast and in fp32;
* the same network's pure forward pass on pre-made normalised tensors, same batch size
  and precision (the ceiling for end-to-end);
* the naive approach of reference implementations: one frame at a time, fp32, batch 1;
* a second, fully cached transform.

It prints frames/s, the ratios and peak resident memory.  Random weights are used
(``weights=None``; the compute is the same as with ImageNet weights) so nothing is
downloaded.  Other processes on the machine slow every figure; the load average is
printed before and after.

Usage::

    python benchmarks/featurize.py            # 24 videos, ~3 minutes on 2 cores
    python benchmarks/featurize.py --quick    # 6 videos, under a minute
"""

import argparse
import os
import resource
import sys
import tempfile
import time

import cv2
import numpy as np
import torch
import torchvision

from skvideo_imb import InceptionFeaturizer
from skvideo_imb import _runtime
from skvideo_imb.features import _backbones as bb


def write_videos(folder, n_videos, n_frames, width=320, height=240, seed=0):
    """Real MJPG files with moving, textured content."""
    rng = np.random.RandomState(seed)
    paths = []
    for v in range(n_videos):
        path = os.path.join(folder, f"video{v:04d}.avi")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 25, (width, height))
        base = cv2.resize(rng.randint(0, 256, (12, 16, 3)).astype(np.uint8), (width, height),
                          interpolation=cv2.INTER_CUBIC)
        for t in range(n_frames):
            frame = np.roll(base, 3 * t, axis=1).copy()
            cv2.circle(frame, ((40 + 2 * t) % width, height // 2), 30,
                       tuple(int(c) for c in rng.randint(0, 256, 3)), -1)
            writer.write(frame)
        writer.release()
        paths.append(path)
    return paths


def peak_rss_mib(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def load():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def end_to_end(featurizer, paths):
    start = time.perf_counter()
    features = featurizer.transform(paths)
    elapsed = time.perf_counter() - start
    n = len(paths) * featurizer.n_frames
    return n / elapsed, elapsed, features


def pure_forward(model, device, precision, batch_size, n_frames, size=299):
    """frames/s of model(x) on ready, normalised, channels-last batches."""
    x = torch.randn(batch_size, 3, size, size, device=device).contiguous(
        memory_format=torch.channels_last)
    n_batches = max(1, n_frames // batch_size)
    with torch.inference_mode(), _runtime.autocast(device, precision):
        model(x)  # warm-up (oneDNN primitive creation)
        start = time.perf_counter()
        for _ in range(n_batches):
            model(x).float().cpu()
        elapsed = time.perf_counter() - start
    return n_batches * batch_size / elapsed


def naive(model, paths, n_frames, size=299):
    """Reference-code style: decode, resize and run one frame at a time, fp32."""
    mean = torch.tensor(bb.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(bb.IMAGENET_STD).view(1, 3, 1, 1)
    cap = cv2.VideoCapture(paths[0])
    done = 0
    with torch.inference_mode():
        start = time.perf_counter()
        while done < n_frames:
            ok, frame = cap.read()
            if not ok:
                break
            frame = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (size, size))
            x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
            model((x - mean) / std).numpy()
            done += 1
        elapsed = time.perf_counter() - start
    cap.release()
    return done / elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=24)
    parser.add_argument("--frames-per-video", type=int, default=150)
    parser.add_argument("--n-frames", type=int, default=40, help="frames per sample (α)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-workers", type=int, default=0)  # the featurizer default; on 2 cores a worker steals from torch
    parser.add_argument("--fp32-videos", type=int, default=None,
                        help="videos for the (slow) fp32 end-to-end run")
    parser.add_argument("--quick", action="store_true", help="6 videos, fewer frames timed")
    parser.add_argument("--folder", default=None, help="where to write the videos")
    args = parser.parse_args(argv)
    if args.quick:
        args.videos = min(args.videos, 6)
    fp32_videos = args.fp32_videos or max(2, args.videos // 4)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"CUDA {'yes' if torch.cuda.is_available() else 'no'}, "
          f"CPU bf16 hardware: {_runtime.cpu_has_native_bf16()}; load average before: {load()}")
    folder = args.folder or tempfile.mkdtemp(prefix="skvideo_imb_bench_")
    start = time.perf_counter()
    paths = write_videos(folder, args.videos, args.frames_per_video)
    print(f"wrote {len(paths)} videos × {args.frames_per_video} frames (320×240 MJPG) to "
          f"{folder} in {time.perf_counter() - start:.1f}s")

    results = {}
    for precision, n_videos in (("bf16", args.videos), ("fp32", fp32_videos)):
        featurizer = InceptionFeaturizer(
            n_frames=args.n_frames, weights=None, batch_size=args.batch_size,
            precision=precision, num_workers=args.num_workers, n_calibration_frames=64,
            random_state=0).fit(paths[:2])
        model, device = featurizer._get_model(), torch.device(featurizer.device_)
        # Alternate end-to-end chunks with pure-forward runs of as many frames, so that
        # both see the same machine load (other processes come and go on shared CPUs).
        chunk = max(1, min(n_videos, (4 * args.batch_size) // args.n_frames + 1))
        e2e_frames = e2e_time = fwd_frames = fwd_time = 0.0
        ratios, best = [], 0.0
        for first in range(0, n_videos, chunk):
            fps, elapsed, _ = end_to_end(featurizer, paths[first:first + chunk])
            n = len(paths[first:first + chunk]) * args.n_frames
            forward = pure_forward(model, device, precision, args.batch_size, n)
            e2e_frames, e2e_time = e2e_frames + n, e2e_time + elapsed
            fwd_frames, fwd_time = fwd_frames + n, fwd_time + n / forward
            ratios.append(fps / forward)
            best = max(best, fps)
        fps, forward = e2e_frames / e2e_time, fwd_frames / fwd_time
        results[precision] = (fps, forward, float(np.median(ratios)), best)
        print(f"[{precision}] end-to-end {fps:6.1f} frames/s ({n_videos} videos × "
              f"{args.n_frames} frames in {e2e_time:.1f}s; best chunk {best:.1f}); pure "
              f"forward {forward:6.1f} frames/s; end-to-end / forward = {fps / forward:.0%} "
              f"overall, median per chunk {np.median(ratios):.0%} "
              f"({', '.join(f'{r:.0%}' for r in ratios)})")
        if precision == "bf16":
            with tempfile.TemporaryDirectory() as cache:
                featurizer.set_params(cache=cache)
                end_to_end(featurizer, paths[:n_videos])          # fill
                cached_fps, cached_elapsed, _ = end_to_end(featurizer, paths[:n_videos])
                print(f"[{precision}] fully cached transform {cached_fps:8.0f} frames/s "
                      f"({cached_elapsed:.2f}s, hits {featurizer.cache_hits_}, misses "
                      f"{featurizer.cache_misses_})")
        del featurizer, model

    # as reference code builds it: plain NCHW memory format, classifier cut off
    reference = torchvision.models.inception_v3(weights=None, aux_logits=False,
                                                init_weights=False).eval()
    reference.fc = torch.nn.Identity()
    naive_fps = naive(reference, paths, 12 if args.quick else 24)
    bf16_fps, bf16_forward, bf16_ratio, bf16_best = results["bf16"]
    print(f"[naive] one frame at a time, fp32, batch 1: {naive_fps:.1f} frames/s")
    print()
    print(f"summary: end-to-end bf16 {bf16_fps:.1f} frames/s (target >= 55); "
          f"{bf16_fps / naive_fps:.1f}x naive (target >= 4.5x); "
          f"{bf16_fps / bf16_forward:.0%} of pure forward overall, {bf16_ratio:.0%} median "
          f"per chunk (target >= 85%); best chunk {bf16_best:.1f} frames/s; "
          f"fp32 end-to-end {results['fp32'][0]:.1f} frames/s")
    print(f"peak RSS: this process {peak_rss_mib():.0f} MiB, largest DataLoader worker "
          f"{peak_rss_mib(resource.RUSAGE_CHILDREN):.0f} MiB (target < 2560 MiB); "
          f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
