"""Where the reproduction's videos come from: synthetic, a folder, or UCF101."""

import numpy as np
from sklearn.model_selection import train_test_split

from .._recipes import parse_data_spec
from ..datasets import (ORDER_ONLY_PAIRS, load_ucf101, load_video_folder,
                        make_synthetic_videos)

__all__ = ["load_experiment_data"]


def load_experiment_data(spec="synthetic", *, test_size=0.3, random_state=0):
    """Train/test videos for the reproduction, from a ``--data`` specification.

    Parameters
    ----------
    spec : str, default="synthetic"
        ``"synthetic"`` (the built-in data set), ``"ucf101:ROOT"`` (the paper's
        imbalanced UCF101 protocol on split 1), or the path of a class-per-folder
        collection (split into train and test, stratified).
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
        X, y = make_synthetic_videos(random_state=random_state)
        order_only = sorted(c for pair in ORDER_ONLY_PAIRS for c in pair)
        name = "synthetic"
    elif kind == "ucf101":
        X_train, X_test, y_train, y_test = load_ucf101(
            location, split=1, imbalanced=True, random_state=random_state, return_X_y=True)
        return {"name": "ucf101-imbalanced-split1", "order_only_classes": [],
                "X_train": list(X_train), "y_train": np.asarray(y_train),
                "X_test": list(X_test), "y_test": np.asarray(y_test)}
    else:
        bunch = load_video_folder(location)
        X, y, name = list(bunch.videos), np.asarray(bunch.target), f"folder:{location}"
    index = np.arange(len(X))
    train_idx, test_idx = train_test_split(index, test_size=test_size, stratify=y,
                                           random_state=random_state)
    return {"name": name, "order_only_classes": order_only,
            "X_train": [X[i] for i in train_idx], "y_train": np.asarray(y)[train_idx],
            "X_test": [X[i] for i in test_idx], "y_test": np.asarray(y)[test_idx]}
