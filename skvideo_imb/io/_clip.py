"""Clips: which frames of which video, under which augmentation.

A clip is the one description of a sample's frames.  A raw video at test time is the
lazy clip of its evenly spaced frames (:func:`as_clip`); a synthetic video of the
oversampler is a lazy clip with a RandDown seed and an augmentation.  Choosing the
frames (:meth:`Clip.resolve`) and turning them into pixels (:meth:`Clip.to_frames`)
happen here and nowhere else.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from ._augment import Augmentation
from ._disk import video_name
from ._reader import check_raw_video, count_frames, read_frames
from ._selection import evenly_spaced_indices, rand_down_indices

__all__ = ["Clip", "as_clip", "to_frames"]


def _selection_rng(seed):
    """The RandomState that a lazy clip's RandDown draws from, given its ``seed``."""
    return np.random.RandomState(np.random.PCG64(np.random.SeedSequence(seed)))


@dataclass(frozen=True, eq=False)
class Clip:
    """A lazy synthetic video: which video, which frames, which augmentation.

    A clip holds no pixels: ``video`` is the source video itself (a path, or a reference
    to the caller's array, never a copy).  It is immutable and picklable, and turning it
    into pixels twice gives the same pixels.  Clips are what
    :class:`~skvideo_imb.SpatioTemporalOverSampler` emits, and are valid videos for
    :class:`~skvideo_imb.InceptionFeaturizer` and :func:`to_frames`.

    A clip is either *concrete* (``indices`` given) or *lazy* (``indices=None``, with
    ``n_frames`` and optionally ``seed``): a lazy clip chooses its frames only when its
    pixels are needed, because choosing them needs the video's frame count, which for a
    file means decoding it.  :meth:`resolve` turns a lazy clip into the equivalent
    concrete one, deterministically.

    Parameters
    ----------
    video : str or ndarray
        The source video (a file path, a frame folder, or a uint8 array).
    indices : tuple of int or None, default=None
        Frame indices into the source video, one per output frame (length α).
        ``None`` makes a lazy clip.
    augmentation : Augmentation or None, default=None
        Spatial augmentation applied to every frame; ``None`` means none.
    n_frames : int or None, default=None
        Number of frames of the clip (α).  Required for a lazy clip; for a concrete
        clip it defaults to, and must equal, ``len(indices)``.
    seed : int or None, default=None
        Lazy clips only.  ``None`` selects α evenly spaced frames (the deterministic
        test-time selection, :func:`~skvideo_imb.io.evenly_spaced_indices`); a
        non-negative int selects them with the paper's RandDown
        (:func:`~skvideo_imb.io.rand_down_indices`, UpSample for short videos), drawing
        from ``RandomState(PCG64(SeedSequence(seed)))``.
    window : tuple of (int, int) or None, default=None
        Lazy clips only.  ``(start, stop)`` chooses the frames among frames ``start``
        to ``stop - 1`` of the video (a window of a long video; ``stop`` beyond the
        video's end is its end), as if they were the whole video.  ``None``: the
        whole video.

    Attributes
    ----------
    n_frames : int
        Number of frames of the clip.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import Clip
    >>> from skvideo_imb.io import Augmentation
    >>> video = np.zeros((10, 8, 8, 3), dtype=np.uint8)
    >>> clip = Clip(video, (0, 4, 9), Augmentation(brightness=1.2))
    >>> clip.n_frames, clip.to_frames().shape
    (3, (3, 8, 8, 3))

    A lazy clip picks its frames when asked, the same ones every time:

    >>> lazy = Clip(video, n_frames=4, seed=7)
    >>> lazy.indices is None, lazy.resolve().indices == lazy.resolve().indices
    (True, True)
    >>> Clip(video, n_frames=5).resolve().indices
    (1, 3, 5, 7, 9)
    >>> Clip(video, n_frames=2, window=(4, 8)).resolve().indices
    (5, 7)
    """

    video: object
    indices: tuple | None = None
    augmentation: Augmentation | None = None
    n_frames: int | None = None
    seed: int | None = None
    window: tuple | None = None

    def __post_init__(self):
        if self.augmentation is not None and not isinstance(self.augmentation, Augmentation):
            raise TypeError("augmentation must be an Augmentation or None, got "
                            f"{type(self.augmentation).__name__}.")
        if self.indices is not None:
            indices = tuple(int(i) for i in np.asarray(self.indices, dtype=np.int64).ravel())
            if not indices:
                raise ValueError("a clip needs at least one frame index.")
            if self.n_frames is not None and int(self.n_frames) != len(indices):
                raise ValueError(f"n_frames={self.n_frames} does not match the "
                                 f"{len(indices)} frame indices given.")
            if self.seed is not None or self.window is not None:
                raise ValueError("a clip takes either concrete indices or a selection "
                                 "(seed, window), not both.")
            object.__setattr__(self, "indices", indices)
            object.__setattr__(self, "n_frames", len(indices))
            return
        if (self.n_frames is None or isinstance(self.n_frames, bool)
                or not isinstance(self.n_frames, numbers.Integral) or self.n_frames < 1):
            raise ValueError("a lazy clip (indices=None) needs n_frames, an int >= 1, "
                             f"got {self.n_frames!r}.")
        object.__setattr__(self, "n_frames", int(self.n_frames))
        if self.seed is not None:
            if (isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral)
                    or self.seed < 0):
                raise ValueError(f"seed must be None or an int >= 0, got {self.seed!r}.")
            object.__setattr__(self, "seed", int(self.seed))
        if self.window is not None:
            start, stop = (int(i) for i in self.window)
            if not 0 <= start < stop:
                raise ValueError(f"window must be (start, stop) with 0 <= start < stop, "
                                 f"got {self.window!r}.")
            object.__setattr__(self, "window", (start, stop))

    @property
    def is_lazy(self):
        """Whether the frame indices are still to be chosen (``indices is None``)."""
        return self.indices is None

    def resolve(self, count=count_frames):
        """The concrete clip: same video and augmentation, frame indices chosen.

        A concrete clip returns itself.  A lazy clip counts the video's frames
        (:func:`~skvideo_imb.io.count_frames`, memoised per file) and selects
        ``n_frames`` of them (of its ``window``'s) as described for ``seed``; the result
        is the same on every call and in every process.

        Parameters
        ----------
        count : callable, default=count_frames
            Returns the number of frames of ``video``; a caller with a memo of its own
            (the featurizer's on-disk cache) passes it so nothing is decoded twice, and
            a caller whose ``video`` is a sequence of per-frame features passes
            :func:`len`.

        Returns
        -------
        clip : Clip
            A clip with ``indices`` set and ``seed`` None.
        """
        if self.indices is not None:
            return self
        n_total = count(self.video)
        start, stop = self.window or (0, n_total)
        if start >= n_total:
            raise ValueError(f"window {self.window} starts after the last frame of "
                             f"{video_name(self.video)}, which has {n_total} frames.")
        length = min(stop, n_total) - start
        if self.seed is None:
            indices = evenly_spaced_indices(length, self.n_frames)
        else:
            indices = rand_down_indices(length, self.n_frames, _selection_rng(self.seed))
        return Clip(self.video, start + np.asarray(indices), self.augmentation)

    def to_frames(self):
        """The clip's pixels: RGB uint8 of shape ``(n_frames, H, W, 3)``."""
        clip = self.resolve()
        frames = read_frames(clip.video, clip.indices)
        if clip.augmentation is not None:
            frames = clip.augmentation.apply(frames)
        return frames

    def __repr__(self):
        if self.indices is None:
            selection = ("evenly spaced" if self.seed is None else f"seed={self.seed}") + (
                "" if self.window is None else f", window={self.window}")
            return (f"Clip({video_name(self.video)}, n_frames={self.n_frames}, "
                    f"{selection}, augmentation={self.augmentation})")
        idx = self.indices if len(self.indices) <= 6 else (
            f"({self.indices[0]}, {self.indices[1]}, ..., {self.indices[-1]})")
        return f"Clip({video_name(self.video)}, indices={idx}, augmentation={self.augmentation})"


def to_frames(video, n_frames=None):
    """Pixels of a video or clip, as RGB uint8 ``(T, H, W, 3)``.

    Parameters
    ----------
    video : str, path-like, ndarray or Clip
        Any video form, or a clip from the oversampler.
    n_frames : int, default=None
        For a raw video, select this many evenly spaced frames (repeating frames of
        a shorter video); ``None`` returns every frame.  A clip always returns its own
        frames, and ``n_frames`` must then be ``None`` or equal to its length.

    Returns
    -------
    frames : ndarray of shape (T, H, W, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import to_frames
    >>> video = np.zeros((10, 8, 8), dtype=np.uint8)
    >>> to_frames(video, n_frames=4).shape
    (4, 8, 8, 3)
    """
    if n_frames is None and not isinstance(video, Clip):
        return read_frames(video)
    return as_clip(video, n_frames).to_frames()


def as_clip(video, n_frames):
    """Any sample as a clip of ``n_frames`` frames.

    A raw video becomes the lazy clip of its ``n_frames`` evenly spaced frames (the
    deterministic test-time selection; frames are repeated when the video is shorter);
    a clip is returned as it is, after checking its length.

    Parameters
    ----------
    video : str, path-like, ndarray or Clip
        One sample.
    n_frames : int or None
        Frames per sample; ``None`` accepts a clip of any length (and is an error for a
        raw video).

    Returns
    -------
    clip : Clip

    Raises
    ------
    ValueError
        If a clip's length is not ``n_frames``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import as_clip
    >>> as_clip(np.zeros((10, 4, 4), dtype=np.uint8), 5).resolve().indices
    (1, 3, 5, 7, 9)
    """
    if isinstance(video, Clip):
        if n_frames is not None and n_frames != video.n_frames:
            raise ValueError(f"{video!r} has {video.n_frames} frames, not n_frames="
                             f"{n_frames}; make clips with the same n_frames as the "
                             "step that reads them.")
        return video
    return Clip(check_raw_video(video), n_frames=n_frames)
