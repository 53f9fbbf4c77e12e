"""Reading videos into RGB uint8 frames.

A *video* is one of

* a path (``str`` or :class:`os.PathLike`) to a video file that OpenCV/FFmpeg decodes;
* a path to a folder of frame images (what a frame folder is: ``_disk``);
* a uint8 array of shape ``(T, H, W, 3)`` (RGB) or ``(T, H, W)`` (grey).

Everything returned is RGB uint8 ``(k, H, W, 3)``.  Files are decoded by
:func:`~skvideo_imb.io.decode_to_end`, which keeps only the requested frames, so memory
is bounded by the number of frames asked for, not by the video's length; a few frames
of a long file are read from their keyframes instead (``_seek``) when that is exact and
decodes at most half as many frames.  Frame counts come from ``_disk.frame_count``
(memo, optional on-disk store, the container's packet index where it is exact, then
decoding; per file identity).
"""

import functools
import os

import numpy as np

from ._disk import (check_path, converted_frame, count_decoded, decode_to_end,
                    file_identity, frame_count, index_disagrees, is_path, video_name)
from ._pixels import resize_square
from ._seek import read_by_seeking, seek_index, worth_seeking

__all__ = ["check_raw_video", "count_frames", "read_frames", "read_planned"]


def check_raw_video(video):
    """Validate one raw video (a path or an array) and return it; see ``check_video``.

    Arrays are checked for dtype, number of dimensions, channel count and length;
    paths for existence.  Decoding problems are reported when frames are read.
    """
    if is_path(video):
        return check_path(os.fspath(video))
    if isinstance(video, np.ndarray):
        name = video_name(video)
        if video.dtype != np.uint8:
            raise ValueError(f"{name} must have dtype uint8, got {video.dtype}: videos "
                             "must be uint8 arrays (T, H, W[, 3]) of 0-255 pixel values; "
                             "convert float frames in [0, 1] with "
                             "(v * 255).round().astype(np.uint8).")
        if video.ndim not in (3, 4):
            raise ValueError(f"{name} must be (T, H, W, 3) RGB or (T, H, W) grey, "
                             f"got {video.ndim} dimensions.")
        if video.ndim == 4 and video.shape[3] != 3:
            raise ValueError(f"{name} must have 3 (RGB) channels in its last axis, "
                             f"got {video.shape[3]}.")
        if video.shape[0] == 0:
            raise ValueError(f"{name} has no frames.")
        if min(video.shape[1:3]) == 0:
            raise ValueError(f"{name} has empty frames.")
        return video
    raise TypeError(f"a video must be a path, a frame folder or a uint8 array, got "
                    f"{type(video).__name__}.")


def count_frames(video, *, store=None, decode=True):
    """Number of frames of a video: from its packets or by decoding, never the header alone.

    A file's count is the number of frames its container's packet index lists, where
    that index is exact (it agrees with the declared count, hides nothing behind an
    edit list, has a constant frame rate; PyAV installed): nothing is decoded.  Else,
    and from then on for a file whose decoding stops before its index's count, it is
    the number of frames that decode.  It is memoised per file identity (path, size,
    modification time), so that a file is decoded for its count at most once per
    process.

    Parameters
    ----------
    video : str, path-like or ndarray
        A video in any supported form.
    store : object or None, default=None
        An on-disk tier of counts, looked up after the memo and before decoding, and
        written when a file is decoded: an object with ``get_count(identity)`` and
        ``put_count(identity, n)`` such as the featurizer's feature cache.
    decode : bool, default=True
        When False, a file whose count neither the memo nor ``store`` knows gives None
        instead of being decoded.

    Returns
    -------
    n_frames : int (or None, see ``decode``)

    Raises
    ------
    ValueError
        If the video cannot be decoded or has no decodable frame.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import count_frames
    >>> count_frames(np.zeros((7, 4, 4, 3), dtype=np.uint8))
    7
    """
    video = check_raw_video(video)
    if isinstance(video, np.ndarray):
        return int(video.shape[0])
    return frame_count(video, store, decode)


def _check_indices(video, indices, n_total):
    indices = np.asarray(indices)
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise ValueError(f"frame indices must be a 1-D sequence of integers, got {indices!r}.")
    indices = indices.astype(np.int64, copy=False)
    if indices.size and (indices.min() < 0 or indices.max() >= n_total):
        has = f", which has {n_total} frames" if np.isfinite(n_total) else ""
        raise ValueError(f"frame indices {indices.min()}..{indices.max()} are out of range "
                         f"for {video_name(video)}{has}.")
    return indices


def _stack(video, by_index, indices):
    """The frames of ``by_index`` in the order of ``indices``, all of one size."""
    shapes = {f.shape for f in by_index.values()}
    if len(shapes) > 1:
        raise ValueError(f"{video_name(video)} has frames of different sizes: "
                         f"{sorted(shapes)}.")
    return np.stack([by_index[int(i)] for i in indices])


def read_frames(video, indices=None, size=None):
    """Read the requested frames of a video as RGB uint8.

    Only the requested frames are kept in memory; a long file is decoded once,
    sequentially, up to the last requested index.

    Parameters
    ----------
    video : str, path-like or ndarray
        A video file, a folder of frame images, or a uint8 array ``(T, H, W, 3)`` RGB
        or ``(T, H, W)`` grey.
    indices : array-like of int, default=None
        Frame indices, in any order and possibly repeated.  ``None`` reads every frame.
    size : int or None, default=None
        Resize every frame to ``size`` × ``size`` (:func:`resize_square`) as soon as it
        is decoded, so that only small frames are ever held; ``None`` keeps the
        video's own size.

    Returns
    -------
    frames : ndarray of shape (len(indices), H, W, 3), dtype uint8
        RGB frames in the order of ``indices`` (``H = W = size`` when ``size`` is
        given).  For array videos in RGB this is a fancy-indexed copy of the requested
        frames only.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the video cannot be decoded, has no frames, frames of different sizes, or
        an index is out of range.  The message names the video.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import read_frames
    >>> grey = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2)
    >>> read_frames(grey, [2, 0]).shape
    (2, 2, 2, 3)
    """
    video = check_raw_video(video)
    if indices is None:
        indices = np.arange(count_frames(video))
    if len(indices) == 0:
        raise ValueError(f"no frame indices requested from {video_name(video)}.")
    if isinstance(video, np.ndarray):
        indices = _check_indices(video, indices, video.shape[0])
        frames = video[indices]
        if size is not None:
            frames = np.stack([resize_square(frame, size) for frame in frames])
        if frames.ndim == 3:
            frames = np.repeat(frames[..., None], 3, axis=-1)
        return frames
    # One sequential decode serves both the range check and the pixels: a file's frame
    # count is only needed up front when it is already known.
    key = None if os.path.isdir(video) else file_identity(video)
    known = frame_count(video, decode=False, key=key)
    indices = _check_indices(video, indices, np.inf if known is None else known)
    wanted = np.unique(indices)
    if key is not None:  # a few frames of a long file: from their keyframes
        index = seek_index(video, key)
        if worth_seeking(index, wanted) and (known is None or known == index.n_frames):
            frames = read_by_seeking(video, wanted, index,
                                     functools.partial(converted_frame, size=size), key)
            if frames is not None:
                return _stack(video, frames, indices)
    decoded = decode_to_end(video, wanted, size=size, stop_after=int(wanted[-1]))
    if known is None and decoded.n_frames is not None:  # the decoder reached the end
        _check_indices(video, indices, count_decoded(video, decoded, key=key))
    missing = [i for i in wanted if int(i) not in decoded.frames]
    if missing and key is not None:
        index_disagrees(video, decoded, key)  # the count is the decoded one from now on
    if missing:
        raise ValueError(f"{video_name(video)} could not decode frame {missing[0]} "
                         f"(the file is truncated or corrupt).")
    by_index = decoded.frames
    return _stack(video, by_index, indices)


def read_planned(video, plan, size=None, *, store=None):
    """Read the frames that ``plan`` picks from a video of as yet unknown length.

    ``plan(n_total)`` returns the frame indices to read from a video of ``n_total``
    frames (evenly spaced, RandDown ...).  For a file whose frame count is not yet known,
    the count the container declares is taken as a guess: the file is decoded once, to
    its end, keeping the frames the plan picks for that guess, and the decoded count
    checks the guess.  Only a file whose header is wrong is decoded a second time, for
    the plan of its true count.  The true count is memoised like :func:`count_frames`'.

    Parameters
    ----------
    video : str, path-like or ndarray
        Any raw video.
    plan : callable
        Maps a frame count to a 1-D sequence of frame indices.
    size : int or None, default=None
        As for :func:`read_frames`.
    store : object or None, default=None
        An on-disk tier of frame counts (see :func:`count_frames`) that a count found by
        decoding is written to.  It is not looked up: a caller with a store asks
        ``count_frames(video, store=store, decode=False)`` first.

    Returns
    -------
    n_total : int
        The video's frame count (:func:`count_frames`' rules).
    indices : ndarray of int64
        ``plan(n_total)``.
    frames : ndarray of shape (len(indices), H, W, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import evenly_spaced_indices, read_planned
    >>> video = np.arange(10, dtype=np.uint8)[:, None, None].repeat(2, 1).repeat(2, 2)
    >>> n, indices, frames = read_planned(video, lambda n: evenly_spaced_indices(n, 3))
    >>> n, indices.tolist(), frames[:, 0, 0, 0].tolist()
    (10, [1, 4, 8], [1, 4, 8])
    """
    video = check_raw_video(video)
    key = None
    if isinstance(video, np.ndarray):
        known = int(video.shape[0])
    else:
        key = None if os.path.isdir(video) else file_identity(video)
        known = frame_count(video, decode=False, key=key)
    if known is not None:
        indices = np.asarray(plan(known), dtype=np.int64)
        try:
            return known, indices, read_frames(video, indices, size)
        except ValueError:
            # a count from the container's index that decoding contradicted: the
            # decoded count replaced it, plan for that
            again = known if key is None else frame_count(video, decode=False, key=key)
            if again is None or again == known:
                raise
            indices = np.asarray(plan(again), dtype=np.int64)
            return again, indices, read_frames(video, indices, size)
    planned = {}

    def guess(declared):  # the plan for the count the header declares
        planned["indices"] = np.asarray(plan(declared), dtype=np.int64) if declared > 0 \
            else np.empty(0, dtype=np.int64)
        return planned["indices"]
    decoded = decode_to_end(video, guess, size=size)
    n = count_decoded(video, decoded, store, key)
    indices = planned["indices"]
    if n != decoded.declared or len(decoded.frames) != len(set(indices.tolist())):
        indices = np.asarray(plan(n), dtype=np.int64)  # a wrong header: plan again
        return n, indices, read_frames(video, indices, size)
    return n, indices, _stack(video, decoded.frames, indices)
