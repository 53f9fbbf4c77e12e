"""Scores for imbalanced classes: the ones every report of the toolkit shows.

Accuracy and weighted F1 reward the large classes; on skewed data they stay high while
a small class is never found.  Every score table of the toolkit (``reproduce``'s
tables, ``fit``'s validation report, the model card) therefore also shows

* **macro F1**: the F1 of each class, averaged with equal weights;
* **balanced accuracy**: the mean of the per-class recalls
  (:func:`sklearn.metrics.balanced_accuracy_score`);
* **G-mean**: the geometric mean of the per-class recalls
  (:func:`imblearn.metrics.geometric_mean_score`), high only when every class is
  recalled.  One class never recalled would make it 0 whatever the others do, so that
  class's recall counts as :data:`GMEAN_CORRECTION` instead (imbalanced-learn's
  ``correction``): the score still ranks two models that both miss a class.  Its
  classes are those of ``y_true``, as for balanced accuracy: a class predicted but
  absent from the true labels (a small class missing from a cross-validation fold) has
  no recall and does not count.

The same scores in a search: ``GridSearchCV(..., scoring=SCORING, refit="f1_macro")``.
"""

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, make_scorer

__all__ = ["GMEAN_CORRECTION", "SCORING", "imbalanced_scores"]

GMEAN_CORRECTION = 0.001
"""The recall a class never recalled counts with in the G-mean (instead of 0)."""

def _gmean(y_true, y_pred):
    """The G-mean of the recalls of the classes in ``y_true``."""
    return geometric_mean_score(y_true, y_pred, labels=np.unique(y_true),
                                correction=GMEAN_CORRECTION)


SCORING = {
    "accuracy": "accuracy",
    "f1_macro": "f1_macro",
    "f1_weighted": "f1_weighted",
    "balanced_accuracy": "balanced_accuracy",
    "gmean": make_scorer(_gmean),
}
"""The scores of :func:`imbalanced_scores`, as scikit-learn scorers, by the same names."""


def imbalanced_scores(y_true, y_pred):
    """Accuracy, macro and weighted F1, balanced accuracy and G-mean of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.

    Returns
    -------
    scores : dict of str to float
        ``accuracy``, ``f1_macro``, ``f1_weighted``, ``balanced_accuracy``, ``gmean``
        (F1 of a class never predicted counts as 0; see the module's docstring for the
        G-mean's correction).

    Examples
    --------
    A model that never finds the small class ``"fall"``: accuracy stays high, macro F1
    and balanced accuracy drop, the G-mean collapses (but not to 0).

    >>> from skvideo_imb.metrics import imbalanced_scores
    >>> y_true = ["run"] * 8 + ["walk"] * 8 + ["fall"] * 2
    >>> y_pred = ["run"] * 8 + ["walk"] * 8 + ["walk"] * 2
    >>> {k: round(v, 3) for k, v in imbalanced_scores(y_true, y_pred).items()}
    {'accuracy': 0.889, 'f1_macro': 0.63, 'f1_weighted': 0.84,
     'balanced_accuracy': 0.667, 'gmean': 0.1}
    """
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "f1_weighted": float(f1_score(y_true, y_pred, average="weighted",
                                      zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "gmean": float(_gmean(y_true, y_pred)),
    }
