"""Damaged videos, made here, through the reader and the featurizer in a subprocess.

Each case is a file (or path) derived from small real videos by truncation, byte flips,
zeroed ranges, container grafts, or is a FIFO, a symlink loop, an empty or a text file.
A child process runs every case through ``count_frames``/``read_frames`` and through a
fitted :class:`InceptionFeaturizer`, printing one JSON line per finished case.  The only
accepted outcomes are:

* a clear error (``ValueError``, ``FileNotFoundError`` or ``PermissionError``) whose
  message names the file;
* output of the right length: ``read_frames`` returns ``count_frames`` frames, the
  featurizer ``n_frames`` × 2048 values per video; and when fewer frames decode than the
  container declares, the warning saying so.

No crash (the child must exit cleanly), no hang (a timeout names the case it was in),
no other exception type.  Byte flips that leave a decodable stream give garbage frames
that OpenCV conceals: they are accepted as "right length, no warning", which is what
the documentation says OpenCV can and cannot detect.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from _videos import write_video

CHILD = textwrap.dedent("""
    import json, os, sys, warnings
    import cv2
    import numpy as np
    from skvideo_imb import InceptionFeaturizer
    from skvideo_imb.io import count_frames, read_frames

    cases = json.load(open(sys.argv[1]))
    clean = np.random.RandomState(0).randint(0, 256, (2, 6, 48, 64, 3), dtype=np.uint8)
    featurizer = InceptionFeaturizer(n_frames=3, weights=None, image_size=75,
                                     n_calibration_frames=6, random_state=0).fit(clean)

    def attempt(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = call()
            except Exception as exc:
                return {"error": type(exc).__name__, "message": str(exc),
                        "warnings": [str(w.message) for w in caught]}
        return {"value": value, "warnings": [str(w.message) for w in caught]}

    for case in cases:
        path = case["path"]
        print(json.dumps({"name": case["name"], "started": True}), flush=True)
        declared = 0
        if os.path.isfile(path):  # what the container claims (OpenCV's FFmpeg reading)
            capture = cv2.VideoCapture(path)
            declared = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
            capture.release()
        reader = attempt(lambda: (count_frames(path), len(read_frames(path))))
        features = attempt(lambda: list(featurizer.transform([path]).shape))
        print(json.dumps({"name": case["name"], "declared": declared, "reader": reader,
                          "features": features}), flush=True)
""")

ACCEPTED_ERRORS = {"ValueError", "FileNotFoundError", "PermissionError"}


def _base_videos(folder):
    rng = np.random.RandomState(0)
    frames = np.clip(rng.normal(128, 40, (24, 48, 64, 3)), 0, 255).astype(np.uint8)
    frames[:, 10:30, :] = np.linspace(0, 255, 24, dtype=np.uint8)[:, None, None, None]
    return {fourcc: write_video(folder / f"base_{fourcc}{ext}", frames, fourcc)
            for fourcc, ext in (("MJPG", ".avi"), ("mp4v", ".mp4"), ("XVID", ".avi"))}


def _cases(folder):
    """(name, path) of every damaged input, written under ``folder``."""
    rng = np.random.RandomState(1)
    bases = _base_videos(folder)
    cases = []

    def add(name, data, ext):
        path = folder / f"{name}{ext}"
        path.write_bytes(data)
        cases.append((name, str(path)))

    for fourcc, base in bases.items():
        data, ext = open(base, "rb").read(), os.path.splitext(base)[1]
        for frac in (0.02, 0.25, 0.5, 0.75, 0.98):
            add(f"{fourcc}_truncated_{int(frac * 100)}", data[: int(len(data) * frac)], ext)
        for k in range(5):
            flipped = bytearray(data)
            for pos in rng.randint(len(data) // 10, len(data), size=8):
                flipped[pos] ^= 1 << int(rng.randint(8))
            add(f"{fourcc}_flips_{k}", bytes(flipped), ext)
        for k in range(2):
            zeroed = np.frombuffer(data, dtype=np.uint8).copy()
            start = int(rng.randint(len(data) // 10, len(data) * 9 // 10))
            zeroed[start:start + len(data) // 8] = 0
            add(f"{fourcc}_zeroed_{k}", zeroed.tobytes(), ext)
    avi, mp4 = open(bases["MJPG"], "rb").read(), open(bases["mp4v"], "rb").read()
    add("graft_avi_head_mp4_body", avi[:len(avi) // 3] + mp4[len(mp4) // 3:], ".avi")
    add("graft_mp4_head_avi_body", mp4[:len(mp4) // 3] + avi[len(avi) // 3:], ".mp4")
    add("empty", b"", ".mp4")
    add("text", b"this is not a video\n" * 50, ".avi")
    loop = folder / "loop.avi"
    os.symlink(loop, loop)
    cases.append(("symlink_loop", str(loop)))
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.mp4")
        cases.append(("fifo", str(folder / "fifo.mp4")))
    cases.append(("missing", str(folder / "missing.mp4")))
    return cases


def _judge(path, outcome, what, declared):
    """The reason ``outcome`` is not accepted, or None."""
    if "error" in outcome:
        if outcome["error"] not in ACCEPTED_ERRORS:
            return f"{what} raised {outcome['error']}: {outcome['message']}"
        if os.path.basename(path) not in outcome["message"]:
            return f"{what}'s error does not name the file: {outcome['message']}"
        return None
    short = [w for w in outcome["warnings"] if "could be decoded" in w]
    if what == "reader":
        n_counted, n_read = outcome["value"]
        if n_counted != n_read or n_counted < 1:
            return f"reader counted {n_counted} frames but read {n_read}"
        if n_counted < declared and not short:
            return f"{n_counted} of {declared} declared frames decoded, without a warning"
    elif outcome["value"] != [1, 3 * 2048]:
        return f"featurizer returned shape {outcome['value']}"
    if any(os.path.basename(path) not in w for w in short):
        return f"{what}'s warning does not name the file: {short}"
    return None


@pytest.mark.slow
def test_damaged_videos_give_a_clear_error_or_correct_output(tmp_path):
    cases = _cases(tmp_path)
    assert len(cases) >= 40
    listing = tmp_path / "cases.json"
    listing.write_text(json.dumps([{"name": n, "path": p} for n, p in cases]))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    try:
        done = subprocess.run([sys.executable, str(script), str(listing)],
                              capture_output=True, text=True, errors="replace",
                              timeout=240,
                              env=dict(os.environ, OMP_NUM_THREADS="1"))
    except subprocess.TimeoutExpired as exc:
        lines = (exc.stdout or b"").decode().splitlines() if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "").splitlines()
        started = [json.loads(line)["name"] for line in lines if '"started"' in line]
        pytest.fail(f"hung in case {started[-1] if started else '?'}")
    assert done.returncode == 0, done.stderr[-2000:]      # no crash
    results = {r["name"]: r for r in map(json.loads, done.stdout.splitlines())
               if "started" not in r}
    assert set(results) == {name for name, _ in cases}
    paths = dict(cases)
    failures = [f"{name}: {reason}" for name, r in results.items()
                for what in ("reader", "features")
                if (reason := _judge(paths[name], r[what], what, r["declared"]))]
    assert not failures, "\n".join(failures)
    outcomes = {name: "error" if "error" in r["reader"] else "read" for name, r in
                results.items()}
    # the inputs that cannot be a video are errors, named; damaged streams mostly decode
    for name in ("empty", "text", "symlink_loop", "missing", "fifo"):
        assert outcomes.get(name, "error") == "error", name
    if "fifo" in results:
        assert "is a FIFO" in results["fifo"]["reader"]["message"]
    assert sum(o == "read" for o in outcomes.values()) >= 10
    warned = [name for name, r in results.items() if "error" not in r["reader"]
              and r["reader"]["value"][0] < r["declared"]]
    assert warned, "no case decoded short of its declared count: the warning is untested"
