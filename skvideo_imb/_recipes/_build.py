"""A pipeline from settings: the featurizer, the sampler, the classifier, and freezing."""

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from sklearn.frozen import FrozenEstimator

from ..features import InceptionFeaturizer
from ..models import EpochProgress, ResBiLSTMClassifier
from ..pipeline import make_video_pipeline
from ..sampling import SpatioTemporalOverSampler

__all__ = ["FROZEN_STEP", "SAMPLERS", "build_pipeline", "freeze", "make_classifier",
           "parse_weights",
           "make_featurizer", "make_sampler", "n_neighbors_for"]

SAMPLERS = ("none", "video", "smote", "adasyn", "random")
"""No resampling, the paper's oversampling of the videos, or imbalanced-learn's SMOTE,
ADASYN and RandomOverSampler on the frame features."""

FROZEN_STEP = "frozenestimator"
"""The name of the frozen featurizer's step in a built pipeline."""


def parse_weights(value, data=None):
    """The featurizer's ``weights`` for a command's ``--weights`` value.

    ``none`` (any case) is random initialisation (None); ``auto`` is random
    initialisation for the built-in synthetic ``data`` (nothing to download) and
    torchvision's ImageNet weights (``"DEFAULT"``) otherwise; anything else (``DEFAULT``,
    a file) is passed on.

    Examples
    --------
    >>> from skvideo_imb._recipes import parse_weights
    >>> parse_weights("None"), parse_weights("auto", "synthetic"), parse_weights("auto", "x")
    (None, None, 'DEFAULT')
    """
    if value == "auto":
        return None if str(data).partition(":")[0] == "synthetic" else "DEFAULT"
    return None if value.lower() == "none" else value


def make_featurizer(settings, *, weights=None, cache=None, device="auto", verbose=0,
                    random_state=None):
    """The :class:`InceptionFeaturizer` of a profile's settings (unfitted)."""
    return InceptionFeaturizer(
        n_frames=settings["n_frames"], image_size=settings["image_size"], weights=weights,
        batch_size=settings["featurizer_batch_size"], cache=cache, device=device,
        verbose=verbose, random_state=random_state)


def make_classifier(settings, *, class_weight=None, random_state=None, log=None,
                    callbacks=(), device="auto", **params):
    """The :class:`ResBiLSTMClassifier` of a profile's settings.

    ``log`` receives a progress line every 10 epochs (:class:`EpochProgress`);
    ``params`` (an architecture, ``train_split``, ``verbose``) go to the classifier.
    """
    callbacks = list(callbacks) + ([("progress", EpochProgress(log))] if log else [])
    if callbacks:
        params["callbacks"] = callbacks
    return ResBiLSTMClassifier(
        n_frames=settings["n_frames"], hidden_size=settings["hidden_size"],
        fc_size=settings["fc_size"], max_epochs=settings["max_epochs"], lr=settings["lr"],
        weight_decay=settings["weight_decay"], batch_size=settings["batch_size"],
        class_weight=class_weight, random_state=random_state, device=device, **params)


def n_neighbors_for(y, n_splits=None):
    """SMOTE's and ADASYN's neighbourhood: at most 5, and fewer than the smallest class.

    With ``n_splits`` (a stratified cross-validation), fewer than the smallest class
    has in a training fold, so that every fold of a search can fit.

    Examples
    --------
    >>> from skvideo_imb._recipes import n_neighbors_for
    >>> n_neighbors_for(["a"] * 20 + ["b"] * 3), n_neighbors_for(["a"] * 20 + ["b"] * 9)
    (2, 5)
    >>> n_neighbors_for(["a"] * 20 + ["b"] * 4, n_splits=2)   # 2 "b" in a training fold
    1
    """
    smallest = int(np.unique(np.asarray(y), return_counts=True)[1].min())
    if n_splits:
        smallest -= -(-smallest // n_splits)   # less its largest test fold
    return max(1, min(5, smallest - 1))


def make_sampler(kind, y, *, n_frames, random_state=None, n_splits=None):
    """The sampler a name of :data:`SAMPLERS` stands for (None for ``"none"``).

    ``y`` (the training labels) and ``n_splits`` (the folds of a search, if any) size
    the neighbourhoods of SMOTE and ADASYN (:func:`n_neighbors_for`).
    """
    if kind == "none":
        return None
    if kind == "video":
        return SpatioTemporalOverSampler(n_frames=n_frames, random_state=random_state)
    if kind in ("smote", "adasyn"):
        k = n_neighbors_for(y, n_splits)
        if kind == "smote":
            return SMOTE(k_neighbors=k, random_state=random_state)
        # ADASYN may still decline a data set (see experiments.run_reproduction)
        return ADASYN(n_neighbors=k, random_state=random_state)
    if kind == "random":
        return RandomOverSampler(random_state=random_state)
    raise ValueError(f"unknown sampler {kind!r}; choose one of {', '.join(SAMPLERS)}.")


def freeze(featurizer):
    """The featurizer as a pipeline step that later ``fit`` calls leave alone.

    Fit it once, freeze it, and every pipeline built around it shares its network
    and its feature cache.
    """
    return FrozenEstimator(featurizer)


def build_pipeline(sampler, featurizer, classifier, y, *, random_state=None, n_splits=None):
    """The pipeline of a sampler name around a (fitted) featurizer, frozen.

    Parameters
    ----------
    sampler : str
        A name of :data:`SAMPLERS`.
    featurizer : InceptionFeaturizer
        Fitted once; frozen here so that refits and grid searches share it.
    classifier : estimator
        Its ``n_frames`` (the featurizer's when it has none) is the pipeline's.
    y : array-like or None
        The training labels, which size SMOTE's and ADASYN's neighbourhoods
        (:func:`make_sampler`); None for the other samplers.
    random_state : int or None, default=None
        The sampler's seed.
    n_splits : int or None, default=None
        The stratified folds the pipeline will be cross-validated with, if any.

    Returns
    -------
    pipeline : VideoPipeline
        Steps: sampler (video space first, feature space after the featurizer),
        :data:`FROZEN_STEP`, classifier.

    Examples
    --------
    >>> from skvideo_imb import InceptionFeaturizer
    >>> from skvideo_imb._recipes import (PROFILES, build_pipeline, make_classifier,
    ...                                   make_featurizer)
    >>> settings = PROFILES["smoke"]
    >>> pipe = build_pipeline("smote", make_featurizer(settings), make_classifier(settings),
    ...                       [0] * 5 + [1] * 3)
    >>> [name for name, _ in pipe.steps], pipe.named_steps["smote"].k_neighbors
    (['frozenestimator', 'smote', 'resbilstmclassifier'], 2)
    """
    n_frames = getattr(classifier, "n_frames", None) or featurizer.n_frames
    return make_video_pipeline(make_sampler(sampler, y, n_frames=n_frames,
                                            random_state=random_state, n_splits=n_splits),
                               n_frames=n_frames, featurizer=freeze(featurizer),
                               classifier=classifier)
