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
position that waits for it and, with a cache, written to it.
"""

from collections import deque

import numpy as np
import torch

__all__ = ["FrameScheduler"]


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

    def __init__(self, out, compute, batch_size, cache=None, progress=None):
        self.out = out
        self.compute = compute
        self.batch_size = int(batch_size)
        self.cache = cache
        self.progress = progress or (lambda n: None)
        self.hits = self.misses = self.corrupt = self.corrupt_counts = 0
        self.cache_errors = []
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
            elif digest in item.hits:
                self.out[item.index, t] = item.hits[digest]
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

    def finish(self):
        """Compute whatever is still queued."""
        if self._queued:
            self._run(self._queued)

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
        features = self.compute(frames)
        for digest, vector in zip(digests, features):
            positions = self._waiting.pop(digest)
            for i, t in positions:
                self.out[i, t] = vector
            self._done[digest] = positions[0]
            if self.cache is not None:
                self.cache.put(digest, np.asarray(vector))
            self.progress(len(positions))
