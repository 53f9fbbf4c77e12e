"""scikit-learn's contract: transform, predict and score leave a fitted estimator as fit did.

Every attribute of a fitted estimator (public, fitted and private) is snapshotted after
``fit`` and compared after the non-fitting methods have run: arrays, tensors and the
weights of torch modules by value, containers recursively, any other object by identity
(it must still be the same object; what such an object caches in this process, such as
the featurizer's built engine, is not fitted state).
"""

import copy

import numpy as np
import pytest
import torch

from skvideo_imb import (InceptionFeaturizer, ResBiLSTMClassifier, SpatioTemporalOverSampler,
                         make_video_pipeline)

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


_SCALARS = (str, int, float, bool, type(None), np.generic)
_VALUES = (np.ndarray, torch.Tensor, *_SCALARS)


def _snapshot(value):
    """A deep copy of ``value`` that :func:`_same` can compare with the live object."""
    if isinstance(value, torch.nn.Module):
        return {k: v.detach().clone() for k, v in value.state_dict().items()}
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, _VALUES):
        return copy.deepcopy(value)
    return (type(value), id(value))


def _same(before, value):
    if isinstance(value, torch.nn.Module):
        after = value.state_dict()
        return before.keys() == after.keys() and all(
            torch.equal(before[k], after[k]) for k in before)
    if isinstance(value, dict):
        return (isinstance(before, dict) and before.keys() == value.keys()
                and all(_same(before[k], value[k]) for k in before))
    if isinstance(value, (list, tuple)):
        return (type(before) is type(value) and len(before) == len(value)
                and all(_same(b, v) for b, v in zip(before, value)))
    if isinstance(value, np.ndarray):
        return isinstance(before, np.ndarray) and np.array_equal(before, value)
    if isinstance(value, torch.Tensor):
        return isinstance(before, torch.Tensor) and torch.equal(before, value)
    if isinstance(value, _SCALARS):
        return type(before) is type(value) and before == value
    return before == (type(value), id(value))


def _changed(estimator, snapshot):
    now = vars(estimator)
    return sorted(set(snapshot) ^ set(now)) + sorted(
        name for name in set(snapshot) & set(now) if not _same(snapshot[name], now[name]))


def _check_untouched(estimator, calls):
    snapshot = {name: _snapshot(value) for name, value in vars(estimator).items()}
    for call in calls:
        call()
    assert _changed(estimator, snapshot) == []


def test_featurizer_transform_changes_no_attribute(videos, tmp_path):
    X, _ = videos
    featurizer = InceptionFeaturizer(N_FRAMES, cache=str(tmp_path),
                                     **SMALL_FEATURIZER).fit(X)
    # twice: the first transform fills the cache, the second reads it
    _check_untouched(featurizer, [lambda: featurizer.transform(X),
                                  lambda: featurizer.transform(X),
                                  lambda: featurizer.get_feature_names_out()])
    assert featurizer.cache_stats() == (8 * N_FRAMES, 0)  # statistics through a method


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


def test_classifier_predict_and_score_change_no_attribute(videos):
    X, y = videos
    features = np.random.RandomState(0).normal(size=(len(y), N_FRAMES, 3)).astype(
        np.float32)
    classifier = ResBiLSTMClassifier(N_FRAMES, **SMALL_CLASSIFIER).fit(features, y)
    _check_untouched(classifier, [lambda: classifier.predict(features),
                                  lambda: classifier.predict_proba(features),
                                  lambda: classifier.score(features, y)])


def test_pipeline_predict_and_score_change_no_attribute(videos):
    X, y = videos
    pipe = make_video_pipeline(n_frames=N_FRAMES, featurizer=SMALL_FEATURIZER,
                               classifier=SMALL_CLASSIFIER, random_state=0).fit(X, y)
    steps = [pipe] + [step for _, step in pipe.steps]
    snapshots = [{name: _snapshot(value) for name, value in vars(step).items()}
                 for step in steps]
    pipe.predict(X[:3])  # other samples than fit's: any statistic kept would differ
    pipe.predict_proba(X)
    pipe.score(X, y)
    assert [_changed(step, snapshot) for step, snapshot in zip(steps, snapshots)] == \
        [[]] * len(steps)
