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
