"""Another process for a test, forked from a server that has imported the package once.

Tests of processes sharing one feature cache (claims, atomic writes, a SIGKILL mid-way)
need *another process*: its own pid, memory, file descriptors and death.  They do not
need a freshly started interpreter, and starting one costs 5-7 s of CPU in imports
(torch, torchvision, scikit-learn) for a few seconds of work.  :func:`start` runs a
child script's source in a process forked from the featurizer's own fork server (its
decode workers' context, which imports the package once), so the import is paid once
per test worker.  The server is single-threaded and has run no torch operation, so its
children start clean.

Tests whose point is a fresh interpreter (a saved model loaded by another Python, hash
randomisation, the main-module guard, what an import changes, a crash in a decoder) keep
starting ``sys.executable``.
"""

import os
import subprocess
import sys
import tempfile

from skvideo_imb.features._loading import _context  # forkserver (spawn without one)


def _main(source, argv, environ, stdout, stderr):
    """In the child: the script's output to two files, its environment, then the script."""
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()                  # the test process's environment, as Popen gives
    os.environ.update(environ)
    if "OMP_NUM_THREADS" in environ:     # torch is already imported: set it directly
        import torch
        torch.set_num_threads(int(environ["OMP_NUM_THREADS"]))
    sys.argv = list(argv)
    code = compile(source, argv[0], "exec")
    try:
        exec(code, {"__name__": "__main__", "__file__": argv[0]})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


class Child:
    """A running child script; :meth:`communicate` waits for it like ``Popen``'s does."""

    def __init__(self, source, args, environ=None):
        folder = tempfile.mkdtemp(prefix="skvideo_imb_child_")
        self._out, self._err = os.path.join(folder, "out"), os.path.join(folder, "err")
        self._folder = folder
        argv = ["child.py", *map(str, args)]
        environ = {**os.environ, **(environ or {})}
        self.process = _context().Process(
            target=_main, args=(source, argv, environ, self._out, self._err))
        self.process.start()
        self.pid = self.process.pid
        self.returncode = None

    def communicate(self, timeout):
        """Wait at most ``timeout`` seconds; ``(stdout, stderr)`` as text.  A child still
        running then is killed and :class:`subprocess.TimeoutExpired` raised, with what
        it had written."""
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(10)
            stdout, stderr = self._output()
            raise subprocess.TimeoutExpired("child.py", timeout, stdout, stderr)
        self.returncode = self.process.exitcode  # -9 after SIGKILL, as for Popen
        return self._output()

    def _output(self):
        """What the child wrote, read once; its files are removed."""
        texts = []
        for path in (self._out, self._err):
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    texts.append(f.read())
                os.remove(path)
            except FileNotFoundError:   # killed before it redirected its output
                texts.append("")
        os.rmdir(self._folder)
        return tuple(texts)


def start(source, args, environ=None):
    """Run the script ``source`` with ``sys.argv[1:] == args`` in another process.

    The child's environment is this process's, updated with ``environ``
    (``OMP_NUM_THREADS`` also sets torch's thread count, torch being imported already).
    """
    return Child(source, args, environ)
