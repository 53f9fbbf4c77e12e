"""The rows of the paper's tables, each a pipeline built from our estimators."""

from dataclasses import dataclass

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.pipeline import make_pipeline as make_sk_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.callbacks import Callback

from ..models import PAPER_PARAMS, EpochProgress, ResBiLSTMClassifier
from ..pipeline import make_video_pipeline
from ..sampling import SpatioTemporalOverSampler

__all__ = ["ABLATIONS", "PROFILES", "ROWS", "Row", "build_ablation_pipeline",
           "build_row_pipeline"]

PROFILES = {
    # Seconds: checks that every row runs and every file is written, not the science.
    "smoke": {"n_frames": 4, "image_size": 75, "hidden_size": 8, "fc_size": 8,
              "max_epochs": 3, "lr": 1e-3, "weight_decay": 3e-4, "batch_size": 32,
              "featurizer_batch_size": 64},
    # Small enough for 2 CPU cores in minutes; the method's shape, not its size.
    "quick": {"n_frames": 8, "image_size": 75, "hidden_size": 64, "fc_size": 64,
              "max_epochs": 60, "lr": 1e-3, "weight_decay": 3e-4, "batch_size": 32,
              "featurizer_batch_size": 64},
    # The paper's settings (PAPER_PARAMS): alpha=40, 1024-wide, Adam lr=1e-6, L2 3e-4,
    # on InceptionV3's own 299x299 input; the paper states no epochs or batch size.
    "paper": {**{k: PAPER_PARAMS[k] for k in ("n_frames", "hidden_size", "fc_size", "lr",
                                              "weight_decay")},
              "image_size": 299, "max_epochs": 300, "batch_size": 32,
              "featurizer_batch_size": 32},
}
"""Settings of ``skvideo-imb reproduce --profile``."""

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

    Raises
    ------
    ValueError
        For an unknown sampler or model (the message lists the valid ones), or a
        sampler on the frame-only baseline.

    Examples
    --------
    >>> from skvideo_imb.experiments import ROWS
    >>> ROWS[0]
    Row(name='CNN-LSTM', sampler='none', model='lstm', class_weight=False)
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

    SAMPLERS = ("none", "video", "smote", "adasyn", "random")
    MODELS = ("lstm", "resbilstm", "frames")

    def __post_init__(self):
        for field, valid in (("sampler", self.SAMPLERS), ("model", self.MODELS)):
            value = getattr(self, field)
            if value not in valid:
                raise ValueError(f"Row {self.name!r}: unknown {field} {value!r}; choose one "
                                 f"of {', '.join(map(repr, valid))}.")
        if self.model == "frames" and self.sampler != "none":
            raise ValueError(f"Row {self.name!r}: the frame-only baseline takes no sampler "
                             f"(got sampler={self.sampler!r}).")


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


def _feature_sampler(kind, y, random_state):
    smallest = int(np.bincount(np.unique(y, return_inverse=True)[1]).min())
    k = max(1, min(5, smallest - 1))
    if kind == "smote":
        return SMOTE(k_neighbors=k, random_state=random_state)
    if kind == "adasyn":
        # A neighbourhood no larger than the smallest class allows; ADASYN may still
        # decline a data set (see run_reproduction).
        return ADASYN(n_neighbors=k, random_state=random_state)
    if kind == "random":
        return RandomOverSampler(random_state=random_state)
    raise ValueError(f"no feature-space sampler {kind!r}")


def _classifier(settings, architecture, class_weight, random_state, train_split="default",
                verbose=0, log=None, callbacks=(), device="auto"):
    kwargs = {}
    callbacks = list(callbacks)
    if log is not None:
        callbacks.append(("progress", EpochProgress(log)))
    if callbacks:
        kwargs["callbacks"] = callbacks
    if train_split != "default":
        kwargs["train_split"] = train_split
    return ResBiLSTMClassifier(
        n_frames=settings["n_frames"], hidden_size=settings["hidden_size"],
        fc_size=settings["fc_size"], max_epochs=settings["max_epochs"], lr=settings["lr"],
        weight_decay=settings["weight_decay"], batch_size=settings["batch_size"],
        class_weight="balanced" if class_weight else None, random_state=random_state,
        verbose=verbose, device=device, **architecture, **kwargs)


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
    frozen = FrozenEstimator(featurizer)
    n_frames = settings["n_frames"]
    if row.model == "frames":
        return make_sk_pipeline(
            frozen, FunctionTransformer(_mean_over_frames, kw_args={"n_frames": n_frames}),
            StandardScaler(), LogisticRegression(max_iter=2000,
                                                 class_weight="balanced" if row.class_weight
                                                 else None))
    architecture = {"lstm": _LSTM, "resbilstm": _RESBILSTM}[row.model]
    classifier = _classifier(settings, architecture, row.class_weight, random_state,
                             verbose=verbose, log=log, device=device)
    if row.sampler == "none":
        sampler = None
    elif row.sampler == "video":
        sampler = SpatioTemporalOverSampler(n_frames=n_frames, random_state=random_state)
    else:
        sampler = _feature_sampler(row.sampler, y_train, random_state)
    return make_video_pipeline(sampler, n_frames=n_frames, featurizer=frozen,
                               classifier=classifier)


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
    classifier = _classifier(settings, ABLATIONS[name], True, random_state,
                             train_split=None, log=log, callbacks=[("held_out", held_out)],
                             device=device)
    sampler = SpatioTemporalOverSampler(n_frames=settings["n_frames"],
                                        random_state=random_state)
    return make_video_pipeline(sampler, n_frames=settings["n_frames"],
                               featurizer=FrozenEstimator(featurizer), classifier=classifier)
