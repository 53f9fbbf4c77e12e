"""Frame selection: which α frame indices of an n-frame video to use.

The paper (Pouyanfar et al., 2018, Algorithm 1) turns every video into a sequence of
exactly α frames.  Training clips use *RandDown* (one random frame in each of α equal
windows) when the video is longer than α and *UpSample* (frames repeated in order) when
it is shorter.  Test time uses the deterministic evenly spaced counterpart of RandDown.
"""

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["evenly_spaced_indices", "rand_down_indices", "upsample_indices"]


def _check_counts(n_total, n_frames):
    n_total, n_frames = int(n_total), int(n_frames)
    if n_total < 1:
        raise ValueError(f"a video needs at least one frame to select from, got {n_total}.")
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}.")
    return n_total, n_frames


def _window_edges(n_total, n_frames):
    """Edges of the α windows of width n/α (integer, disjoint, covering [0, n))."""
    return (np.arange(n_frames + 1, dtype=np.int64) * n_total) // n_frames


def upsample_indices(n_total, n_frames):
    """Stretch ``n_total`` frames to ``n_frames`` indices by repeating frames in order.

    Every frame appears ``floor(α / n)`` or ``ceil(α / n)`` times; the result is
    non-decreasing.  This is the paper's *UpSample* for videos shorter than α.

    Parameters
    ----------
    n_total : int
        Number of frames in the video (``n_total <= n_frames`` is the intended use).
    n_frames : int
        Number of indices to return (α).

    Returns
    -------
    indices : ndarray of shape (n_frames,), dtype int64

    Examples
    --------
    >>> from skvideo_imb.io import upsample_indices
    >>> upsample_indices(3, 7).tolist()
    [0, 0, 0, 1, 1, 2, 2]
    """
    n_total, n_frames = _check_counts(n_total, n_frames)
    return (np.arange(n_frames, dtype=np.int64) * n_total) // n_frames


def evenly_spaced_indices(n_total, n_frames):
    """Deterministic test-time selection: the centre frame of each of α equal windows.

    Falls back to :func:`upsample_indices` when the video has fewer than α frames.

    Parameters
    ----------
    n_total : int
        Number of frames in the video.
    n_frames : int
        Number of indices to return (α).

    Returns
    -------
    indices : ndarray of shape (n_frames,), dtype int64
        Non-decreasing indices in ``[0, n_total)``.

    Examples
    --------
    >>> from skvideo_imb.io import evenly_spaced_indices
    >>> evenly_spaced_indices(10, 5).tolist()
    [1, 3, 5, 7, 9]
    >>> evenly_spaced_indices(2, 4).tolist()
    [0, 0, 1, 1]
    """
    n_total, n_frames = _check_counts(n_total, n_frames)
    if n_total < n_frames:
        return upsample_indices(n_total, n_frames)
    edges = _window_edges(n_total, n_frames)
    return (edges[:-1] + edges[1:]) // 2


def rand_down_indices(n_total, n_frames, random_state=None):
    """The paper's *RandDown*: one uniformly random frame in each of α windows.

    The video's ``n_total`` frames are cut into α consecutive windows of width
    ``skip = n_total / α`` (integer edges); one index is drawn in each window, so the
    result is strictly increasing and hits every window exactly once.  Falls back to
    :func:`upsample_indices` when the video has fewer than α frames.

    Parameters
    ----------
    n_total : int
        Number of frames in the video.
    n_frames : int
        Number of indices to return (α).
    random_state : int, RandomState instance or None, default=None
        Source of randomness.

    Returns
    -------
    indices : ndarray of shape (n_frames,), dtype int64

    Examples
    --------
    >>> from skvideo_imb.io import rand_down_indices
    >>> idx = rand_down_indices(25, 5, random_state=0)
    >>> [int(i) // 5 for i in idx]  # one index in each window of width 5
    [0, 1, 2, 3, 4]
    """
    n_total, n_frames = _check_counts(n_total, n_frames)
    if n_total < n_frames:
        return upsample_indices(n_total, n_frames)
    rng = check_random_state(random_state)
    edges = _window_edges(n_total, n_frames)
    return rng.randint(edges[:-1], edges[1:]).astype(np.int64)
