"""The three estimators composed: pipelines, search, cross-validation, SMOTE swaps."""

import os
import pickle

import numpy as np
import pytest
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import f1_score
from sklearn.model_selection import (GridSearchCV, RandomizedSearchCV, StratifiedKFold,
                                     cross_validate)

from _workers import PidRecorder
from skvideo_imb import (InceptionFeaturizer, ResBiLSTMClassifier, SpatioTemporalOverSampler,
                         VideoPipeline, make_video_pipeline)
from skvideo_imb.datasets import make_synthetic_videos

N_FRAMES = 4
SIZES = {"brighten": 10, "darken": 5, "move_right": 8, "move_left": 4, "checkerboard": 6}


@pytest.fixture(scope="module")
def data():
    return make_synthetic_videos(SIZES, n_frames=(6, 9), random_state=0)


#: The paper's network, on the smallest frames it accepts.
PAPER_NETWORK = {"backbone": "inception_v3", "image_size": 75}
#: The network of the plumbing tests: the small MobileNet on the videos' own 32 px.
SMALL_NETWORK = {"backbone": "mobilenet_v3_small", "image_size": 32}


def _featurizer(**kw):
    # Plumbing (search, cross-validation, samplers, caching) does not depend on the
    # network: the small MobileNet on the videos' own 32 px costs a fraction of
    # InceptionV3 at 75 px, which the full pipeline test below runs.  weights=None
    # gives every fit its own network; the torch engine runs it at once, where OpenVINO
    # would convert each (the default engine is exercised by the full pipeline test,
    # the cache test and tests/features)
    kw = {"engine": "torch", **SMALL_NETWORK, **kw}
    return InceptionFeaturizer(n_frames=N_FRAMES, weights=None, n_calibration_frames=64,
                               random_state=0, **kw)


def _classifier(**kw):
    params = dict(n_frames=N_FRAMES, hidden_size=8, fc_size=8, max_epochs=4,
                  random_state=0)
    params.update(kw)
    return ResBiLSTMClassifier(**params)


def _paper_pipe(classifier=None, **featurizer_kw):
    return make_pipeline(SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0),
                         _featurizer(**featurizer_kw), _classifier(**(classifier or {})))


# A classifier that learns these 33 videos within seconds (the default above is sized
# for speed, to test plumbing).
LEARNS = dict(hidden_size=16, fc_size=16, lr=1e-2, max_epochs=20)
MAJORITY = max(SIZES.values()) / sum(SIZES.values())   # accuracy of always "brighten"


def _trained_on(classifier):
    """Number of samples in the classifier's last training epoch."""
    return sum(batch["train_batch_size"] for batch in classifier.history[-1]["batches"])


def test_make_video_pipeline_steps_and_placement():
    names = lambda p: [n for n, _ in p.steps]  # noqa: E731
    assert names(make_video_pipeline()) == [
        "spatiotemporaloversampler", "inceptionfeaturizer", "resbilstmclassifier"]
    assert names(make_video_pipeline(None)) == ["inceptionfeaturizer", "resbilstmclassifier"]
    assert names(make_video_pipeline(ADASYN())) == [
        "inceptionfeaturizer", "adasyn", "resbilstmclassifier"]
    explicit = SpatioTemporalOverSampler(replication="exact")
    assert make_video_pipeline(explicit).steps[0][1] is explicit
    with pytest.raises(ValueError, match="sampler must be"):
        make_video_pipeline("smote")


def test_n_frames_is_broadcast_and_survives_clone():
    pipe = make_video_pipeline(n_frames=8, featurizer={"weights": None},
                               classifier={"hidden_size": 4}, random_state=3)
    assert {est.n_frames for _, est in pipe.steps} == {8}
    assert pipe.named_steps["resbilstmclassifier"].hidden_size == 4
    assert pipe.named_steps["spatiotemporaloversampler"].random_state == 3
    pipe.set_params(n_frames=5)
    assert {est.n_frames for _, est in pipe.steps} == {5}
    cloned = clone(pipe)
    assert cloned.n_frames == 5 and {est.n_frames for _, est in cloned.steps} == {5}
    assert "n_frames" in pipe.get_params()


def test_disagreeing_n_frames_is_a_clear_error(data):
    X, y = data
    pipe = VideoPipeline(make_pipeline(SpatioTemporalOverSampler(n_frames=4),
                                       _featurizer(), _classifier(n_frames=6)).steps)
    with pytest.raises(ValueError, match="disagree on n_frames"):
        pipe.fit(X, y)


def test_a_step_changed_alone_is_an_error_not_overwritten(data):
    X, y = data
    pipe = make_video_pipeline(n_frames=4, featurizer={"weights": None, "image_size": 75},
                               classifier={"hidden_size": 4})
    pipe.set_params(resbilstmclassifier__n_frames=3)
    with pytest.raises(ValueError, match="disagree on n_frames"):
        pipe.fit(X, y)
    assert pipe.named_steps["resbilstmclassifier"].n_frames == 3  # fit changed nothing


def test_n_frames_of_a_frozen_featurizer_is_checked(data):
    from sklearn.frozen import FrozenEstimator
    X, y = data
    frozen = FrozenEstimator(_featurizer().fit(X[:4]))  # 4 frames
    pipe = make_video_pipeline(None, n_frames=6, featurizer=frozen,
                               classifier={"hidden_size": 4})
    with pytest.raises(ValueError, match="frozenestimator.: 4"):
        pipe.fit(X, y)
    pipe.set_params(n_frames=4)  # a frozen step is not changed, but now agrees
    assert pipe.fit(X, y).predict(X[:2]).shape == (2,)
    # its parameter set after fit changes nothing it computes: the fitted count is checked
    # (8 frames: the classifier alone would fold 4 frames' features into 8 silently)
    frozen.estimator.set_params(n_frames=8)
    pipe.set_params(resbilstmclassifier__n_frames=8, n_frames=None)
    with pytest.raises(ValueError, match="frozenestimator.: 4"):
        pipe.fit(X, y)


@pytest.mark.slow
def test_full_pipeline_fit_predict_score_clone_pickle(data):
    X, y = data
    pipe = _paper_pipe(classifier=LEARNS, engine="auto", **PAPER_NETWORK)
    pipe.fit(X, y)
    assert _trained_on(pipe[-1]) > len(X)               # it trained on oversampled clips
    pred = pipe.predict(X)
    # at predict the sampler is skipped: the featurizer's output goes to the classifier
    np.testing.assert_array_equal(pred, pipe[-1].predict(pipe[1].transform(X)))
    proba = pipe.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(pipe.classes_[proba.argmax(axis=1)], pred)
    score = pipe.score(X, y)
    assert score == np.mean(pred == y)
    assert score > MAJORITY + 0.3                       # it learned the videos
    assert pipe[1].transform(X[:3]).shape == (3, N_FRAMES * 2048)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.predict_proba(X), proba, rtol=1e-4, atol=1e-5)
    cloned = clone(pipe)
    assert cloned.get_params()["resbilstmclassifier__hidden_size"] == LEARNS["hidden_size"]
    with pytest.raises(NotFittedError):
        cloned.predict(X)


def test_oversampler_is_skipped_at_predict(data, monkeypatch):
    X, y = data
    pipe = _paper_pipe().fit(X, y)
    seen = []
    featurizer = pipe[1]
    real = type(featurizer).transform
    monkeypatch.setattr(type(featurizer), "transform",
                        lambda self, X_: seen.append(len(X_)) or real(self, X_))
    pipe.predict(X[:5])
    assert seen == [5]


@pytest.mark.parametrize("sampler", [
    # ADASYN refuses to run when a class has no neighbour of another class ("not suited
    # for this data set"); on these well separated toy features only 'minority' works.
    SMOTE(k_neighbors=2, random_state=0),
    ADASYN(n_neighbors=2, sampling_strategy="minority", random_state=0),
    RandomOverSampler(random_state=0), RandomUnderSampler(random_state=0)])
@pytest.mark.slow
def test_feature_space_samplers_are_a_one_line_swap(data, sampler):
    X, y = data
    pipe = make_pipeline(_featurizer(), sampler, _classifier())
    pipe.fit(X, y)
    # the classifier was trained on what the sampler made of the features
    features = pipe[0].transform(X)
    X_res, y_res = clone(sampler).fit_resample(features, y)
    assert len(X_res) != len(X)
    assert _trained_on(pipe[-1]) == len(X_res)
    # exactly the classifier the same steps composed by hand give
    by_hand = clone(pipe[-1]).fit(X_res, y_res)
    np.testing.assert_array_equal(pipe.predict(X), by_hand.predict(features))
    np.testing.assert_allclose(pipe.predict_proba(X), by_hand.predict_proba(features),
                               rtol=1e-6)


@pytest.mark.slow
def test_grid_search_with_n_jobs_and_multiple_scores(data, tmp_path):
    X, y = data
    pipe = _paper_pipe(cache=str(tmp_path / "cache"))
    (tmp_path / "pids").mkdir()
    where = PidRecorder(tmp_path / "pids")
    search = GridSearchCV(pipe, {"resbilstmclassifier__hidden_size": [4, 8]},
                          scoring={"accuracy": "accuracy", "f1_macro": "f1_macro",
                                   "f1_weighted": "f1_weighted", "where": where},
                          refit="f1_macro",
                          cv=StratifiedKFold(2, shuffle=True, random_state=0), n_jobs=2)
    search.fit(X, y)
    assert where.pids() and os.getpid() not in where.pids()   # fits ran in workers
    results = search.cv_results_
    for key in ("accuracy", "f1_macro", "f1_weighted"):
        splits = np.array([results[f"split{k}_test_{key}"] for k in range(2)])
        np.testing.assert_allclose(results[f"mean_test_{key}"], splits.mean(axis=0))
        assert np.all(results[f"rank_test_{key}"] == 1 + np.argsort(np.argsort(
            -results[f"mean_test_{key}"], kind="stable"), kind="stable"))
    # refit on macro F1: the best candidate is the one with the best mean macro F1
    assert search.best_index_ == np.argmax(results["mean_test_f1_macro"])
    assert search.best_params_ == results["params"][search.best_index_]
    assert search.best_estimator_[-1].hidden_size == search.best_params_[
        "resbilstmclassifier__hidden_size"]
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))


@pytest.mark.slow
def test_randomized_search_and_cross_validate(data):
    X, y = data
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    scores = cross_validate(_paper_pipe(), X, y, cv=cv,
                            scoring=["accuracy", "f1_macro", "f1_weighted"])
    assert scores["test_f1_macro"].shape == (2,)
    # each fold's score is that of the pipeline fitted on the fold's training videos
    train, test = next(cv.split(X, y))
    fold = _paper_pipe().fit([X[i] for i in train], y[train])
    assert scores["test_f1_macro"][0] == f1_score(y[test], fold.predict([X[i] for i in test]),
                                                   average="macro")
    search = RandomizedSearchCV(_paper_pipe(), {"resbilstmclassifier__lr": [1e-3, 3e-3]},
                                n_iter=2, cv=cv, scoring="f1_macro", random_state=0)
    search.fit(X, y)
    lrs = [p["resbilstmclassifier__lr"] for p in search.cv_results_["params"]]
    assert sorted(lrs) == [1e-3, 3e-3]                   # both candidates were tried
    # the search scores the default lr=1e-3 exactly as cross_validate did
    assert search.cv_results_["mean_test_score"][lrs.index(1e-3)] == \
        scores["test_f1_macro"].mean()
    assert search.best_params_ == search.cv_results_["params"][
        np.argmax(search.cv_results_["mean_test_score"])]


@pytest.mark.slow
def test_grid_over_n_frames_through_the_helper(data):
    X, y = data
    # (the torch engine: a network per fit, and OpenVINO converts each; not the point here)
    pipe = make_video_pipeline(n_frames=3, featurizer={"weights": None, **SMALL_NETWORK,
                                                       "n_calibration_frames": 32,
                                                       "engine": "torch"},
                               classifier={"hidden_size": 4, "fc_size": 4, "max_epochs": 2},
                               random_state=0)
    search = GridSearchCV(pipe, {"n_frames": [2, 3]}, cv=2, scoring="f1_macro")
    search.fit(X, y)
    assert {est.n_frames for _, est in search.best_estimator_.steps} == {
        search.best_params_["n_frames"]}


@pytest.mark.slow
def test_grid_search_reuses_cached_features(data, tmp_path, monkeypatch):
    """With a fixed network, a whole grid search featurizes each distinct frame once.

    3 folds x 2 grid points + the refit = 7 pipeline fits over overlapping videos and
    their oversampled clips; the CNN sees every distinct frame exactly once, the
    number of entries the cache ends up holding.
    """
    import torch
    import torchvision

    X, y = data
    torch.manual_seed(0)  # a local weights file: no BatchNorm recalibration per fold
    weights = tmp_path / "mobilenet.pth"
    torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), weights)
    computed = []
    real_forward = InceptionFeaturizer._forward
    monkeypatch.setattr(InceptionFeaturizer, "_forward", lambda self, frames:  # not padding
                        computed.append(int(frames.flatten(1).any(1).sum()))
                        or real_forward(self, frames))
    cache = tmp_path / "cache"
    pipe = make_pipeline(SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0),
                         InceptionFeaturizer(n_frames=N_FRAMES, weights=str(weights),
                                             cache=str(cache), **SMALL_NETWORK),
                         _classifier(max_epochs=1))
    search = GridSearchCV(pipe, {"resbilstmclassifier__hidden_size": [4, 8]},
                          cv=StratifiedKFold(3, shuffle=True, random_state=0),
                          scoring="f1_macro")
    search.fit(X, y)
    n_entries = sum(1 for p in cache.rglob("*.feat"))
    assert n_entries > 0
    assert sum(computed) == n_entries
    # fits after the first one computed nothing new for the videos they share with it
    fitted = search.best_estimator_
    assert fitted[1].cache_stats().misses == 0 and fitted[1].cache_stats().hits > 0


@pytest.mark.parametrize("make", [
    lambda X: [x / 255.0 for x in X],                        # float videos
    lambda X: np.stack([x[:6] for x in X]) / 255.0,          # one float (N, T, H, W, 3) array
    lambda X: [np.where(x > 128, np.nan, x / 255.0) for x in X],  # NaN pixels
])
@pytest.mark.parametrize("sampler", ["spatiotemporal", None])
def test_float_videos_get_the_same_clear_error_from_every_entry_point(data, make, sampler):
    X, y = data
    pipe = make_video_pipeline(sampler, n_frames=N_FRAMES,
                               featurizer={"weights": None, "image_size": 75},
                               classifier={"hidden_size": 4})
    with pytest.raises(ValueError, match=r"videos must be uint8 arrays \(T, H, W\[, 3\]\)"):
        pipe.fit(make(X), y)
    with pytest.raises(ValueError, match=r"videos must be uint8 arrays \(T, H, W\[, 3\]\)"):
        _featurizer().fit(make(X))
