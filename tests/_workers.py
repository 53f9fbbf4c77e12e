"""Helpers that tests hand to worker processes (importable there: ``tests`` is on the path)."""

import os


class PidRecorder:
    """A scorer that records the process it runs in (a file named by its pid); scores 0."""

    def __init__(self, directory):
        self.directory = str(directory)

    def __call__(self, estimator, X, y=None):
        open(os.path.join(self.directory, str(os.getpid())), "w").close()
        return 0.0

    def pids(self):
        return {int(name) for name in os.listdir(self.directory)}
