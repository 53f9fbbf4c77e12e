"""Where the reproduction's videos come from: synthetic, a folder, or UCF101."""

import numpy as np

from .._recipes import hold_out, parse_data_spec
from ..datasets import (ORDER_ONLY_PAIRS, load_ucf101, load_video_folder,
                        make_synthetic_videos, video_groups)

__all__ = ["SYNTHETIC_SKEWS", "load_experiment_data"]

SYNTHETIC_SKEWS = {
    "moderate": {"brighten": 40, "darken": 16, "move_right": 30, "move_left": 14,
                 "checkerboard": 20},
    "severe": {"brighten": 60, "darken": 6, "move_right": 30, "move_left": 5,
               "checkerboard": 12},
}
"""Videos per class of the synthetic data at two other skews than the built-in one
(``"synthetic:moderate"``, ``"synthetic:severe"``).  After the stratified 70/30 split
the training classes hold 28, 21, 14, 11 and 10 videos (moderate), 28, 17, 8, 6 and 4
(built in) and 42, 21, 8, 4 and 4 (severe)."""


def load_experiment_data(spec="synthetic", *, test_size=0.3, random_state=0):
    """Train/test videos for the reproduction, from a ``--data`` specification.

    Parameters
    ----------
    spec : str, default="synthetic"
        ``"synthetic"`` (the built-in data set), ``"synthetic:moderate"`` or
        ``"synthetic:severe"`` (the same classes at another skew, see
        :data:`SYNTHETIC_SKEWS`), ``"ucf101:ROOT"`` (the paper's
        imbalanced UCF101 protocol on split 1), or the path of a class-per-folder
        collection (split into train and test, stratified, the clips of one source
        video on one side: :func:`~skvideo_imb.datasets.video_groups`).
    test_size : float, default=0.3
        Test fraction for the synthetic and folder data.
    random_state : int, default=0
        Seed of the data, the split and the imbalance protocol.

    Returns
    -------
    data : dict
        ``X_train, y_train, X_test, y_test`` (lists of videos, label arrays),
        ``name`` and ``order_only_classes`` (classes that differ from a partner only
        in frame order; empty for real data).

    Examples
    --------
    >>> from skvideo_imb.experiments import load_experiment_data
    >>> data = load_experiment_data("synthetic")
    >>> len(data["X_train"]) + len(data["X_test"])
    90
    """
    order_only = []
    kind, location = parse_data_spec(spec)
    if kind == "synthetic":
        if location is not None and location not in SYNTHETIC_SKEWS:
            raise ValueError(f"unknown synthetic skew {location!r}; choose one of "
                             f"{', '.join(map(repr, SYNTHETIC_SKEWS))}.")
        X, y = make_synthetic_videos(SYNTHETIC_SKEWS.get(location), random_state=random_state)
        order_only = sorted(c for pair in ORDER_ONLY_PAIRS for c in pair)
        name = "synthetic" if location is None else f"synthetic:{location}"
    elif kind == "ucf101":
        X_train, X_test, y_train, y_test = load_ucf101(
            location, split=1, imbalanced=True, random_state=random_state, return_X_y=True)
        return {"name": "ucf101-imbalanced-split1", "order_only_classes": [],
                "X_train": list(X_train), "y_train": np.asarray(y_train),
                "X_test": list(X_test), "y_test": np.asarray(y_test)}
    else:
        bunch = load_video_folder(location)
        X, y, name = list(bunch.videos), np.asarray(bunch.target), f"folder:{location}"
    # the clips of one source video (a UCF101 group in a folder) on one side
    train_idx, test_idx = hold_out(y, test_size, random_state, video_groups(X))
    return {"name": name, "order_only_classes": order_only,
            "X_train": [X[i] for i in train_idx], "y_train": np.asarray(y)[train_idx],
            "X_test": [X[i] for i in test_idx], "y_test": np.asarray(y)[test_idx]}
