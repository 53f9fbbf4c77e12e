"""The classifier's input checks: sequences folded to 3-D, labels encoded.

Both set the fitted attributes of their data on ``reset`` (``n_frames_``,
``n_frame_features_``, ``n_features_in_``, ``label_encoder_``, ``class_weight_``), as
:func:`sklearn.utils.validation.validate_data` does, and check new data against them
otherwise.
"""

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

__all__ = ["encode_labels", "validate_sequences"]


def validate_sequences(net, X, *, reset):
    """Check X, cast it to float32 and return it as (n_samples, n_frames, n_features).

    Parameters
    ----------
    net : ResBiLSTMClassifier
        Its ``n_frames`` folds 2-D input; its fitted shape is set (``reset``) or checked.
    X : array-like of shape (n_samples, n_frames, n_frame_features) or \
            (n_samples, n_frames * n_frame_features)
        2-D input is frame-major.
    reset : bool
        Whether this is the data of a new fit.

    Returns
    -------
    X : ndarray of shape (n_samples, n_frames, n_frame_features), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.models import ResBiLSTMClassifier
    >>> from skvideo_imb.models._inputs import validate_sequences
    >>> X = np.arange(12).reshape(2, 6)  # 2 samples, 3 frames x 2 features
    >>> validate_sequences(ResBiLSTMClassifier(n_frames=3), X, reset=True)[0]
    array([[0., 1.],
           [2., 3.],
           [4., 5.]], dtype=float32)
    """
    if not hasattr(X, "ndim") and not hasattr(X, "shape"):
        X = np.asarray(X)
    if getattr(X, "ndim", None) == 3:
        X = check_array(X, allow_nd=True, dtype=np.float32)
        n_samples, n_frames, n_features = X.shape
        validate_data(net, X.reshape(n_samples, -1), reset=reset,
                      skip_check_array=True)
    else:
        X = validate_data(net, X, reset=reset, dtype=np.float32)
        # fit folds by the parameter; predict by what fit learnt (scikit-learn's contract:
        # a parameter set after fit takes effect at the next fit)
        n_frames = net.n_frames if reset else getattr(net, "n_frames_", net.n_frames)
        if n_frames is None:
            raise ValueError(
                f"{type(net).__name__} got 2-D input of shape {X.shape}: set n_frames "
                "to fold it into (n_samples, n_frames, n_frame_features), or pass 3-D "
                "input.")
        if X.shape[1] % n_frames:
            raise ValueError(
                f"X has {X.shape[1]} columns, which is not a multiple of "
                f"n_frames={n_frames}; 2-D input must be frame-major "
                "(n_samples, n_frames * n_frame_features).")
        n_samples, n_features = X.shape[0], X.shape[1] // n_frames
        X = X.reshape(n_samples, n_frames, n_features)
    if reset:
        net.n_frames_, net.n_frame_features_ = n_frames, n_features
    elif n_features != getattr(net, "n_frame_features_", n_features):
        raise ValueError(
            f"X has {n_features} features per frame, but {type(net).__name__} was "
            f"fitted with {net.n_frame_features_}.")
    return X


def encode_labels(net, X, y, *, reset, classes=None):
    """Check the labels and return their codes ``0 .. n_classes - 1``.

    Parameters
    ----------
    net : ResBiLSTMClassifier
        Its ``label_encoder_`` and ``class_weight_`` are set on ``reset``.
    X : ndarray
        The samples, for the length check.
    y : array-like of shape (n_samples,)
        Labels.
    reset : bool
        Whether this is the data of a new fit.
    classes : array-like or None, default=None
        All labels (``partial_fit``'s argument); else ``net.classes``, else those of ``y``.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
    """
    if y is None:
        raise ValueError(
            f"{type(net).__name__} requires y to be passed, but the target y is None.")
    check_classification_targets(y)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    if reset or not hasattr(net, "label_encoder_"):  # e.g. initialize + warm start
        labels = net.classes if classes is None else classes
        if labels is not None and not len(labels):
            raise ValueError("classes must list at least one label, got an empty list.")
        net.label_encoder_ = LabelEncoder().fit(y if labels is None else labels)
        if len(net.label_encoder_.classes_) < 2:
            raise ValueError(
                f"{type(net).__name__} needs samples of at least 2 classes, but the "
                f"data contains only one class: {net.label_encoder_.classes_[0].item()!r}. "
                "Pass classes=[...] to declare the others.")
    if reset:
        net.class_weight_ = None if net.class_weight is None else compute_class_weight(
            net.class_weight, classes=net.classes_, y=y)
    return net.label_encoder_.transform(y).astype(np.int64)
