"""Throughput and memory of InceptionFeaturizer: engines × resolutions × video sources.

Writes three kinds of real video files, then measures, in one run:

* **decoding**, for every source: the reader as the featurizer uses it (one pass per
  never-seen file, :func:`skvideo_imb.io.read_planned`: 40 evenly spaced frames kept
  and resized to 299×299), in decoded and in output frames/s, and as a share of OpenCV
  decoding every frame with 2 FFmpeg threads (keeping none), next to the *ceiling*: the
  share the reader could reach at best on this machine's cores, since it must do the
  decoder's work and convert the frames it keeps (:func:`reader_ceiling`); PyAV with
  ``thread_type="AUTO"``; torchcodec when it can decode here;
* a **long video** (H.264 640×360, 4,500 frames, a keyframe every 50): featurizing 40
  of its frames against a full decode;
* **end to end** (decode → select → resize → network → features) with
  :class:`skvideo_imb.InceptionFeaturizer`, for every engine installed (torch eager,
  OpenVINO, OpenVINO int8; torch.compile with ``--engines``), at 299×299 and 75×75, on
  every source, with the engine's build time (conversion, quantization) and the **pure
  forward** of the same engine at the same size and batch on ready uint8 frames; the
  end-to-end rate as a share of the *2-core bound* 1 / (1/decode + 1/forward): decoding
  and the network both use every core, so on a machine this small their times add up;
* what ``engine="auto"`` picks, measuring afresh, against the fastest float engine;
* **decode workers**: end to end with 0, 1 and 2 DataLoader decode processes;
* the **naive reference** of published code: decode, resize and run one frame at a
  time, fp32, batch 1, 299×299;
* **peak resident memory** of each run (sampled), and of featurizing 100 and 400 videos
  (it must not grow with the number of videos: frames are streamed).

Sources: Motion-JPEG 320×240 (150 frames), H.264 1280×720 and 1920×1080 (300 frames,
keyframe every 250, written with PyAV's libx264).  Random weights (``weights=None``; the
compute is that of ImageNet weights), precision ``auto`` (bf16 on a CPU with native
bf16), everything in this process with torch's default threads.  Other processes on
the machine slow every figure: the load average is printed before and after.

Usage::

    python benchmarks/featurize.py                   # about 10 minutes on 2 cores
    python benchmarks/featurize.py --quick           # fewer videos, about 5 minutes
    python benchmarks/featurize.py --quick --readme  # and rewrite the README's table
"""

import argparse
import importlib.util
import os
import resource
import sys
import tempfile
import threading
import time

import cv2
import numpy as np
import torch
import torchvision

from skvideo_imb import InceptionFeaturizer, _runtime
from skvideo_imb.features import _backbones as bb
from skvideo_imb.features import _engine_choice
from skvideo_imb.io import _disk, _seek, count_frames, evenly_spaced_indices, read_planned

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from _videos import write_h264  # noqa: E402  (the tests' PyAV writer)


def _content(n_frames, height, width, seed):
    """Textured frames with motion (so that codecs have real work)."""
    rng = np.random.RandomState(seed)
    base = cv2.resize(rng.randint(0, 256, (max(2, height // 20), max(2, width // 20), 3))
                      .astype(np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)
    frames = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    for t in range(n_frames):
        frames[t] = np.roll(base, 3 * t, axis=1)
        cv2.circle(frames[t], ((40 + 5 * t) % width, height // 2), height // 8,
                   tuple(int(c) for c in rng.randint(0, 256, 3)), -1)
    return frames


def write_sources(folder, counts):
    """{source name: [paths]} of MJPG 320x240, H.264 720p and H.264 1080p videos."""
    os.makedirs(folder, exist_ok=True)
    sources = {}
    for name, (width, height, n_frames, codec) in {
            "MJPG 320x240": (320, 240, 150, "mjpg"),
            "H.264 720p": (1280, 720, 300, "h264"),
            "H.264 1080p": (1920, 1080, 300, "h264")}.items():
        paths = []
        for v in range(counts[name]):
            frames = _content(n_frames, height, width, seed=v)
            if codec == "mjpg":
                path = os.path.join(folder, f"mjpg{v:04d}.avi")
                writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 25,
                                         (width, height))
                for frame in frames:
                    writer.write(frame)
                writer.release()
            else:
                path = write_h264(os.path.join(folder, f"h264_{height}p_{v:04d}.mp4"),
                                  frames[..., ::-1], gop=250)
            paths.append(path)
        sources[name] = paths
    return sources


class PeakRSS:
    """Peak resident memory (MiB) of this process while the block runs, sampled."""

    def __enter__(self):
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss_mib())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def current_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ----------------------------------------------------------------------------- decoding

def decode_reader(paths, n_frames, size=299):
    """The featurizer's reading of never-seen files: (decoded frames/s, output frames/s)."""
    _disk.forget_counts()
    _seek.forget_indexes()
    start, decoded = time.perf_counter(), 0
    for path in paths:
        _, indices, _ = read_planned(path, lambda n: evenly_spaced_indices(n, n_frames),
                                     size=size)
        decoded += int(indices[-1]) + 1
    elapsed = time.perf_counter() - start
    _disk.forget_counts()
    _seek.forget_indexes()
    return decoded / elapsed, len(paths) * n_frames / elapsed


def decode_opencv_threads(paths, threads=2):
    start, decoded = time.perf_counter(), 0
    for path in paths:
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, threads])
        while cap.grab():
            decoded += 1
        cap.release()
    return decoded / (time.perf_counter() - start)


def reader_ceiling(paths, n_frames, size=299):
    """The reader's best possible share of OpenCV's 2-thread decode on this machine.

    The reader must do the decoder's work plus convert each kept frame (OpenCV's
    retrieve, YUV to BGR; area resize; to RGB).  Both are measured as CPU time: FFmpeg
    with 1 and with 2 threads decoding every frame (wall and process CPU), and the
    conversions on one thread with OpenCV single-threaded.  With the conversions on a
    helper thread, a decode with ``t`` threads takes at least its own wall time and at
    least all the CPU work spread evenly over the cores; the ceiling is the better
    ``t``, as a share of the 2-thread decode's wall time measured alongside.
    """
    cores = len(os.sched_getaffinity(0))
    best_total, opencv_total = 0.0, 0.0
    for path in paths:
        conversions = _conversion_cpu(path, n_frames, size)
        costs = {threads: _decode_cost(path, threads) for threads in (1, 2)}
        best_total += min(max(wall, (cpu + conversions) / cores)
                          for wall, cpu in costs.values())
        opencv_total += costs[2][0]
    return opencv_total / best_total


def _process_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _decode_cost(path, threads, rounds=3):
    """(wall seconds, process CPU seconds) of decoding every frame, the best of rounds."""
    best = (np.inf, np.inf)
    for _ in range(rounds):
        start, cpu = time.perf_counter(), _process_cpu()
        decode_opencv_threads([path], threads)
        best = min(best, (time.perf_counter() - start, _process_cpu() - cpu))
    return best


def _conversion_cpu(path, n_frames, size):
    """CPU seconds of retrieving and converting the frames the reader keeps."""
    keep = set(evenly_spaced_indices(count_frames(path), n_frames).tolist())
    threads, spent = cv2.getNumThreads(), 0.0
    cv2.setNumThreads(1)  # the conversions' work on this thread only
    try:
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
        pos = 0
        while cap.grab():
            if pos in keep:
                start = time.thread_time()
                _, frame = cap.retrieve()
                _disk.converted_frame(frame, size)
                spent += time.thread_time() - start
            pos += 1
        cap.release()
    finally:
        cv2.setNumThreads(threads)
    return spent


def reader_and_opencv(paths, n_frames, rounds=3):
    """The reader and OpenCV's 2-thread decode, alternately, ``rounds`` times: the best
    of each (decoded frames/s, output frames/s, OpenCV frames/s)."""
    best = (0.0, 0.0, 0.0)
    for _ in range(rounds):
        decoded, output = decode_reader(paths, n_frames)
        opencv = decode_opencv_threads(paths)
        best = (max(best[0], decoded), max(best[1], output), max(best[2], opencv))
    return best


def long_video(folder, n_frames=4500, gop=50, used=40):
    """A long camera-like file: featurizing ``used`` frames against decoding it all.

    H.264 640x360, 25 fps, a keyframe every ``gop`` frames.  Returns (seconds for a
    full OpenCV decode with 2 threads, seconds to featurize ``used`` evenly spaced
    frames at 75 px from a cold start: index, count, seeks, inference; whether the
    frames were read by seeking).
    """
    from skvideo_imb.io import _reader, _seek
    rng = np.random.RandomState(0)
    path = os.path.join(folder, f"long_{n_frames}_gop{gop}.mp4")
    if not os.path.exists(path):
        frames = np.empty((n_frames, 360, 640, 3), dtype=np.uint8)
        base = rng.randint(0, 256, (360, 640, 3)).astype(np.uint8)
        for t in range(n_frames):  # a slowly panning texture with a moving block
            frames[t] = np.roll(base, t // 5, axis=1)
            frames[t, 100:160, (t * 4) % 580:(t * 4) % 580 + 60] = 255
        write_h264(path, frames, gop=gop)
        del frames
    start = time.perf_counter()
    full = decode_opencv_threads([path]) and time.perf_counter() - start
    featurizer = InceptionFeaturizer(n_frames=used, weights=None, image_size=75,
                                     n_calibration_frames=64, random_state=0).fit(
        np.random.RandomState(0).randint(0, 256, (1, 8, 75, 75, 3), dtype=np.uint8))
    featurizer._get_engine()
    calls, real = [], _reader.read_by_seeking
    _reader.read_by_seeking = lambda *a, **k: calls.append(real(*a, **k)) or calls[-1]
    try:
        _disk.forget_counts()
        _seek._INDEXES.clear()
        start = time.perf_counter()
        featurizer.transform([path])
        seconds = time.perf_counter() - start
    finally:
        _reader.read_by_seeking = real
    return full, seconds, bool(calls) and all(c is not None for c in calls)


def decode_pyav(paths):
    import av
    start, decoded = time.perf_counter(), 0
    for path in paths:
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for _ in container.decode(stream):
                decoded += 1
    return decoded / (time.perf_counter() - start)


def decode_torchcodec(paths):
    """frames/s of torchcodec decoding every frame, or the reason it cannot run here."""
    try:
        from torchcodec.decoders import VideoDecoder
        start, decoded = time.perf_counter(), 0
        for path in paths:
            for _ in VideoDecoder(path, num_ffmpeg_threads=0):
                decoded += 1
        return f"{decoded / (time.perf_counter() - start):.0f}"
    except ModuleNotFoundError:
        return "not installed"
    except Exception as exc:  # its FFmpeg libraries are missing
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return f"not usable here ({type(exc).__name__}: {lines[-1][:70] if lines else ''})"


# ----------------------------------------------------------------------------- network

def pure_forward(featurizer, n_frames):
    """frames/s of the engine alone on ready uint8 frames, batch by batch."""
    size, batch = featurizer.image_size, featurizer.batch_size
    frames = torch.randint(0, 256, (batch, size, size, 3), dtype=torch.uint8).permute(
        0, 3, 1, 2)
    featurizer._forward(frames)  # warm-up (primitive creation, compilation)
    n_batches = max(2, n_frames // batch)
    start = time.perf_counter()
    for _ in range(n_batches):
        featurizer._forward(frames)
    return n_batches * batch / (time.perf_counter() - start)


def end_to_end(featurizer, paths):
    start = time.perf_counter()
    featurizer.transform(paths)
    return len(paths) * featurizer.n_frames / (time.perf_counter() - start)


def naive(paths, n_frames, size=299):
    """Reference-code style: decode, resize and run one frame at a time, fp32."""
    model = torchvision.models.inception_v3(weights=None, aux_logits=False,
                                            init_weights=False).eval()
    model.fc = torch.nn.Identity()
    mean = torch.tensor(bb.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(bb.IMAGENET_STD).view(1, 3, 1, 1)
    cap, done = cv2.VideoCapture(paths[0]), 0
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


def decode_workers(featurizer, paths, workers=(0, 1, 2)):
    """End-to-end frames/s with ``num_workers`` DataLoader decode processes (0: one
    background thread of this process decodes while the network runs)."""
    rates = {}
    for n in workers:
        featurizer.set_params(num_workers=n)
        end_to_end(featurizer, paths[:1])  # worker start-up and warm caches aside
        rates[n] = end_to_end(featurizer, paths)
    featurizer.set_params(num_workers=0)
    return rates


def auto_choice(size, batch_size, reference):
    """What ``engine="auto"`` picks at ``size`` when it measures afresh."""
    with tempfile.TemporaryDirectory() as tmp:
        before = os.environ.get("SKVIDEO_IMB_ENGINE_CHOICES")
        os.environ["SKVIDEO_IMB_ENGINE_CHOICES"] = os.path.join(tmp, "choices.json")
        _engine_choice.forget_choices()
        try:
            start = time.perf_counter()
            featurizer = InceptionFeaturizer(n_frames=8, weights=None, image_size=size,
                                             batch_size=batch_size, n_calibration_frames=64,
                                             random_state=0).fit(reference)
            return featurizer.engine_, time.perf_counter() - start
        finally:
            _engine_choice.forget_choices()
            if before is None:
                os.environ.pop("SKVIDEO_IMB_ENGINE_CHOICES")
            else:
                os.environ["SKVIDEO_IMB_ENGINE_CHOICES"] = before


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
MARK = "<!-- benchmarks/featurize.py -->"


def readme_parts(path):
    """The README's text before, inside and after its two :data:`MARK` lines."""
    with open(path, encoding="utf-8") as f:
        parts = f.read().split(MARK)
    if len(parts) != 3:
        raise SystemExit(f"{path} needs exactly two {MARK!r} lines around its "
                         "performance section")
    return parts


def write_readme(path, lines, command):
    """Replace the text between the README's two :data:`MARK` lines with the report,
    atomically."""
    before, _, after = readme_parts(path)
    block = "\n".join([f"\nGenerated by `{command}` on {time.strftime('%Y-%m-%d')}:", "",
                       *lines, ""])
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(before + MARK + block + "\n" + MARK + after)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer videos")
    parser.add_argument("--engines", nargs="+", default=None,
                        help="engines to time (default: torch, and openvino and "
                             "openvino-int8 if installed)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[299, 75])
    parser.add_argument("--n-frames", type=int, default=40, help="frames per sample (α)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--memory-videos", nargs=2, type=int, default=[100, 400])
    parser.add_argument("--folder", default=None,
                        help="where to write the videos (default: a temporary folder, "
                             "removed at the end)")
    parser.add_argument("--readme", nargs="?", const=README, default=None,
                        help="also write the report into the README's performance section "
                             f"(between its two {MARK} lines; default: this repository's)")
    args = parser.parse_args(argv)
    if args.readme:
        readme_parts(args.readme)  # its markers checked before minutes of measuring
    engines = args.engines or ["torch"] + (
        ["openvino"] if importlib.util.find_spec("openvino") else []) + (
        ["openvino-int8"] if importlib.util.find_spec("openvino")
        and importlib.util.find_spec("nncf") else [])
    counts = ({"MJPG 320x240": 4, "H.264 720p": 2, "H.264 1080p": 2} if args.quick else
              {"MJPG 320x240": 12, "H.264 720p": 4, "H.264 1080p": 3})
    lines = []

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    cpu = _engine_choice._cpu()[0]
    say(f"Machine: {cpu}, {os.cpu_count()} CPUs, torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, CUDA "
        f"{'yes' if torch.cuda.is_available() else 'no'}, native bf16 "
        f"{'yes' if _runtime.cpu_has_native_bf16() else 'no'}; load average {load()}.  ")
    flags = sorted(f for f in _runtime._cpu_flags()
                   if f.startswith(("avx512_bf16", "avx512_vnni", "avx_vnni", "amx")))
    say(f"CPU flags that decide engines and precisions: {' '.join(flags) or 'none'}.")
    with tempfile.TemporaryDirectory(prefix="skvideo_imb_bench_") as scratch:
        folder = args.folder or scratch
        start = time.perf_counter()
        sources = write_sources(folder, counts)
        print(f"wrote {', '.join(f'{len(p)} x {n}' for n, p in sources.items())} to "
              f"{folder} in {time.perf_counter() - start:.0f}s", flush=True)
        report(args, engines, sources, folder, scratch, say)
    say(f"Load average after: {load()}.")
    if args.readme:
        write_readme(args.readme, lines, "python benchmarks/featurize.py"
                     + (" --quick" if args.quick else ""))
    return 0


def report(args, engines, sources, folder, scratch, say):
    say("")
    say("Decoding, frames/s (the reader: one pass per never-seen file, 40 evenly spaced "
        "frames kept and resized to 299 px; the others decode every frame, keeping none; "
        "the reader and OpenCV alternately, the best of 3 each):")
    say("")
    say("| source | reader: decoded | reader: output | OpenCV, 2 threads | reader / OpenCV "
        "| ceiling / OpenCV | PyAV, AUTO | torchcodec |")
    say("|---|---:|---:|---:|---:|---:|---:|---|")
    decode = {}
    for name, paths in sources.items():
        decoded, decode[name], opencv = reader_and_opencv(paths, args.n_frames)
        say(f"| {name} | {decoded:.0f} | {decode[name]:.0f} | {opencv:.0f} | "
            f"{decoded / opencv:.0%} | {reader_ceiling(paths, args.n_frames):.0%} | "
            f"{decode_pyav(paths):.0f} | {decode_torchcodec(paths[:1])} |")
    say("")
    say(f"(The ceiling: the fastest the reader could be on these {len(os.sched_getaffinity(0))} "
        "cores, from the CPU time of decoding every frame with FFmpeg's 1 or 2 threads plus "
        "that of converting the kept frames, spread over the cores.)")

    full, used, seeked = long_video(folder)
    say("")
    say(f"Long video (H.264 640x360, 4,500 frames, a keyframe every 50): a full OpenCV "
        f"decode (2 threads) takes {full:.2f} s; featurizing 40 frames of it at 75 px "
        f"{used:.2f} s = {used / full:.0%} of that "
        f"({'read by seeking' if seeked else 'decoded sequentially'}).")

    rows, built = [], {}
    reference = sources["MJPG 320x240"][:1]
    for engine in engines:
        for size in args.sizes:
            featurizer = InceptionFeaturizer(
                n_frames=args.n_frames, weights=None, image_size=size,
                batch_size=args.batch_size, engine=engine, n_calibration_frames=64,
                random_state=0).fit(reference)
            start = time.perf_counter()
            featurizer._get_engine()  # conversion, quantization, compilation: once
            built[engine, size] = time.perf_counter() - start
            forward = pure_forward(featurizer, 4 * args.batch_size)
            for name, paths in sources.items():
                with PeakRSS() as rss:
                    fps = end_to_end(featurizer, paths)
                rows.append((engine, featurizer.precision_, size, name, fps, forward,
                             rss.peak))
                print(f"  {engine} {size}px {name}: {fps:.1f} frames/s end to end, "
                      f"{forward:.1f} forward", flush=True)
            del featurizer

    naive_fps = naive(sources["MJPG 320x240"], 16 if args.quick else 32)
    say("")
    say(f"End to end (decode → select → resize → network), frames/s; the naive reference "
        f"(one frame at a time, fp32, batch 1, 299 px, MJPG) runs {naive_fps:.1f}:")
    say("")
    say("| engine | precision | size | source | end to end | pure forward | × naive | "
        "% of the 2-core bound | engine built in (s) | peak RSS (MiB) |")
    say("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for engine, precision, size, name, fps, forward, rss in rows:
        bound = 1 / (1 / decode[name] + 1 / forward)  # decoding and network share 2 cores
        say(f"| {engine} | {precision} | {size} | {name} | {fps:.1f} | {forward:.1f} | "
            f"{fps / naive_fps:.1f} | {fps / bound:.0%} | {built[engine, size]:.1f} | "
            f"{rss:.0f} |")

    float_engines = [e for e in engines if e in ("torch", "openvino")]
    say("")
    say("engine='auto' (measured afresh at fit) against the fastest float engine by the "
        "pure forward above:")
    say("")
    for size in args.sizes:
        picked, seconds = auto_choice(size, args.batch_size, reference)
        forward = {e: f for e, _, s, _, _, f, _ in rows if s == size and e in float_engines}
        best = max(forward, key=forward.get) if forward else "?"
        say(f"- {size} px: auto picked {picked} (fit {seconds:.1f} s, measurement "
            f"included); fastest here: {best} "
            + ("— the same" if picked == best else "— NOT the same"))

    say("")
    say("Decode workers (end to end, default engine, 75 px; 0 = one background thread "
        "decodes while the network runs, n = n DataLoader processes):")
    say("")
    say("| source | 0 | 1 | 2 |")
    say("|---|---:|---:|---:|")
    featurizer = InceptionFeaturizer(n_frames=args.n_frames, weights=None, image_size=75,
                                     batch_size=args.batch_size, n_calibration_frames=64,
                                     random_state=0).fit(reference)
    for name in ("MJPG 320x240", "H.264 720p"):
        rates = decode_workers(featurizer, sources[name])
        say(f"| {name} | " + " | ".join(f"{rates[n]:.0f}" for n in (0, 1, 2)) + " |")

    say("")
    say("Peak RSS while featurizing many videos (MJPG 320x240, 75 px, default engine): "
        + ", ".join(f"{n} videos {mib:.0f} MiB" for n, mib in memory(args, scratch)) + ".")


def memory(args, scratch):
    small = write_sources(os.path.join(scratch, "memory"),
                          {"MJPG 320x240": 4, "H.264 720p": 0, "H.264 1080p": 0})
    for n_videos in args.memory_videos:
        paths = [small["MJPG 320x240"][i % 4] for i in range(n_videos)]
        featurizer = InceptionFeaturizer(n_frames=args.n_frames, weights=None, image_size=75,
                                         batch_size=args.batch_size, random_state=0,
                                         n_calibration_frames=64).fit(paths[:1])
        with PeakRSS() as rss:
            end_to_end(featurizer, paths)
        yield n_videos, rss.peak


if __name__ == "__main__":
    sys.exit(main())
