"""scikit-learn's contract: transform, predict and score leave a fitted estimator as fit did.

Every attribute of a fitted estimator (public, fitted and private) is snapshotted after
``fit`` (and after unpickling: the relocation path) and compared after the non-fitting
methods have run.  Values (arrays, tensors, scalars) are compared by value, containers
item by item, and any other object must be the same object with the same attributes,
recursively through its ``vars()``: torch modules by their ``state_dict`` and their
non-tensor attributes (``training``, a loss's ``reduction``, ...), optimisers by their
``state_dict`` and ``param_groups``.
"""

import pickle

import numpy as np
import pytest
import torch

from skvideo_imb import (InceptionFeaturizer, ResBiLSTMClassifier, SpatioTemporalOverSampler,
                         make_video_pipeline)
from skvideo_imb.features import _backbones
from skvideo_imb.features._featurizer import _InProcess

N_FRAMES = 2
SMALL_FEATURIZER = dict(backbone="mobilenet_v3_small", weights=None, image_size=32,
                        batch_size=4, engine="torch", n_calibration_frames=None,
                        random_state=0)
SMALL_CLASSIFIER = dict(hidden_size=4, fc_size=4, max_epochs=2, batch_size=4,
                        device="cpu", random_state=0)


@pytest.fixture(scope="module")
def videos():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (8, 4, 32, 32, 3), dtype=np.uint8)
    y = np.array([0] * 5 + [1] * 3)
    X[y == 1] //= 2  # learnable: darker
    return list(X), y


@pytest.fixture(scope="module")
def features(videos):
    _, y = videos
    return np.random.RandomState(0).normal(size=(len(y), N_FRAMES, 3)).astype(np.float32)


# --------------------------------------------------------------------------- snapshots

_SCALARS = (str, bytes, int, float, complex, bool, type(None), np.generic, torch.device,
            torch.dtype)
# The network the featurizer's process-local holder (_InProcess) keeps is fitted state:
# its weights and flags must not change.  Until this process needs it (right after
# unpickling) it is absent, and transform rebuilds it; that is the lazy fill this marker
# allows (the tests then check the rebuilt network's digest).  The holder's engine, its
# key and the last transform's statistics (cache_stats) are caches of this process,
# documented as not fitted state, and are left out.
_LAZY = ("lazy",)


def _tensor(value):
    data = value.detach().cpu().contiguous()
    return ("tensor", type(value).__name__, str(value.dtype), tuple(value.shape),
            str(value.device), value.requires_grad,
            data.reshape(-1).view(torch.uint8).numpy().tobytes())


def _array(value):
    if value.dtype.hasobject:
        items = tuple(_snapshot(v, {}) for v in value.ravel())
    else:
        items = np.ascontiguousarray(value).tobytes()
    return ("array", str(value.dtype), value.shape, items)


def _object(tag, value, children):
    """An object: its type and identity, then its named parts, in order."""
    return (tag, (type(value).__qualname__, id(value)), tuple(children))


def _module_attrs(module, seen):
    """A module's non-tensor attributes, and its submodules', recursively (its tensors
    are in the state_dict of the outermost module)."""
    return ("dict", ("attrs",), tuple(
        (name, ("dict", ("_modules",), tuple(
            (k, _object("module", m, [("attrs", _module_attrs(m, seen))]))
            for k, m in attr.items())) if name == "_modules" else _snapshot(attr, seen))
        for name, attr in vars(module).items() if name not in ("_parameters", "_buffers")))


def _snapshot(value, seen):
    """What :func:`_diff` compares: a plain, comparable picture of ``value``.

    ``seen`` maps the id of every object already pictured to the object (kept alive, so
    that the id is not reused): an object met again (a cycle, or shared) is pictured by
    its identity only.
    """
    if isinstance(value, torch.Tensor):
        return _tensor(value)
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, _SCALARS):  # floats by repr: a NaN is the same as a NaN
        return ("value", type(value).__qualname__,
                repr(value) if isinstance(value, (float, np.floating)) else value)
    if isinstance(value, dict):
        return ("dict", (type(value).__qualname__,), tuple(
            (k if isinstance(k, _SCALARS) else ("key", id(k)), _snapshot(v, seen))
            for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", (type(value).__qualname__,),
                tuple((i, _snapshot(v, seen)) for i, v in enumerate(value)))
    if isinstance(value, (set, frozenset)):
        return ("set", type(value).__qualname__, frozenset(_snapshot(v, seen) for v in value))
    if id(value) in seen or isinstance(value, type) or not hasattr(value, "__dict__"):
        return ("same", type(value).__qualname__, id(value))  # identity only
    seen[id(value)] = value
    if isinstance(value, torch.nn.Module):
        return _object("module", value, [("state_dict", _snapshot(value.state_dict(), {})),
                                         ("attrs", _module_attrs(value, seen))])
    if isinstance(value, torch.optim.Optimizer):
        return _object("optimizer", value, [
            ("state_dict", _snapshot(value.state_dict(), {})),
            ("param_groups", _snapshot(value.param_groups, {}))])
    if isinstance(value, _InProcess):
        return _object("object", value, [("model", _LAZY if value.model is None
                                          else _snapshot(value.model, seen))])
    return _object("object", value, [(k, _snapshot(v, seen)) for k, v in vars(value).items()])


def _diff(before, after, path):
    """The paths (``estimator.attr.attr[0]...``) where ``after`` differs from ``before``."""
    if before == after or before == _LAZY:
        return []
    nested = ("dict", "seq", "object", "module", "optimizer")
    if before[0] in nested and before[:2] == after[:2]:
        parts_before, parts_after = dict(before[2]), dict(after[2])
        return sorted(f"{path}.{name}" for name in set(parts_before) ^ set(parts_after)) + [
            p for name in parts_before if name in parts_after
            for p in _diff(parts_before[name], parts_after[name], f"{path}.{name}")]
    return [path]


def _check_untouched(estimator, calls):
    """Run ``calls``; assert they changed nothing of ``estimator``, however deep."""
    snapshot = _snapshot(estimator, {})
    for call in calls:
        call()
    assert _diff(snapshot, _snapshot(estimator, {}), type(estimator).__name__) == []


def _network_is_the_fitted_one(featurizer):
    model = featurizer._in_process.model
    assert _backbones.state_digest(model) == featurizer.model_digest_ and not model.training


# --------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def featurizer(videos, tmp_path_factory):
    X, _ = videos
    return InceptionFeaturizer(N_FRAMES, cache=str(tmp_path_factory.mktemp("cache")),
                               **SMALL_FEATURIZER).fit(X)


@pytest.fixture(scope="module")
def classifier(videos, features):
    return ResBiLSTMClassifier(N_FRAMES, **SMALL_CLASSIFIER).fit(features, videos[1])


@pytest.fixture(scope="module")
def pipe(videos):
    return make_video_pipeline(n_frames=N_FRAMES, featurizer=SMALL_FEATURIZER,
                               classifier=SMALL_CLASSIFIER, random_state=0).fit(*videos)


def _featurizer_calls(featurizer, X):
    # twice: the first transform fills the cache, the second reads it
    return [lambda: featurizer.transform(X), lambda: featurizer.transform(X),
            lambda: featurizer.get_feature_names_out()]


def _classifier_calls(classifier, features, y):
    return [lambda: classifier.predict(features), lambda: classifier.predict_proba(features),
            lambda: classifier.score(features, y)]


def _pipeline_calls(pipe, X, y):
    # other samples than fit's first: any statistic kept would differ
    return [lambda: pipe.predict(X[:3]), lambda: pipe.predict_proba(X),
            lambda: pipe.score(X, y)]


def test_featurizer_transform_changes_no_attribute(featurizer, videos):
    _check_untouched(featurizer, _featurizer_calls(featurizer, videos[0]))
    assert featurizer.cache_stats() == (8 * N_FRAMES, 0)  # statistics through a method
    _network_is_the_fitted_one(featurizer)


def test_featurizer_transform_uses_the_fitted_sizes(videos):
    X, _ = videos
    featurizer = InceptionFeaturizer(N_FRAMES, **SMALL_FEATURIZER).fit(X)
    expected = featurizer.transform(X)
    featurizer.set_params(n_frames=3, image_size=48)  # takes effect at the next fit
    np.testing.assert_array_equal(featurizer.transform(X), expected)
    assert len(featurizer.get_feature_names_out()) == expected.shape[1]


def test_sampler_fit_resample_is_its_fit(videos):
    X, y = videos
    sampler = SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0)
    sampler.fit_resample(X, y)
    # the sampler has no transform or predict: fit_resample is its fit, and a second
    # call with the same data leaves it as the first left it
    _check_untouched(sampler, [lambda: sampler.fit_resample(X, y)])
    loaded = pickle.loads(pickle.dumps(sampler))
    _check_untouched(loaded, [lambda: loaded.fit_resample(X, y)])


def test_classifier_predict_and_score_change_no_attribute(classifier, features, videos):
    _check_untouched(classifier, _classifier_calls(classifier, features, videos[1]))
    assert classifier.criterion_.reduction == "mean" and not classifier.module_.training


def test_pipeline_predict_and_score_change_no_attribute(pipe, videos):
    # the pipeline's picture holds its steps' pictures, however deep
    _check_untouched(pipe, _pipeline_calls(pipe, *videos))


@pytest.mark.parametrize("name", ["featurizer", "classifier", "pipe"])
def test_an_unpickled_estimator_is_left_as_unpickling_left_it(name, request, videos,
                                                                features):
    """The relocation path: ``__setstate__`` decides the state, not the first call."""
    loaded = pickle.loads(pickle.dumps(request.getfixturevalue(name)))
    calls = {"featurizer": lambda: _featurizer_calls(loaded, videos[0]),
             "classifier": lambda: _classifier_calls(loaded, features, videos[1]),
             "pipe": lambda: _pipeline_calls(loaded, *videos)}[name]()
    _check_untouched(loaded, calls)
    if name != "classifier":
        _network_is_the_fitted_one(loaded if name == "featurizer"
                                   else loaded.named_steps["inceptionfeaturizer"])
