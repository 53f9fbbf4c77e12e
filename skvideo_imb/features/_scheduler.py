"""Scheduling frames through the network: each distinct frame computed once, in batches.

:class:`FrameScheduler` receives loaded samples in order (:class:`LoadedSample`) and
fills one output array ``(n_samples, n_frames, n_features)``.  A frame is named by its
key digest; per digest it is either

- already placed in this call (a repeated frame, or the same frame of another
  sample): copied;
- waiting for a batch that is already queued: its position is added to the wait list;
- a cache hit: placed;
- new: queued.

Queued frames go through ``compute`` in batches of exactly ``batch_size`` frames (the
last one smaller), mixing frames of consecutive samples; each result is placed at every
position that waits for it and, with a cache, written to it.  With a cache, the last
batch is padded to ``batch_size`` too: a vector in a shared cache then does not depend
on which process, thread or batch computed it (kernels round differently for different
batch sizes), so every reader gets bit-for-bit the vector a serial run computes.

With a cache shared by several processes, a new frame is queued only if this process
wins its claim (:meth:`FeatureCache.claim`); a frame another process is computing is
*deferred*: after its own work, :meth:`finish` waits for those vectors to appear in the
cache, and computes itself any whose lease went stale (reloading the sample through
``reload``).  Every wait has a deadline (``wait_s``): frames still missing then are
computed here, with one warning.
"""

import time
import warnings
from collections import deque

import numpy as np
import torch

__all__ = ["WAIT_S", "FrameScheduler"]

WAIT_S = 120.0
"""Default deadline (seconds) of a wait for frames that other processes compute."""


class FrameScheduler:
    """Fill ``out`` from loaded samples, computing each distinct frame once.

    Parameters
    ----------
    out : ndarray of shape (n_samples, n_frames, n_features)
        Filled in place.
    compute : callable
        ``compute(frames)`` maps a uint8 tensor ``(b, 3, S, S)`` to float32 features
        ``(b, n_features)``.
    batch_size : int
        Frames per call of ``compute``.
    cache : FeatureCache or None, default=None
        Computed vectors are written to it.
    progress : callable or None, default=None
        Called with the number of output positions filled, as they are filled.
    reload : callable or None, default=None
        ``reload(index)`` loads sample ``index`` again (a :class:`LoadedSample`), for a
        deferred frame this process must compute after all.
    poll : float, default=0.05
        Seconds between the first looks at the cache while waiting for deferred frames
        (growing to ten times that).
    wait_s : float or None, default=None
        Deadline (None: :data:`WAIT_S`, 120 s) of the wait for frames other processes
        compute: past it, they are computed here (one warning names how many and the
        cache folder).

    Attributes
    ----------
    hits : int
        Distinct frames taken from the cache.
    misses : int
        Distinct frames computed.
    corrupt : int
        Corrupt cache records met while loading (recomputed: vectors among ``misses``,
        and frame counts).
    corrupt_counts : int
        How many of those were frame counts.
    cache_errors : list of str
        Cache writes that failed while loading (in DataLoader workers, say).
    deferred : int
        Distinct frames another process was computing; they count as ``hits`` when
        their vectors arrived, as ``misses`` when this process computed them after all.
    overdue : int
        Deferred frames computed here because the deadline passed.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skvideo_imb.features._loading import LoadedSample
    >>> from skvideo_imb.features._scheduler import FrameScheduler
    >>> out = np.zeros((1, 3, 1), dtype=np.float32)
    >>> frames = torch.tensor([[[[1]]], [[[2]]]], dtype=torch.uint8).expand(2, 3, 1, 1)
    >>> item = LoadedSample(0, [b"a", b"b", b"a"], {}, [b"a", b"b"], frames)
    >>> scheduler = FrameScheduler(out, lambda f: f[:, :1, 0, 0].float().numpy(), 8)
    >>> scheduler.add(item); scheduler.finish()
    >>> out.ravel().tolist(), scheduler.misses
    ([1.0, 2.0, 1.0], 2)
    """

    def __init__(self, out, compute, batch_size, cache=None, progress=None, reload=None,
                 poll=0.05, wait_s=None):
        self.out = out
        self.compute = compute
        self.batch_size = int(batch_size)
        self.cache = cache
        self.progress = progress or (lambda n: None)
        self.reload = reload
        self.poll = poll
        self.wait_s = float(WAIT_S if wait_s is None else wait_s)
        self.hits = self.misses = self.corrupt = self.corrupt_counts = self.deferred = 0
        self.overdue = 0
        self.cache_errors = []
        self._elsewhere = {}     # digest -> index of a sample holding it, computed elsewhere
        self._done = {}          # digest -> (sample, position) holding its vector
        self._waiting = {}       # digest -> positions waiting for a queued computation
        self._queue = deque()    # (uint8 frames, their digests), in arrival order
        self._queued = 0

    def add(self, item):
        """Place what ``item`` (a :class:`LoadedSample`) already has; queue the rest."""
        self.corrupt += item.n_corrupt
        self.corrupt_counts += item.n_corrupt_counts
        if item.cache_error and item.cache_error not in self.cache_errors:
            self.cache_errors.append(item.cache_error)
        row_of = {digest: row for row, digest in enumerate(item.missing)}
        new_rows, new_digests, filled = [], [], 0
        for t, digest in enumerate(item.digests):
            if digest in self._done:
                self.out[item.index, t] = self.out[self._done[digest]]
                filled += 1
            elif digest in self._waiting:
                self._waiting[digest].append((item.index, t))
            elif digest in self._elsewhere:
                self._waiting[digest].append((item.index, t))
            elif digest in item.hits:
                self.out[item.index, t] = item.hits[digest]
                self._done[digest] = (item.index, t)
                self.hits += 1
                filled += 1
            elif self.cache is not None and not self.cache.claim(digest):
                self._waiting[digest] = [(item.index, t)]   # another process computes it
                self._elsewhere[digest] = item.index
                self.deferred += 1
            elif self.cache is not None and (late := self._written_meanwhile(digest)) \
                    is not None:
                self.out[item.index, t] = late
                self._done[digest] = (item.index, t)
                self.hits += 1
                filled += 1
            else:
                self._waiting[digest] = [(item.index, t)]
                new_rows.append(row_of[digest])
                new_digests.append(digest)
                self.misses += 1
        self.progress(filled)
        if new_rows:
            frames = item.frames
            if len(new_rows) != frames.shape[0]:
                frames = frames[torch.as_tensor(new_rows)]
            self._queue.append((frames, new_digests))
            self._queued += len(new_rows)
        while self._queued >= self.batch_size:
            self._run(self.batch_size)

    def _written_meanwhile(self, digest):
        """The vector of a just-claimed frame that another process wrote after this one
        looked it up (and released), or None; the claim is released if so."""
        vector = self.cache.get(digest, count_corrupt=False)
        if vector is not None:
            self.cache.release(digest)
        return vector

    def finish(self):
        """Compute whatever is still queued, then collect the frames computed elsewhere."""
        if self._queued:
            self._run(self._queued)
        deadline, pause = time.monotonic() + self.wait_s, self.poll
        while self._elsewhere:
            ours = []
            for digest in list(self._elsewhere):
                vector = self.cache.get(digest, count_corrupt=False)
                if vector is not None:
                    del self._elsewhere[digest]
                    self._place(digest, vector)
                    self.hits += 1
                elif self.cache.claim(digest):  # its process died, or gave up: ours now
                    ours.append(digest)
            if ours:
                self._compute_here(ours)
            elif self._elsewhere and time.monotonic() >= deadline:
                late = list(self._elsewhere)
                self.overdue += len(late)
                warnings.warn(
                    f"{len(late)} frames that other processes hold leases on under "
                    f"{self.cache.folder!r} did not appear within {self.wait_s:.0f}s; "
                    "computing them here.", RuntimeWarning, stacklevel=3)
                self._compute_here(late)
            elif self._elsewhere:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 1.5, 10 * self.poll)

    def _compute_here(self, digests):
        """Compute deferred frames after all, in full batches, loading each sample that
        holds some of them once."""
        by_sample = {}
        for digest in digests:
            by_sample.setdefault(self._elsewhere.pop(digest), []).append(digest)
        for index, mine in by_sample.items():
            item = self.reload(index)
            for digest in [d for d in mine if d in item.hits]:  # written meanwhile after all
                mine.remove(digest)
                self.cache.release(digest)  # (a lease this process holds, if any)
                self._place(digest, item.hits[digest])
                self.hits += 1
            if mine:
                rows = [item.missing.index(d) for d in mine]
                self._queue.append((item.frames[rows], mine))
                self._queued += len(mine)
                self.misses += len(mine)
        while self._queued >= self.batch_size:
            self._run(self.batch_size)
        if self._queued:
            self._run(self._queued)

    def _place(self, digest, vector):
        positions = self._waiting.pop(digest)
        for i, t in positions:
            self.out[i, t] = vector
        self._done[digest] = positions[0]
        self.progress(len(positions))

    def _take(self, n):
        """The next ``n`` queued frames and their digests."""
        frames, digests = [], []
        while n:
            chunk, chunk_digests = self._queue[0]
            k = min(n, chunk.shape[0])
            frames.append(chunk[:k])
            digests.extend(chunk_digests[:k])
            if k == chunk.shape[0]:
                self._queue.popleft()
            else:
                self._queue[0] = (chunk[k:], chunk_digests[k:])
            n -= k
        return torch.cat(frames) if len(frames) > 1 else frames[0], digests

    def _run(self, n):
        frames, digests = self._take(n)
        self._queued -= n
        if self.cache is not None and n < self.batch_size:
            # a frame's vector must not depend on which batch computed it (kernels differ
            # in rounding between batch sizes): with a shared cache every batch is full
            padding = frames.new_zeros((self.batch_size - n, *frames.shape[1:]))
            frames = torch.cat([frames, padding])
        features = self.compute(frames)[:n]
        for digest, vector in zip(digests, features):
            self._place(digest, vector)
            if self.cache is not None:
                self.cache.put(digest, np.asarray(vector))
                self.cache.release(digest)
