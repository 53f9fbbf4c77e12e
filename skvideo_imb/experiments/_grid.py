"""The rows of the paper's tables, each a pipeline built from our estimators."""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.pipeline import make_pipeline as make_sk_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.callbacks import Callback

from .._recipes import SAMPLERS, build_pipeline, freeze, make_classifier
from ..models import LOSSES

__all__ = ["ABLATIONS", "ROWS", "Row", "build_ablation_pipeline", "build_row_pipeline"]

_LSTM = {"num_layers": 1, "bidirectional": False, "residual": False}
_RESBILSTM = {"num_layers": 2, "bidirectional": True, "residual": True}
ABLATIONS = {
    "LSTM": {"num_layers": 2, "bidirectional": False, "residual": False},
    "ResLSTM": {"num_layers": 2, "bidirectional": False, "residual": True},
    "BiLSTM": {"num_layers": 2, "bidirectional": True, "residual": False},
    "ResBiLSTM": _RESBILSTM,
}
"""The paper's Figure 3 models: two-layer LSTMs with and without each idea."""


@dataclass(frozen=True)
class Row:
    """One row of the report: which sampler, which model, class weighting or not.

    Parameters
    ----------
    name : str
        The row's label in the table.
    sampler : {"none", "video", "smote", "adasyn", "random"}, default="none"
        No resampling, :class:`~skvideo_imb.SpatioTemporalOverSampler` on the videos, or
        an imbalanced-learn over-sampler on the features.
    model : {"lstm", "resbilstm", "frames"}, default="lstm"
        One-layer CNN-LSTM, the paper's CNN-ResBiLSTM, or the frame-only baseline
        (mean-pooled features and logistic regression).
    class_weight : bool, default=False
        Whether the loss is weighted with ``class_weight="balanced"``.
    loss : str, default="cross_entropy"
        The classifier's ``loss`` (one of :data:`~skvideo_imb.models.LOSSES`).
    posthoc_tau : float or None, default=None
        The classifier's post-hoc logit adjustment.
    batch_sampler : {None, "class_balanced"}, default=None
        The classifier's ``sampler`` (how training batches are drawn).

    Raises
    ------
    ValueError
        For an unknown sampler or model (the message lists the valid ones), or a
        sampler on the frame-only baseline.

    Examples
    --------
    >>> from skvideo_imb.experiments import ROWS
    >>> ROWS[0]  # doctest: +ELLIPSIS
    Row(name='CNN-LSTM', sampler='none', model='lstm', class_weight=False, loss=...)
    >>> from skvideo_imb.experiments import Row
    >>> Row("mine", sampler="smoot")
    Traceback (most recent call last):
    ...
    ValueError: Row 'mine': unknown sampler 'smoot'; choose one of 'none', 'video', ...
    """

    name: str
    sampler: str = "none"
    model: str = "lstm"
    class_weight: bool = False
    loss: str = "cross_entropy"
    posthoc_tau: float = None
    batch_sampler: str = None

    SAMPLERS = SAMPLERS
    MODELS = ("lstm", "resbilstm", "frames")

    def __post_init__(self):
        for field, valid in (("sampler", self.SAMPLERS), ("model", self.MODELS)):
            value = getattr(self, field)
            if value not in valid:
                raise ValueError(f"Row {self.name!r}: unknown {field} {value!r}; choose one "
                                 f"of {', '.join(map(repr, valid))}.")
        if self.loss not in LOSSES:
            raise ValueError(f"Row {self.name!r}: unknown loss {self.loss!r}; choose one "
                             f"of {', '.join(map(repr, LOSSES))}.")
        if self.model == "frames" and (self.sampler, self.loss, self.posthoc_tau,
                                       self.batch_sampler) != ("none", "cross_entropy",
                                                               None, None):
            raise ValueError(f"Row {self.name!r}: the frame-only baseline takes no sampler "
                             f"and no loss option (got sampler={self.sampler!r}, "
                             f"loss={self.loss!r}).")


ROWS = (
    Row("CNN-LSTM"),
    Row("CNN-LSTM + class weighting", class_weight=True),
    Row("CNN-LSTM + video oversampling", sampler="video"),
    Row("CNN-LSTM + video oversampling + class weighting", sampler="video",
        class_weight=True),
    Row("CNN-ResBiLSTM + video oversampling", sampler="video", model="resbilstm"),
    Row("CNN-ResBiLSTM + video oversampling + class weighting", sampler="video",
        model="resbilstm", class_weight=True),
    Row("CNN-ResBiLSTM + SMOTE (feature space)", sampler="smote", model="resbilstm"),
    Row("CNN-ResBiLSTM + ADASYN (feature space)", sampler="adasyn", model="resbilstm"),
    Row("CNN-ResBiLSTM + RandomOverSampler (feature space)", sampler="random",
        model="resbilstm"),
    Row("Spatial CNN (mean-pooled frames + logistic regression)", model="frames"),
)
"""The report's rows: the paper's Table I/II rows, then feature-space oversamplers and
the frame-only baseline."""


class _HeldOutScores(Callback):
    """``valid_loss``/``valid_acc`` per epoch on videos held out *before* oversampling.

    skorch's own ``train_split`` would split the classifier's input, i.e. the
    oversampler's clips, and copies of one source video would land on both sides; these
    curves would then measure memorisation.  This callback scores held-out original
    videos (their features, evenly spaced frames, no augmentation) instead.
    """

    def __init__(self, X_valid, y_valid):
        self.X_valid = X_valid
        self.y_valid = y_valid

    def on_epoch_end(self, net, **kwargs):
        proba = net.predict_proba(self.X_valid)
        net.history.record("valid_loss", float(log_loss(self.y_valid, proba,
                                                         labels=net.classes_)))
        net.history.record("valid_acc", float(accuracy_score(
            self.y_valid, net.classes_[proba.argmax(axis=1)])))


def _mean_over_frames(X, n_frames):
    X = np.asarray(X)
    return X.reshape(len(X), n_frames, -1).mean(axis=1)


def build_row_pipeline(row, featurizer, settings, y_train, random_state=0, verbose=0,
                       log=None, device="auto"):
    """The pipeline of one report row, around an already fitted (frozen) featurizer.

    Parameters
    ----------
    row : Row
    featurizer : InceptionFeaturizer
        Fitted; it is frozen in the pipeline so that every row shares its features
        (and its cache).
    settings : dict
        A profile of :data:`PROFILES`.
    y_train : array-like
        Training labels (to size the neighbourhoods of SMOTE/ADASYN).
    random_state : int, default=0
    verbose : int, default=0
        Verbosity of the classifier (skorch's epoch table).
    log : callable or None, default=None
        Receives a progress line every 10 epochs.
    device : str, default="auto"
        Where the classifier trains.

    Returns
    -------
    pipeline : imblearn.pipeline.Pipeline

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import InceptionFeaturizer
    >>> from skvideo_imb.experiments import PROFILES, ROWS, build_row_pipeline
    >>> featurizer = InceptionFeaturizer(n_frames=4, weights=None, image_size=75)
    >>> pipe = build_row_pipeline(ROWS[4], featurizer, PROFILES["smoke"], np.array([0, 1]))
    >>> [name for name, _ in pipe.steps]
    ['spatiotemporaloversampler', 'frozenestimator', 'resbilstmclassifier']
    """
    class_weight = "balanced" if row.class_weight else None
    if row.model == "frames":
        return make_sk_pipeline(
            freeze(featurizer), FunctionTransformer(
                _mean_over_frames, kw_args={"n_frames": settings["n_frames"]}),
            StandardScaler(), LogisticRegression(max_iter=2000, class_weight=class_weight))
    architecture = {"lstm": _LSTM, "resbilstm": _RESBILSTM}[row.model]
    classifier = make_classifier(settings, class_weight=class_weight,
                                 random_state=random_state, log=log, device=device,
                                 verbose=verbose, loss=row.loss, posthoc_tau=row.posthoc_tau,
                                 sampler=row.batch_sampler, **architecture)
    return build_pipeline(row.sampler, featurizer, classifier, y_train,
                          random_state=random_state)


def build_ablation_pipeline(name, featurizer, settings, X_valid, y_valid, random_state=0,
                            log=None, device="auto"):
    """The pipeline of one Figure 3 model: video oversampling, class weighting, and
    per-epoch ``valid_loss``/``valid_acc`` on held-out videos.

    Parameters
    ----------
    name : str
        A key of :data:`ABLATIONS`.
    featurizer : InceptionFeaturizer
        Fitted; frozen in the pipeline.
    settings : dict
        A profile of :data:`PROFILES`.
    X_valid : ndarray of shape (n_valid, n_frames * n_frame_features)
        Features of videos held out *before* oversampling (their evenly spaced frames).
    y_valid : array-like of shape (n_valid,)
    random_state : int, default=0
    log : callable or None, default=None
        Receives a progress line every 10 epochs.
    device : str, default="auto"
        Where the classifier trains.

    Returns
    -------
    pipeline : VideoPipeline
        Its classifier's ``history_`` holds the curves after ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import InceptionFeaturizer
    >>> from skvideo_imb.experiments import PROFILES, build_ablation_pipeline
    >>> featurizer = InceptionFeaturizer(n_frames=4, weights=None, image_size=75)
    >>> pipe = build_ablation_pipeline("BiLSTM", featurizer, PROFILES["smoke"],
    ...                                np.zeros((2, 4 * 2048)), [0, 1])
    >>> pipe[-1].bidirectional, pipe[-1].residual, pipe[-1].class_weight
    (True, False, 'balanced')
    """
    held_out = _HeldOutScores(X_valid, np.asarray(y_valid))
    classifier = make_classifier(settings, class_weight="balanced", random_state=random_state,
                                 log=log, callbacks=[("held_out", held_out)], device=device,
                                 train_split=None, **ABLATIONS[name])
    # the video oversampler sizes nothing by the labels (they are the fit data's anyway)
    return build_pipeline("video", featurizer, classifier, None, random_state=random_state)
