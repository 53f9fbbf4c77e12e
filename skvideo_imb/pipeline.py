"""Composing the three estimators into one imbalanced-learn pipeline."""

from numbers import Integral

from imblearn.pipeline import Pipeline, make_pipeline
from sklearn.utils._param_validation import Interval

from .features import InceptionFeaturizer
from .models import ResBiLSTMClassifier
from .sampling import SpatioTemporalOverSampler

__all__ = ["VideoPipeline", "make_video_pipeline"]


def _n_frames_holder(est):
    """The estimator whose ``n_frames`` a step uses: itself, or the estimator a wrapper
    such as :class:`sklearn.frozen.FrozenEstimator` holds; None when it has none."""
    # the wrapper chain only: a nested pipeline is a step of its own, not walked into
    # (walk_steps would, and set or check one of its steps only)
    while est not in (None, "passthrough"):
        if "n_frames" in est.get_params(deep=False):
            return est
        est = getattr(est, "estimator", None)
    return None


def _steps_with_n_frames(steps):
    """(name, step, holder) of each step whose estimator, or the one it wraps, has an
    ``n_frames`` parameter (the holder)."""
    return [(name, step, holder) for name, step, holder in
            ((name, step, _n_frames_holder(step)) for name, step in steps)
            if holder is not None]


class VideoPipeline(Pipeline):
    """An :class:`imblearn.pipeline.Pipeline` whose ``n_frames`` is one parameter.

    Every step that has an ``n_frames`` parameter (the oversampler, the featurizer and
    the classifier, also inside a wrapper such as
    :class:`~sklearn.frozen.FrozenEstimator`) must agree on the number of frames per
    video: otherwise the classifier would fold the features into the wrong shape.
    ``set_params(n_frames=k)`` — and so a grid-search key ``"n_frames"`` — sets it on
    every step, so a grid over the sequence length is one line.  ``fit`` changes no
    parameter: it raises a ``ValueError`` when a step differs from the pipeline's
    ``n_frames`` (or, with ``n_frames=None``, when the steps differ among themselves),
    e.g. after ``set_params(resbilstmclassifier__n_frames=...)`` alone.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`imblearn.pipeline.Pipeline`.
    n_frames : int or None, default=None
        Number of frames per video that every step must use.  The constructor only
        stores it (:func:`make_video_pipeline` builds steps that agree);
        ``set_params`` broadcasts it to the steps.
    transform_input : list of str or None, default=None
        As for :class:`imblearn.pipeline.Pipeline`.
    memory : str, object with the joblib.Memory interface or None, default=None
        As for :class:`imblearn.pipeline.Pipeline`.
    verbose : bool, default=False
        As for :class:`imblearn.pipeline.Pipeline`.

    Attributes
    ----------
    named_steps : :class:`~sklearn.utils.Bunch`
        The steps by name.
    classes_ : ndarray of shape (n_classes,)
        The classes of the final classifier, once fitted.

    See Also
    --------
    make_video_pipeline : Builds the paper's pipeline, or a SMOTE-style variant.

    Examples
    --------
    >>> from skvideo_imb import make_video_pipeline
    >>> pipe = make_video_pipeline(n_frames=8)
    >>> pipe.set_params(n_frames=4).named_steps["inceptionfeaturizer"].n_frames
    4
    >>> sorted(k for k in pipe.get_params() if k == "n_frames" or k.endswith("__n_frames"))
    ['inceptionfeaturizer__n_frames', 'n_frames', 'resbilstmclassifier__n_frames',
     'spatiotemporaloversampler__n_frames']
    """

    _parameter_constraints = {
        **Pipeline._parameter_constraints,
        "n_frames": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, steps, *, n_frames=None, transform_input=None, memory=None,
                 verbose=False):
        super().__init__(steps, transform_input=transform_input, memory=memory,
                         verbose=verbose)
        self.n_frames = n_frames

    def set_params(self, **params):
        """Set parameters; ``n_frames`` is also set on every step that has it.

        Parameters
        ----------
        **params : dict
            Pipeline parameters and ``<step>__<parameter>`` keys.

        Returns
        -------
        self : VideoPipeline
        """
        n_frames = params.pop("n_frames", self)
        super().set_params(**params)
        if n_frames is not self:
            self.n_frames = n_frames
            self._broadcast_n_frames()
        return self

    def _broadcast_n_frames(self):
        if self.n_frames is None:
            return
        for _, step, holder in _steps_with_n_frames(self.steps):
            if holder is step:  # never reach into a wrapper
                step.set_params(n_frames=self.n_frames)

    def _check_n_frames(self):
        values = {}
        for name, step, holder in _steps_with_n_frames(self.steps):
            # a wrapped estimator (FrozenEstimator) is not fitted again: the frame count
            # it works with is the fitted one, whatever its parameter says since
            fitted = holder is not step and hasattr(holder, "n_frames_")
            values[name] = holder.n_frames_ if fitted else \
                holder.get_params(deep=False)["n_frames"]
        distinct = {v for v in values.values() if v is not None}
        if self.n_frames is not None:
            distinct.add(self.n_frames)
        if len(distinct) > 1:
            raise ValueError(
                f"the pipeline's steps disagree on n_frames: {values} (pipeline "
                f"n_frames={self.n_frames}); use set_params(n_frames=...) on the pipeline "
                "to give every step one value.")

    def fit(self, X, y=None, **params):
        self._check_n_frames()
        return super().fit(X, y, **params)

    def fit_predict(self, X, y=None, **params):
        self._check_n_frames()
        return super().fit_predict(X, y, **params)

    def fit_transform(self, X, y=None, **params):
        self._check_n_frames()
        return super().fit_transform(X, y, **params)

    def fit_resample(self, X, y=None, **params):
        self._check_n_frames()
        return super().fit_resample(X, y, **params)

    fit.__doc__ = Pipeline.fit.__doc__
    fit_predict.__doc__ = Pipeline.fit_predict.__doc__
    fit_transform.__doc__ = Pipeline.fit_transform.__doc__
    fit_resample.__doc__ = Pipeline.fit_resample.__doc__


def _build(default_class, spec, n_frames, random_state):
    if spec is None or isinstance(spec, dict):
        kwargs = {"n_frames": n_frames, **(spec or {})}
        if "random_state" in default_class().get_params() and random_state is not None:
            kwargs.setdefault("random_state", random_state)
        return default_class(**kwargs)
    return spec


def make_video_pipeline(sampler="spatiotemporal", *, n_frames=40, featurizer=None,
                        classifier=None, random_state=None, memory=None, verbose=False):
    """Build the paper's pipeline, or swap its oversampler in one argument.

    The steps are named as :func:`imblearn.pipeline.make_pipeline` names them
    (``spatiotemporaloversampler``, ``inceptionfeaturizer``, ``resbilstmclassifier``,
    ``smote`` …), so grid-search keys read the same either way.

    Parameters
    ----------
    sampler : "spatiotemporal", None or an imbalanced-learn sampler, \
            default="spatiotemporal"
        ``"spatiotemporal"`` puts a :class:`SpatioTemporalOverSampler` first (video
        space, the paper's method).  Any other sampler instance (SMOTE, ADASYN,
        RandomOverSampler, RandomUnderSampler, …) goes *after* the featurizer, in
        feature space; a ``SpatioTemporalOverSampler`` instance goes first.  ``None``
        means no resampling.
    n_frames : int, default=40
        Frames per video (the paper's α), shared by every step.
    featurizer : dict, estimator or None, default=None
        Keyword arguments for :class:`InceptionFeaturizer`, or a transformer to use
        instead.
    classifier : dict, estimator or None, default=None
        Keyword arguments for :class:`ResBiLSTMClassifier`, or a classifier to use
        instead.
    random_state : int or None, default=None
        Seed given to the default oversampler, featurizer and classifier (unless their
        own keyword arguments set one).
    memory : str or joblib.Memory, default=None
        Caching of fitted transformers, as for :class:`imblearn.pipeline.Pipeline`.
    verbose : bool, default=False
        Print the time each step takes.

    Returns
    -------
    pipeline : VideoPipeline

    Examples
    --------
    >>> from imblearn.over_sampling import SMOTE
    >>> from skvideo_imb import make_video_pipeline
    >>> [name for name, _ in make_video_pipeline(n_frames=8).steps]
    ['spatiotemporaloversampler', 'inceptionfeaturizer', 'resbilstmclassifier']
    >>> [name for name, _ in make_video_pipeline(SMOTE(), n_frames=8).steps]
    ['inceptionfeaturizer', 'smote', 'resbilstmclassifier']
    """
    featurizer = _build(InceptionFeaturizer, featurizer, n_frames, random_state)
    classifier = _build(ResBiLSTMClassifier, classifier, n_frames, random_state)
    if isinstance(sampler, str):
        if sampler != "spatiotemporal":
            raise ValueError(f"sampler must be 'spatiotemporal', None or a sampler "
                             f"instance, got {sampler!r}.")
        sampler = _build(SpatioTemporalOverSampler, None, n_frames, random_state)
    if sampler is None:
        steps = [featurizer, classifier]
    elif isinstance(sampler, SpatioTemporalOverSampler):
        steps = [sampler, featurizer, classifier]
    else:
        steps = [featurizer, sampler, classifier]
    named = make_pipeline(*steps).steps
    return VideoPipeline(named, n_frames=n_frames, memory=memory, verbose=verbose)
