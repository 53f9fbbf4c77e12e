"""``engine="auto"``: the faster engine on this machine, measured once and remembered.

Which engine runs a network fastest depends on the CPU (AVX-512-BF16, AMX, neither),
the thread count, the network, the frame size and the precision, and an engine ranking
measured on one CPU does not carry over to another.  So ``"auto"`` is not a table: the
first time a setting is met, each candidate engine (:data:`AUTO_CANDIDATES` that are
installed) runs the fitted network on a batch of random frames, alternately, for about
:data:`BUDGET_S` seconds, and the one with the most frames per second wins.  The
decision is remembered:

* in this process, per setting;
* on disk, in a small JSON file, so that later processes (Dask and joblib workers, the
  next command) make the same choice without measuring: ``$SKVIDEO_IMB_ENGINE_CHOICES``
  when set (the empty string: remember nothing on disk), else
  ``$XDG_CACHE_HOME/skvideo_imb/engine_choices.json`` (``~/.cache/...``).

A candidate that fails to build or run (an operation OpenVINO cannot convert, say) is
left out, with the reason in the report line; a single survivor is taken without
measuring and without being remembered.

A setting is the CPU (its model name and its flags), the backbone, the frame size, the
precision, the measured batch size and the versions of torch and OpenVINO: a new
machine or an upgrade measures again.  The thread count is not part of it (it is kept
in the record, for reading): joblib and Dask workers run with a share of the cores,
and they must choose the engine a one-process run chooses, or their features would
differ from its (:ref:`scaling`).

While a process measures it holds an exclusive lock on ``<file>.lock`` (``flock``,
released by the kernel if the process dies), so that workers starting together on one
host measure one at a time, and the later ones read the first one's decision instead of
measuring while the machine is busy; a lock not had within :data:`LOCK_WAIT_S` seconds
is not waited for any longer (the process measures for itself).

The file is checked like everything read from outside: one that is too large, not JSON,
or whose record for a setting names an engine that is not a candidate here, or speeds
that are not positive finite numbers, is ignored and the setting measured again; it is
replaced atomically (a temporary file renamed into place).  A file that cannot be
written, or a lock not had in time, makes each process measure for itself; where two
engines are about equally fast, two such processes may then choose differently (their
features are cached apart, as the engine is part of the cache key, and agree to float
rounding).

``"torch-compile"`` is never a candidate (compiling takes tens of seconds, more than
the whole measurement may cost), and neither is ``"openvino-int8"``: its features are
not the float network's, and its measured downstream cost (the user guide's engine
page) is not small enough to take without asking.
"""

import errno
import hashlib
import json
import math
import os
import platform
import threading
import time
from functools import lru_cache

import numpy as np
import torch

from .. import _runtime
from .._versions import package_version
from ._claims import read_regular, temporary_name

try:
    import fcntl
except ImportError:  # not POSIX: no lock, each process may measure
    fcntl = None

__all__ = ["AUTO_CANDIDATES", "BUDGET_S", "LOCK_WAIT_S", "choices_path", "choose_engine",
           "forget_choices"]

AUTO_CANDIDATES = ("openvino", "torch")
"""Engines ``"auto"`` chooses among (those installed), in order of preference on a tie
or when nothing can be measured."""

BUDGET_S = 3.0
"""Seconds of timed forward passes, all candidates together, after one warm-up call
each (at least two timed calls each, whatever that costs)."""

LOCK_WAIT_S = 60.0
"""Longest wait for another process's measurement of the same file."""

_MEASURE_BATCH = 8  # frames per timed call (at most the featurizer's batch size)
_MAX_FILE_BYTES = 1 << 20
_MAX_RECORDS = 256
_MEMO = {}  # setting digest -> engine name, this process
_LOCK = threading.Lock()  # one measurement at a time in a process


def choices_path():
    """The file where decisions are remembered, or None (``SKVIDEO_IMB_ENGINE_CHOICES``
    set to the empty string)."""
    path = os.environ.get("SKVIDEO_IMB_ENGINE_CHOICES")
    if path is not None:
        return path or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".cache")
    return os.path.join(base, "skvideo_imb", "engine_choices.json")


def forget_choices():
    """Forget this process's decisions (the file is left as it is)."""
    _MEMO.clear()


@lru_cache(maxsize=1)
def _cpu():
    """The CPU's model name and a digest of its flags (read once per process: the
    setting is computed at every fit, and /proc/cpuinfo grows with the core count)."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = " ".join(sorted(_runtime._cpu_flags()))
    return name, hashlib.sha256(flags.encode()).hexdigest()[:16]


def _setting(backbone, image_size, precision, batch):
    cpu, flags = _cpu()
    return {"cpu": cpu, "cpu_flags": flags, "backbone": str(backbone),
            "image_size": int(image_size), "precision": str(precision), "batch": int(batch),
            "torch": torch.__version__, "openvino": package_version("openvino")}


def _digest(setting):
    return hashlib.sha256(json.dumps(setting, sort_keys=True).encode()).hexdigest()[:32]


def _read(path):
    """The file's records, ``{}`` for a missing, oversized or malformed file, or anything
    but a regular file (a FIFO would block ``open``, a link to ``/dev/zero`` never end)."""
    try:
        data, _ = read_regular(path, _MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            return {}
        content = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested deep
        return {}
    records = content.get("choices") if isinstance(content, dict) else None
    return records if isinstance(records, dict) else {}


def _valid(record, candidates):
    """The engine a record names, if it is a sound record for these candidates."""
    if not isinstance(record, dict) or record.get("engine") not in candidates:
        return None
    speeds = record.get("frames_per_s")
    if not isinstance(speeds, dict) or set(speeds) != set(candidates) or not all(
            isinstance(v, (int, float)) and math.isfinite(v) and v > 0
            for v in speeds.values()):
        return None
    return record["engine"]


def _write(path, key, record):
    """Add ``record`` under ``key`` to the file, atomically; a failure (a full disk, a
    read-only folder) only costs a measurement in the next process."""
    folder = os.path.dirname(path) or "."
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        records = _read(path)
        records[key] = record
        if len(records) > _MAX_RECORDS:  # the oldest measurements go first
            keep = sorted(records, key=lambda k: str(records[k].get("measured_at", "")
                                                      if isinstance(records[k], dict)
                                                      else ""))[-_MAX_RECORDS:]
            records = {k: records[k] for k in keep}
        tmp = temporary_name(folder, suffix=".json")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"choices": records}, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.remove(tmp)
            except OSError:
                pass


class _FileLock:
    """An exclusive ``flock`` on ``path``, waited for at most ``wait_s`` seconds; not
    had (no fcntl, an unwritable folder, the deadline) means "go on unlocked"."""

    def __init__(self, path, wait_s):
        self.path, self.wait_s, self.fd = path, wait_s, None

    def __enter__(self):
        if fcntl is None:
            return self
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return self
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return self
            except OSError as exc:
                # held by another process: wait; no locks here (ENOLCK on some network
                # filesystems) or the deadline: go on unlocked at once
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES) \
                        or time.monotonic() >= deadline:
                    os.close(fd)
                    return self
                time.sleep(0.05)

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def measure(engines, frames, budget_s=None):
    """Frames per second of each engine on ``frames``, engines already called once (the
    first call compiles and allocates): alternate timed calls for ``budget_s`` seconds
    (:data:`BUDGET_S` for None; at least two each); the best time of each engine counts
    (the least disturbed by anything else running)."""
    budget_s = BUDGET_S if budget_s is None else budget_s
    best = {name: math.inf for name in engines}
    start, rounds = time.perf_counter(), 0
    while rounds < 2 or time.perf_counter() - start < budget_s:
        for name, engine in engines.items():
            t0 = time.perf_counter()
            engine(frames)
            best[name] = min(best[name], time.perf_counter() - t0)
        rounds += 1
    return {name: len(frames) / max(t, 1e-9) for name, t in best.items()}


def _working(candidates, build, frames):
    """The candidates that build and run on ``frames`` (``{name: engine}``, in order), and
    a line per one that failed; raises the first failure when none works."""
    engines, failed, first = {}, [], None
    for name in candidates:
        try:
            engine = build(name)
            engine(frames)  # the warm-up call: compiles, allocates
        except Exception as exc:  # an op OpenVINO cannot convert, a CPU it refuses ...
            failed.append(f"{name} failed: {type(exc).__name__}: {exc}")
            first = first or exc
            continue
        engines[name] = engine
    if not engines:
        raise first
    return engines, failed


def choose_engine(candidates, build, *, backbone, image_size, precision, batch_size,
                  report=None):
    """The fastest of ``candidates`` for this setting: remembered, or measured now.

    Parameters
    ----------
    candidates : sequence of str
        Installed engines to choose among, in order of preference on a tie.
    build : callable
        ``build(name)`` returns the engine ``name`` running the fitted network.
    backbone, image_size, precision : str, int, str
        The setting (with the CPU and versions, see the module's docstring).
    batch_size : int
        The featurizer's batch size; the measurement uses at most
        ``min(batch_size, 8)`` frames a call.
    report : callable or None, default=None
        Called with one line saying what was chosen and why.

    Returns
    -------
    name : str
    """
    candidates = tuple(candidates)
    if len(candidates) == 1:
        return candidates[0]
    batch = max(1, min(int(batch_size), _MEASURE_BATCH))
    setting = {**_setting(backbone, image_size, precision, batch),
               "candidates": sorted(candidates)}
    key = _digest(setting)

    def measure_now():
        frames = torch.from_numpy(np.random.default_rng(0).integers(
            0, 256, (batch, 3, image_size, image_size), dtype=np.uint8)
        ).contiguous(memory_format=torch.channels_last)
        engines, failed = _working(candidates, build, frames)
        if len(engines) < 2:  # nothing to compare: the one that works, not remembered
            if report is not None and failed:
                report(f"engine='auto': {next(iter(engines))} ({'; '.join(failed)})")
            return {"engine": next(iter(engines)), "remember": False}
        speeds = measure(engines, frames)
        chosen = max(speeds, key=lambda name: (speeds[name], -candidates.index(name)))
        if report is not None:
            ranked = sorted(speeds.items(), key=lambda kv: -kv[1])
            report(f"engine='auto': {chosen} (measured "
                   + ", ".join(f"{name} {fps:.0f}" for name, fps in ranked)
                   + f" frames/s at {image_size} px, {precision})")
        return {"engine": chosen, "frames_per_s": speeds, "setting": setting,
                "threads": torch.get_num_threads(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S")}

    with _LOCK:
        if key not in _MEMO:
            _MEMO[key] = _remembered_or_measured(choices_path(), key, candidates,
                                                 measure_now)
        return _MEMO[key]


def _remembered_or_measured(path, key, candidates, measure_now):
    """The engine the file remembers for ``key``, else measured now (and remembered)."""
    if path is None:
        return measure_now()["engine"]
    found = _valid(_read(path).get(key), candidates)
    if found is not None:
        return found
    with _FileLock(path + ".lock", LOCK_WAIT_S):
        # another process may have measured while this one waited for the lock
        found = _valid(_read(path).get(key), candidates)
        if found is not None:
            return found
        record = measure_now()
        if record.pop("remember", True):
            _write(path, key, record)
        return record["engine"]
