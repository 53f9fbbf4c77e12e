"""Hold-outs and cross-validation folds that keep a source video's clips together."""

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

__all__ = ["cross_validator", "has_groups", "hold_out"]


def has_groups(groups):
    """Whether some group holds more than one video (see
    :func:`skvideo_imb.datasets.video_groups`)."""
    return groups is not None and len(set(groups)) < len(groups)


def hold_out(y, fraction, seed, groups=None):
    """(kept indices, held-out indices): about ``fraction`` of the videos held out.

    Without groups of several videos, a stratified ``train_test_split`` (stratified
    only when every class has two videos).  With them, the held-out part is one fold of
    a shuffled :class:`~sklearn.model_selection.StratifiedGroupKFold` with
    ``round(1 / fraction)`` folds, so no group is on both sides; a class whose groups
    all fell in that fold (a class of one group) is kept whole instead.
    """
    y = np.asarray(y)
    index = np.arange(len(y))
    if not has_groups(groups):
        stratify = y if np.unique(y, return_counts=True)[1].min() >= 2 else None
        return train_test_split(index, test_size=fraction, stratify=stratify,
                                random_state=seed)
    folds = StratifiedGroupKFold(max(2, int(round(1 / fraction))), shuffle=True,
                                 random_state=seed)
    kept, held = next(folds.split(index, y, np.asarray(groups)))
    back = np.isin(y[held], np.setdiff1d(y[held], y[kept]))
    return np.sort(np.concatenate([kept, held[back]])), held[~back]


def cross_validator(n_splits, seed, groups=None):
    """Shuffled stratified folds; grouped (:class:`StratifiedGroupKFold`) when some
    group holds several videos, the groups then passed to ``fit`` as ``groups``."""
    if has_groups(groups):
        return StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    return StratifiedKFold(n_splits, shuffle=True, random_state=seed)
