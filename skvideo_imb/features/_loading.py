"""Streaming frames to the network: decoding, augmentation and resizing per sample.

One item of :class:`SampleFrames` is one input sample (a video or a clip).  Loading it
resolves which frames it needs (:func:`skvideo_imb.io.as_clip`), names each frame by
its key digest, looks them up in the feature cache, and decodes, augments and resizes
only the frames that are missing, so the work a DataLoader worker does is exactly the
work the network cannot skip.  Items are small: their pixels are
uint8 at the network's input size.  Normalisation (float conversion, mean and standard
deviation) happens on the compute device, batch by batch.
"""

import dataclasses
import hashlib
import multiprocessing
import os
import queue
import threading
import warnings

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..io import (Clip, _seek, as_clip, count_frames, file_identity, read_frames,
                  read_planned, resize_square)
from ._cache import frame_digest

__all__ = ["LoadedSample", "SampleFrames", "augmentation_key", "frame_identities",
           "iterate", "prepare_frames"]


def augmentation_key(augmentation):
    """A hashable, exact description of an augmentation (``None`` for none or identity)."""
    if augmentation is None or augmentation.is_identity:
        return None
    return tuple(sorted(dataclasses.asdict(augmentation).items()))


def frame_identities(source, indices, frames=None):
    """Identity of each frame: file identity + index, or a hash of the pixels."""
    if isinstance(source, np.ndarray):
        if frames is None:
            frames = read_frames(source, indices)
        return [("pixels", frame.shape,
                 hashlib.blake2b(np.ascontiguousarray(frame).data, digest_size=16).digest())
                for frame in frames]
    identity = ("file",) + tuple(file_identity(source))
    return [identity + (int(i),) for i in indices]


def prepare_frames(frames, augmentation, image_size):
    """RGB uint8 ``(k, H, W, 3)`` → augmented, resized uint8 ``(k, 3, S, S)``.

    The augmentation applies at the source resolution, then every frame is resized
    with :func:`skvideo_imb.io.resize_square`.  The tensor is a channels-last view of
    the resized frames (no copy).
    """
    if augmentation is not None:
        frames = augmentation.apply(frames)
    if frames.shape[1:3] != (image_size, image_size):
        frames = np.stack([resize_square(frame, image_size) for frame in frames])
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)


@dataclasses.dataclass
class LoadedSample:
    """What loading one sample yields.

    Attributes
    ----------
    index : int
        Position of the sample in the input.
    digests : list of bytes
        Key digest of each of the sample's ``n_frames`` positions.
    hits : dict
        Digest → cached float32 vector, for cached frames.
    missing : list of bytes
        Digests of the distinct frames that must be computed, in the order of ``frames``.
    frames : torch.Tensor or None
        uint8 ``(len(missing), 3, S, S)`` network inputs of the missing frames.
    n_corrupt : int
        Cache records found corrupt while loading this sample (vectors among
        ``missing``, and frame counts, recomputed).
    n_corrupt_counts : int
        How many of those were frame counts.
    cache_error : str or None
        The error of a failed cache write while loading (a frame count), if any.
    """

    index: int
    digests: list
    hits: dict
    missing: list
    frames: object
    n_corrupt: int = 0
    n_corrupt_counts: int = 0
    cache_error: str | None = None


class SampleFrames(Dataset):
    """A map-style dataset: item ``i`` is :class:`LoadedSample` for ``samples[i]``.

    Parameters
    ----------
    samples : list
        Videos and clips.
    n_frames : int or None
        Frames per sample; ``None`` takes clips of any length as they are.
    image_size : int
        Side of the square network input.
    network_key : tuple
        Identifies the network setting; part of every frame's digest.
    cache : FeatureCache or None, default=None
        Where to look for already computed frames (reads only; the caller writes).
    """

    def __init__(self, samples, n_frames, image_size, network_key, cache=None):
        self.samples = samples
        self.n_frames = n_frames
        self.image_size = image_size
        self.network_key = network_key
        self.cache = cache

    def __len__(self):
        return len(self.samples)

    def _count(self, source):
        return count_frames(source, store=self.cache)

    def _first_sight(self, clip):
        """Whether ``clip`` is a lazy clip of a file whose frame count nobody knows yet.

        Its frames are then chosen and read in one decoding pass
        (:func:`skvideo_imb.io.read_planned`) rather than a counting pass and a reading
        pass; with the count known (memo or cache), the frames may all be cached too, and
        nothing is decoded before looking.
        """
        source = clip.video
        if not clip.is_lazy or not isinstance(source, str) or not os.path.isfile(source):
            return False
        return count_frames(source, store=self.cache, decode=False) is None

    def _read_first_sight(self, clip, aug_key):
        size = self.image_size if aug_key is None else None
        _, indices, frames = read_planned(
            clip.video, lambda n: clip.resolve(count=lambda _: n).indices, size,
            store=self.cache)
        return Clip(clip.video, indices, clip.augmentation), frames

    def __getitem__(self, i):
        seen = _seek.generation()
        try:
            return self._load(i)
        except ValueError:
            if _seek.generation() == seen:
                raise
            # a file's count from its container index was contradicted by decoding
            # meanwhile (a damaged packet): plan on the decoded count, once
            return self._load(i)

    def _load(self, i):
        cache = self.cache
        corrupt_before = (cache.n_corrupt, cache.n_corrupt_counts) if cache else (0, 0)
        try:
            clip = as_clip(self.samples[i], self.n_frames)
            aug_key = augmentation_key(clip.augmentation)
            decoded = None  # frames already read, in the order of the clip's indices
            if self._first_sight(clip):
                clip, decoded = self._read_first_sight(clip, aug_key)
            else:
                clip = clip.resolve(count=self._count)
            source, augmentation = clip.video, clip.augmentation
            indices = np.asarray(clip.indices, dtype=np.int64)
            array_frames = read_frames(source, indices) if isinstance(source, np.ndarray) \
                else None
            identities = frame_identities(source, indices, array_frames)
        except (ValueError, FileNotFoundError, TypeError) as exc:
            raise type(exc)(f"sample {i}: {exc}") from exc
        digests = [frame_digest(self.network_key, identity, aug_key)
                   for identity in identities]

        hits, missing, missing_at = {}, [], []
        seen = set()
        for position, digest in enumerate(digests):
            if digest in seen:
                continue
            seen.add(digest)
            vector = self.cache.get(digest) if self.cache is not None else None
            if vector is None:
                missing.append(digest)
                missing_at.append(position)
            else:
                hits[digest] = vector
        n_corrupt, n_corrupt_counts = ((cache.n_corrupt - corrupt_before[0],
                                        cache.n_corrupt_counts - corrupt_before[1])
                                       if cache else (0, 0))
        cache_error = str(cache.write_error) if cache and cache.write_error else None
        frames = None
        if missing:
            if array_frames is not None:
                raw = array_frames[missing_at]
            elif decoded is not None:
                raw = decoded[missing_at]
            else:
                # frames without augmentation are resized as they are decoded
                size = self.image_size if aug_key is None else None
                try:
                    raw = read_frames(source, indices[missing_at], size=size)
                except (ValueError, FileNotFoundError) as exc:
                    raise type(exc)(f"sample {i}: {exc}") from exc
            frames = prepare_frames(raw, augmentation, self.image_size)
        return LoadedSample(i, digests, hits, missing, frames, n_corrupt, n_corrupt_counts,
                            cache_error)


def _identity(item):
    return item


def _init_worker(worker_id):
    # One thread per worker: the workers exist for parallelism already.
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def _in_daemon():
    return multiprocessing.current_process().daemon


def _context():
    """The multiprocessing context for DataLoader workers: forkserver where there is one.

    A worker forked from this process would inherit the locks of its threads (OpenCV's
    and OpenVINO's thread pools, torch's OpenMP, the loader thread, a user's threads)
    without the threads that hold them, and can hang for ever: seen here, a worker
    forked after the featurizer had run other engines hung in ``cv2.setNumThreads``.
    The fork server is a single-threaded process that imports this module once (its
    preload list is set to this module, while the server has not started yet: the
    caller's ``__main__`` is never run there); workers fork from it in milliseconds.
    Spawn where the platform has no fork server (Windows).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _in_background(dataset, depth=2):
    """Yield ``dataset``'s items in order, loaded by one background thread.

    The thread stays at most ``depth`` items ahead.  Decoding (OpenCV) and the network
    (torch, OpenVINO) release the GIL, so loading the next sample overlaps the forward
    pass of the current batch.  An error while loading is raised here, in order.
    """
    items = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry):
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def load():
        try:
            for i in range(len(dataset)):
                if not put((True, dataset[i])):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put((False, exc))
            return
        put((True, _DONE))

    thread = threading.Thread(target=load, name="skvideo_imb-loader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = items.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


_DONE = object()


def iterate(dataset, num_workers=0):
    """Yield ``dataset``'s items in order.

    With ``num_workers=0`` one background thread loads the next items while the caller
    computes; with ``num_workers > 0`` a DataLoader's worker processes do.  Where worker
    processes cannot be started (inside a daemonic process such as a
    ``multiprocessing.Pool`` worker, when the platform refuses, or when the workers die
    before the first item: a script without the ``__main__`` guard, which each worker
    imports), loading falls back to the background thread with a warning.  A worker
    that dies is noticed within seconds (DataLoader checks its workers every 5 s while
    it waits; no overall timeout, which in DataLoader would replace that check).
    """
    if num_workers > 0 and _importing_main():
        # this is a worker importing the caller's script, which starts workers again at
        # import: multiprocessing refuses; say why here, the caller falls back
        raise RuntimeError("a DataLoader worker imported a script that starts workers "
                           "again: guard the script's code with "
                           "`if __name__ == \"__main__\":`.")
    if num_workers > 0 and _in_daemon():
        warnings.warn(f"num_workers={num_workers} cannot be used inside a daemonic process "
                      "(e.g. a multiprocessing.Pool worker); loading frames in-process "
                      "(num_workers=0) instead.", RuntimeWarning, stacklevel=3)
        num_workers = 0
    kwargs = dict(batch_size=None, shuffle=False, collate_fn=_identity)
    if num_workers > 0:
        try:
            loader = DataLoader(dataset, num_workers=num_workers, worker_init_fn=_init_worker,
                                prefetch_factor=2, multiprocessing_context=_context(),
                                **kwargs)
            iterator = iter(loader)
        except Exception as exc:  # AssertionError (daemonic), OSError, pickling errors ...
            _fall_back(num_workers, exc)
        else:
            try:
                first = next(iterator, _DONE)
            except RuntimeError as exc:  # a sample's own error keeps its type (ValueError)
                if "exited unexpectedly" not in str(exc):
                    raise
                _fall_back(num_workers, exc)  # the workers died before the first item
            else:
                if first is not _DONE:
                    yield first
                    yield from iterator
                return
    yield from _in_background(dataset)


def _fall_back(num_workers, exc):
    warnings.warn(f"could not start {num_workers} DataLoader worker process(es) "
                  f"({type(exc).__name__}: {exc}); loading frames in-process "
                  "(num_workers=0) instead.", RuntimeWarning, stacklevel=4)


def _importing_main():
    """Whether this process is a new worker still importing its parent's ``__main__``."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))
