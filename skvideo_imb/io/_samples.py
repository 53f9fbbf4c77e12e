"""What a sample is: a raw video or a :class:`Clip`, checked in one place."""

import numpy as np

from ._clip import Clip
from ._disk import is_path
from ._reader import check_raw_video

__all__ = ["check_video", "check_videos"]


def check_video(video):
    """Validate one sample (a video or a clip) and return it unchanged (paths as ``str``).

    Arrays are checked for dtype, number of dimensions, channel count and length;
    paths for existence; a :class:`Clip` through its source video.  Decoding problems
    are reported when frames are read.

    Parameters
    ----------
    video : str, path-like, ndarray or Clip
        A video in any supported form, or a clip of one.

    Returns
    -------
    video : str, ndarray or Clip
        The same sample; a path-like becomes a ``str``.

    Raises
    ------
    FileNotFoundError
        If a path (or a clip's path) does not exist.
    ValueError
        If an array has the wrong dtype, shape or no frames.
    TypeError
        If the sample is of no supported type.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import check_video
    >>> check_video(np.zeros((2, 4, 4), dtype=np.uint8)).shape
    (2, 4, 4)
    >>> check_video(np.zeros((2, 4, 4, 3)))
    Traceback (most recent call last):
    ...
    ValueError: array video of shape (2, 4, 4, 3) must have dtype uint8, got float64: ...
    """
    if isinstance(video, Clip):
        check_raw_video(video.video)
        return video
    return check_raw_video(video)


def check_videos(X, *, allow_clips=True):
    """Turn a collection of samples into a list of checked ones, without copying pixels.

    Parameters
    ----------
    X : list, tuple, 1-D object array of videos or clips, or uint8 ndarray \
            (N, T, H, W[, 3])
        The samples.  A 5-D (or 4-D grey) uint8 array is split into per-video views.
    allow_clips : bool, default=True
        Whether :class:`Clip` samples are accepted (a sampler of raw videos refuses
        them).

    Returns
    -------
    videos : list
        One entry per sample, each validated with :func:`check_video`.

    Raises
    ------
    ValueError, TypeError or FileNotFoundError
        Naming the offending sample as ``X[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import check_videos
    >>> X = np.zeros((3, 5, 8, 8, 3), dtype=np.uint8)
    >>> videos = check_videos(X)
    >>> len(videos), videos[0].shape, np.shares_memory(videos[0], X)
    (3, (5, 8, 8, 3), True)
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.dtype.kind == "U":
            X = X.tolist()
        elif X.ndim == 4 and X.shape[-1] == 3:
            raise ValueError(
                f"a 4-D uint8 array of shape {X.shape} is ambiguous: it looks like one "
                "RGB video (T, H, W, 3). Pass a list of videos ([video]) or a 5-D array "
                "(N, T, H, W, 3); N grey videos are (N, T, H, W) with W != 3.")
        elif X.ndim in (4, 5):
            X = list(X)
        else:
            raise ValueError(
                f"an array of videos must be uint8 with shape (N, T, H, W, 3) or "
                f"(N, T, H, W), got dtype {X.dtype} and shape {X.shape}.")
    elif is_path(X) or isinstance(X, Clip):
        raise TypeError("X must be a collection of videos or clips; wrap a single video or "
                        "clip in a list.")
    videos = list(X)
    if not videos:
        raise ValueError("X contains no videos.")
    checked = []
    for i, video in enumerate(videos):
        if isinstance(video, Clip) and not allow_clips:
            raise TypeError(f"X[{i}] is a Clip, but this step takes the source videos "
                            f"(clips are not resampled again): {video!r}.")
        try:
            checked.append(check_video(video))
        except (TypeError, ValueError, FileNotFoundError) as exc:
            raise type(exc)(f"X[{i}]: {exc}") from exc
    return checked
