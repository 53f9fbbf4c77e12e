"""Helpers that tests hand to worker processes (importable there: ``tests`` is on the path)."""

import os
import threading

from skvideo_imb import InceptionFeaturizer


class PidRecorder:
    """A scorer that records the process it runs in (a file named by its pid); scores 0."""

    def __init__(self, directory):
        self.directory = str(directory)

    def __call__(self, estimator, X, y=None):
        open(os.path.join(self.directory, str(os.getpid())), "w").close()
        return 0.0

    def pids(self):
        return {int(name) for name in os.listdir(self.directory)}


class JournalFeaturizer(InceptionFeaturizer):
    """An InceptionFeaturizer that journals every frame its network computes.

    Each process appends the number of frames of each network call to
    ``<cache>/journal/<pid>.txt``, so that a test can count, across worker processes,
    how many frames were computed and by whom.  The all-zero frames that pad a cached
    transform's last batch to the batch size are not counted.
    """

    def _forward(self, frames):
        folder = os.path.join(os.fspath(self.cache), "journal")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "a") as f:
            f.write(f"{int(frames.flatten(1).any(1).sum())}\n")
        return super()._forward(frames)


def journal(cache):
    """{pid: frames computed} from a JournalFeaturizer's cache folder."""
    folder = os.path.join(os.fspath(cache), "journal")
    if not os.path.isdir(folder):
        return {}
    return {int(name[:-4]): sum(int(line) for line in open(os.path.join(folder, name)))
            for name in os.listdir(folder)}


HELD = threading.Lock()
"""A lock a test holds in a thread of its own process while decode workers start."""


class LockProbe:
    """A two-item dataset whose items say whether :data:`HELD` is free in the process that
    loads them (a worker forked from a process whose thread holds it inherits it held)."""

    def __len__(self):
        return 2

    def __getitem__(self, i):
        free = HELD.acquire(timeout=1.0)
        if free:
            HELD.release()
        return os.getpid(), free
