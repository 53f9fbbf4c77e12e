"""Progress: the one policy of the estimators and the command line.

**Where.**  Progress goes to standard error: a tqdm bar when standard error is a
terminal, otherwise plain newline-terminated lines (count, percentage, rate, ETA) at
every ``step`` percent of the work and at least every ``interval`` seconds, so that a log
file gets readable lines instead of one endless line of carriage returns.

**verbose.**  Every estimator of the package reads its ``verbose`` the same way:

- ``0``: silent.
- ``1`` (or more): progress of the long work and one summary line at its end.
  :class:`~skvideo_imb.InceptionFeaturizer` shows its frames (bar or lines) and then how
  many frames were computed and how many read from the cache.
  :class:`~skvideo_imb.ResBiLSTMClassifier` passes ``verbose`` to skorch, whose
  per-epoch table (one printed line per epoch, on standard output) is its progress;
  :class:`~skvideo_imb.models.EpochProgress` gives a shorter line every few epochs
  instead.  :class:`~skvideo_imb.SpatioTemporalOverSampler` reports nothing.  The
  ``verbose`` of :class:`~skvideo_imb.VideoPipeline` is scikit-learn's (the time of
  each step).

**quiet.**  Inside :func:`quiet` (what the commands' ``--quiet`` enters) progress and
the commands' chatter are silenced whatever ``verbose`` says; results and errors are not.
"""

import contextlib
import functools
import sys
import time

from tqdm import tqdm

__all__ = ["command_log", "progress", "quiet", "track", "write_line"]

# Process-wide, not per thread or context: the featurizer reports from whichever thread
# calls transform (joblib's threading backend included), and all of them obey --quiet.
_QUIET = [False]


@contextlib.contextmanager
def quiet(enabled=True):
    """Silence progress and chatter inside the block (``--quiet``).

    Parameters
    ----------
    enabled : bool, default=True
        ``False`` leaves the current setting as it is.

    Examples
    --------
    >>> import sys
    >>> from skvideo_imb._progress import quiet, write_line
    >>> with quiet():
    ...     write_line("not shown", stream=sys.stdout)
    >>> write_line("shown", stream=sys.stdout)
    shown
    """
    before = _QUIET[0]
    _QUIET[0] = before or bool(enabled)
    try:
        yield
    finally:
        _QUIET[0] = before


def _silent(verbose=1):
    return _QUIET[0] or not verbose


def write_line(line, verbose=1, stream=None):
    """Write one progress or summary line (standard error by default), unless silenced.

    Parameters
    ----------
    line : str
    verbose : int, default=1
        ``0`` writes nothing.
    stream : file-like or None, default=None
        Where to write; ``None`` is ``sys.stderr`` at the time of the call.
    """
    if not _silent(verbose):
        stream = sys.stderr if stream is None else stream
        stream.write(f"{line}\n")
        stream.flush()


def _say(quiet, line):
    if not quiet:
        write_line(line, stream=sys.stdout)


def command_log(quiet=False):
    """The commands' line logger: chatter on standard output, nothing under ``--quiet``.

    Parameters
    ----------
    quiet : bool, default=False
        Write nothing.

    Returns
    -------
    log : callable
        Takes one line; picklable (it travels to worker processes with the tasks it
        reports on).

    Examples
    --------
    >>> from skvideo_imb._progress import command_log
    >>> command_log()("featurizer: fitting on 12 videos")
    featurizer: fitting on 12 videos
    >>> command_log(quiet=True)("not shown")
    """
    return functools.partial(_say, quiet)


class _Lines:
    """Plain progress lines for a stream that is not a terminal."""

    def __init__(self, total, desc, unit, stream, interval, step):
        self.total, self.desc, self.unit, self.stream = total, desc, unit, stream
        self.interval, self.step = interval, step
        self.n = self.written = 0
        self.start = self.last = time.monotonic()

    def update(self, n=1):
        self.n += n
        now = time.monotonic()
        crossed = (self.total and self.step and int(100 * self.n / self.total / self.step)
                   > int(100 * self.written / self.total / self.step))
        if crossed or now - self.last >= self.interval:
            self._write(now)

    def close(self):
        if self.n != self.written:
            self._write(time.monotonic())

    def _write(self, now):
        elapsed = max(now - self.start, 1e-9)
        rate = self.n / elapsed
        line = f"{self.desc}: {self.n}"
        if self.total:
            line += f"/{self.total} {self.unit}s ({100 * self.n / self.total:.0f}%)"
        else:
            line += f" {self.unit}s"
        line += f", {rate:.1f} {self.unit}s/s, {tqdm.format_interval(elapsed)} elapsed"
        if self.total and rate:
            line += f", ETA {tqdm.format_interval((self.total - self.n) / rate)}"
        self.stream.write(line + "\n")
        self.stream.flush()
        self.written, self.last = self.n, now


class _Nothing:
    def update(self, n=1):
        pass

    def close(self):
        pass


@contextlib.contextmanager
def progress(total, desc, unit="item", verbose=1, stream=None, interval=30.0, step=10):
    """Report counted work: a bar on a terminal, plain lines otherwise, nothing silenced.

    Parameters
    ----------
    total : int or None
        How many units the work has (``None``: unknown; no percentage, no ETA).
    desc : str
        What is counted, at the start of each line.
    unit : str, default="item"
        Singular name of a unit (``"frame"``, ``"video"``).
    verbose : int, default=1
        ``0`` reports nothing (see the module docstring).
    stream : file-like or None, default=None
        ``None`` is ``sys.stderr``.
    interval : float, default=30.0
        Plain lines: at least one line every ``interval`` seconds while counting.
    step : int, default=10
        Plain lines: one line each time another ``step`` percent is done.

    Yields
    ------
    reporter : object with ``update(n=1)``
        Count ``n`` more units.

    Examples
    --------
    >>> import io
    >>> from skvideo_imb._progress import progress
    >>> log = io.StringIO()                      # not a terminal: plain lines
    >>> with progress(4, "demo", unit="video", stream=log, step=50) as bar:
    ...     for _ in range(4):
    ...         bar.update()
    >>> [line.split(",")[0] for line in log.getvalue().splitlines()]
    ['demo: 2/4 videos (50%)', 'demo: 4/4 videos (100%)']
    """
    stream = sys.stderr if stream is None else stream
    if _silent(verbose):
        reporter = _Nothing()
    elif getattr(stream, "isatty", lambda: False)():
        reporter = tqdm(total=total, desc=desc, unit=unit, file=stream)
    else:
        reporter = _Lines(total, desc, unit, stream, interval, step)
    try:
        yield reporter
    finally:
        reporter.close()


def track(iterable, desc, unit="item", verbose=1, total=None, **kwargs):
    """Iterate over ``iterable`` under :func:`progress`, one unit per item.

    Parameters
    ----------
    iterable : iterable
    desc, unit, verbose
        As for :func:`progress`.
    total : int or None, default=None
        ``len(iterable)`` when it has one.
    **kwargs
        Other arguments of :func:`progress`.

    Yields
    ------
    item
        The items of ``iterable``.
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    with progress(total, desc, unit=unit, verbose=verbose, **kwargs) as reporter:
        for item in iterable:
            yield item
            reporter.update()
