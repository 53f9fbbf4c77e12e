"""The imbalanced scores every report shows, and the same scores as search scorers."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skvideo_imb.metrics import GMEAN_CORRECTION, SCORING, imbalanced_scores

Y_TRUE = ["run"] * 8 + ["walk"] * 8 + ["fall"] * 2


def test_a_missed_small_class_shows_in_every_imbalanced_score():
    missed = imbalanced_scores(Y_TRUE, ["run"] * 8 + ["walk"] * 10)
    assert missed["accuracy"] == pytest.approx(16 / 18)
    assert missed["balanced_accuracy"] == pytest.approx((1 + 1 + 0) / 3)  # mean recall
    # geometric mean of the recalls, the missed class counting as the correction
    assert missed["gmean"] == pytest.approx((1 * 1 * GMEAN_CORRECTION) ** (1 / 3))
    assert 0 < missed["gmean"] < 0.2 < missed["f1_macro"] < missed["f1_weighted"]
    perfect = imbalanced_scores(Y_TRUE, Y_TRUE)
    assert set(perfect) == {"accuracy", "f1_macro", "f1_weighted", "balanced_accuracy",
                            "gmean"}
    assert all(v == 1.0 for v in perfect.values())


def test_the_gmean_ranks_two_models_that_both_miss_a_class():
    both_miss_fall = imbalanced_scores(Y_TRUE, ["run"] * 8 + ["walk"] * 10)
    also_half_walk = imbalanced_scores(Y_TRUE, ["run"] * 12 + ["walk"] * 6)
    assert both_miss_fall["gmean"] > also_half_walk["gmean"] > 0


def test_the_scorers_give_the_same_numbers_in_a_search():
    rng = np.random.RandomState(0)
    y = np.array([0] * 30 + [1] * 30 + [2] * 6)
    X = rng.normal(size=(len(y), 3)) + y[:, None]
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [1.0]}, cv=2,
                          scoring=SCORING, refit="f1_macro").fit(X, y)
    for name in SCORING:
        assert 0 < search.cv_results_[f"mean_test_{name}"][0] <= 1
    model = search.best_estimator_
    scores = imbalanced_scores(y, model.predict(X))
    for name, scorer in SCORING.items():
        from sklearn.metrics import get_scorer
        assert get_scorer(scorer)(model, X, y) == pytest.approx(scores[name])


def test_a_class_predicted_but_absent_from_the_truth_is_not_a_missed_class():
    """A small class missing from a fold's true labels but predicted once: the G-mean
    counts the recalls of the true classes only, as balanced accuracy does."""
    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import get_scorer

    y_true = ["run", "run", "walk", "walk"]
    y_pred = ["run", "fall", "walk", "walk"]
    scores = imbalanced_scores(y_true, y_pred)
    assert scores["gmean"] == pytest.approx(np.sqrt(0.5 * 1.0))   # recalls of run, walk
    assert scores["balanced_accuracy"] == pytest.approx(0.75)

    class Fixed(DummyClassifier):  # predicts y_pred for the four samples
        def predict(self, X):
            return np.asarray(y_pred)

    model = Fixed().fit(np.zeros((4, 1)), ["run", "fall", "walk", "walk"])
    assert get_scorer(SCORING["gmean"])(model, np.zeros((4, 1)), y_true) == \
        pytest.approx(np.sqrt(0.5))
