"""The imbalanced-training-set protocol of Pouyanfar et al. (2018)."""

import numbers

import numpy as np
from imblearn.under_sampling import RandomUnderSampler
from sklearn.utils import check_random_state

__all__ = ["make_imbalanced_subset"]


def make_imbalanced_subset(videos, y, *, min_per_class=10, random_state=None,
                           return_indices=False):
    """Randomly shrink every class to a random size, as in the imbalanced UCF101 protocol.

    For each class with ``n`` videos a size ``k`` is drawn uniformly from the integers
    ``min(min_per_class, n), ..., n``, then ``k`` of its videos are drawn at random
    without replacement.  This turns a balanced training set (such as UCF101's) into an
    imbalanced one in which every class keeps at least ``min_per_class`` videos (or all
    of them, when it has fewer).  The protocol follows Pouyanfar et al. (2018),
    Section IV.

    The drawing of videos is delegated to imbalanced-learn's
    :class:`~imblearn.under_sampling.RandomUnderSampler` with a per-class dictionary
    ``sampling_strategy``, applied to a column of row indices (imbalanced-learn does not
    accept a list of videos directly).

    Parameters
    ----------
    videos : list, tuple or ndarray of videos
        The videos (paths, arrays, clips, anything); only selected, never read.
    y : array-like of shape (n_videos,)
        Class label of each video.
    min_per_class : int, default=10
        The smallest size a class can be shrunk to.
    random_state : int, RandomState instance or None, default=None
        Seed for both the class sizes and the videos kept.  Pass an int for
        reproducible output.
    return_indices : bool, default=False
        Also return the positions of the kept videos in ``videos``.

    Returns
    -------
    videos_kept : list
        The kept videos, in their original order.
    y_kept : ndarray of shape (n_kept,)
        Their labels.
    indices : ndarray of shape (n_kept,), dtype int64
        Positions of the kept videos in ``videos`` (sorted); only if
        ``return_indices`` is True.

    References
    ----------
    .. [1] S. Pouyanfar, S.-C. Chen and M.-L. Shyu, "Deep spatio-temporal
       representation learning for multi-class imbalanced data classification",
       IEEE International Conference on Information Reuse and Integration (IRI), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.datasets import make_imbalanced_subset
    >>> videos = [f"v{i}.avi" for i in range(300)]
    >>> y = np.repeat(["a", "b", "c"], 100)
    >>> kept, y_kept = make_imbalanced_subset(videos, y, random_state=0)
    >>> sizes = dict(zip(*np.unique(y_kept, return_counts=True)))
    >>> all(10 <= n <= 100 for n in sizes.values()), len(kept) == len(y_kept)
    (True, True)
    """
    if not isinstance(min_per_class, numbers.Integral) or isinstance(min_per_class, bool) \
            or min_per_class < 1:
        raise ValueError(f"min_per_class must be an int >= 1, got {min_per_class!r}.")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}.")
    n_videos = len(videos)
    if n_videos != len(y):
        raise ValueError(f"videos and y have different lengths: {n_videos} and {len(y)}.")
    if n_videos == 0:
        raise ValueError("videos is empty.")
    rng = check_random_state(random_state)
    classes, counts = np.unique(y, return_counts=True)
    sizes = {cls: int(rng.randint(min(min_per_class, n), n + 1))
             for cls, n in zip(classes.tolist(), counts.tolist())}
    sampler = RandomUnderSampler(sampling_strategy=sizes, random_state=rng)
    index_column = np.arange(n_videos).reshape(-1, 1)
    kept, _ = sampler.fit_resample(index_column, y)
    indices = np.sort(kept.ravel()).astype(np.int64)
    videos_kept = [videos[int(i)] for i in indices]
    if return_indices:
        return videos_kept, y[indices], indices
    return videos_kept, y[indices]
