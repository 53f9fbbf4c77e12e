"""Walking a model: the model itself, its pipeline steps and the estimators wrappers hold."""

__all__ = ["featurizers", "walk_steps"]


def walk_steps(model):
    """Every estimator in ``model``, outermost first.

    The model, the steps of a pipeline (nested pipelines too) and the estimator a
    wrapper such as :class:`sklearn.frozen.FrozenEstimator` holds (its ``estimator``
    attribute); ``None``, ``"passthrough"`` and other non-estimators are skipped.

    Parameters
    ----------
    model : estimator

    Returns
    -------
    estimators : list of estimators

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> pipe = make_pipeline(FrozenEstimator(StandardScaler()), SVC())
    >>> [type(step).__name__ for step in walk_steps(pipe)]
    ['Pipeline', 'FrozenEstimator', 'SVC', 'StandardScaler']
    """
    found, todo = [], [model]
    while todo:
        step = todo.pop(0)
        if step is None or isinstance(step, str) or not hasattr(step, "get_params"):
            continue
        found.append(step)
        todo.extend(s for _, s in getattr(step, "steps", None) or [])
        if hasattr(step, "estimator"):  # FrozenEstimator and other wrappers
            todo.append(step.estimator)
    return found


def featurizers(model):
    """The frame featurizers in ``model`` (steps with a ``pickle_model`` parameter, such
    as :class:`~skvideo_imb.InceptionFeaturizer`), wrapped or not, outermost first.

    Parameters
    ----------
    model : estimator

    Returns
    -------
    featurizers : list of estimators

    Examples
    --------
    >>> from skvideo_imb import make_video_pipeline
    >>> pipe = make_video_pipeline(None, n_frames=4, featurizer={"weights": None})
    >>> [type(step).__name__ for step in featurizers(pipe)]
    ['InceptionFeaturizer']
    """
    return [step for step in walk_steps(model) if "pickle_model" in step.get_params(deep=False)]
