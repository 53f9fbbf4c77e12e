"""Clips: lazy synthetic videos, and turning any video or clip into pixels."""

from dataclasses import dataclass, field

import numpy as np

from ..io import check_video, count_frames, evenly_spaced_indices, read_frames, video_name
from ._augment import Augmentation

__all__ = ["Clip", "to_frames"]


@dataclass(frozen=True, eq=False)
class Clip:
    """A lazy synthetic video: which video, which frames, which augmentation.

    A clip holds no pixels: ``video`` is the source video itself (a path, or a reference
    to the caller's array, never a copy).  It is immutable and picklable, and turning it
    into pixels twice gives the same pixels.  Clips are what
    :class:`~skvideo_imb.SpatioTemporalOverSampler` emits, and are valid videos for
    :class:`~skvideo_imb.InceptionFeaturizer` and :func:`to_frames`.

    Parameters
    ----------
    video : str or ndarray
        The source video (a file path, a frame folder, or a uint8 array).
    indices : tuple of int
        Frame indices into the source video, one per output frame (length α).
    augmentation : Augmentation or None, default=None
        Spatial augmentation applied to every frame; ``None`` means none.

    Attributes
    ----------
    n_frames : int
        Number of frames of the clip (``len(indices)``).

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import Clip
    >>> from skvideo_imb.sampling import Augmentation
    >>> video = np.zeros((10, 8, 8, 3), dtype=np.uint8)
    >>> clip = Clip(video, (0, 4, 9), Augmentation(brightness=1.2))
    >>> clip.n_frames, clip.to_frames().shape
    (3, (3, 8, 8, 3))
    """

    video: object
    indices: tuple
    augmentation: Augmentation = field(default=None)

    def __post_init__(self):
        indices = tuple(int(i) for i in np.asarray(self.indices, dtype=np.int64).ravel())
        if not indices:
            raise ValueError("a clip needs at least one frame index.")
        object.__setattr__(self, "indices", indices)
        if self.augmentation is not None and not isinstance(self.augmentation, Augmentation):
            raise TypeError("augmentation must be an Augmentation or None, got "
                            f"{type(self.augmentation).__name__}.")

    @property
    def n_frames(self):
        return len(self.indices)

    def to_frames(self):
        """The clip's pixels: RGB uint8 of shape ``(n_frames, H, W, 3)``."""
        frames = read_frames(self.video, self.indices)
        if self.augmentation is not None:
            frames = self.augmentation.apply(frames)
        return frames

    def __repr__(self):
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
    if isinstance(video, Clip):
        if n_frames is not None and n_frames != video.n_frames:
            raise ValueError(f"this clip has {video.n_frames} frames, not n_frames={n_frames}.")
        return video.to_frames()
    video = check_video(video)
    if n_frames is None:
        return read_frames(video)
    return read_frames(video, evenly_spaced_indices(count_frames(video), n_frames))
