"""
=========================================================
One grid search over the oversampler and the loss
=========================================================

Whether to oversample the videos and which loss to train with are two parameters of
one pipeline, so :class:`~sklearn.model_selection.GridSearchCV` can choose them
together, scored by the imbalance-aware scores of :data:`skvideo_imb.metrics.SCORING`
(balanced accuracy and the geometric mean of the recalls among them).  A step of an
imbalanced-learn pipeline set to ``"passthrough"`` is skipped, which turns the video
oversampler off for a grid point.
"""

# %%
# Data and a frozen featurizer
# ----------------------------
# The built-in synthetic videos, split 70/30; the featurizer is fitted once, frozen
# and cached, so that the folds and grid points share its features.

import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (GridSearchCV, StratifiedKFold,
                                     train_test_split)

from skvideo_imb import (InceptionFeaturizer, SpatioTemporalOverSampler,
                         make_video_pipeline)
from skvideo_imb.datasets import make_synthetic_videos
from skvideo_imb.metrics import SCORING, imbalanced_scores

N_FRAMES = 4
X, y = make_synthetic_videos(random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0).fit(X_train)
pipe = make_video_pipeline(
    n_frames=N_FRAMES, featurizer=FrozenEstimator(featurizer),
    classifier={"hidden_size": 32, "fc_size": 32, "max_epochs": 30},
    random_state=0)
print([name for name, _ in pipe.steps])

# %%
# The grid: oversampler on or off, times three losses
# ---------------------------------------------------
# ``refit="balanced_accuracy"`` refits the grid point with the best mean balanced
# accuracy over the folds on the whole training set.

param_grid = {
    "spatiotemporaloversampler": [
        SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0),
        "passthrough"],
    "resbilstmclassifier__loss": ["cross_entropy", "ldam", "balanced_softmax"],
}
search = GridSearchCV(pipe, param_grid, scoring=SCORING,
                      refit="balanced_accuracy",
                      cv=StratifiedKFold(3, shuffle=True, random_state=0))
search.fit(X_train, y_train)

results = search.cv_results_
labels = []
for params in results["params"]:
    sampler = params["spatiotemporaloversampler"]
    labels.append(f"{params['resbilstmclassifier__loss']}, "
                  f"{'no oversampling' if sampler == 'passthrough' else 'video'}")
for i, label in enumerate(labels):
    print(f"{label:<36} balanced acc "
          f"{results['mean_test_balanced_accuracy'][i]:.3f}  G-mean "
          f"{results['mean_test_gmean'][i]:.3f}")
print("best:", labels[search.best_index_])
test = imbalanced_scores(y_test, search.predict(X_test))
print("best pipeline on the test videos:",
      {k: round(v, 3) for k, v in test.items()})

# %%
# Validation scores per grid point
# --------------------------------
# Means over the three folds, error bars their standard deviation; the best grid
# point (by balanced accuracy) is marked.

position = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(7, 3.8))
for offset, key in zip((-0.2, 0.2), ("balanced_accuracy", "gmean")):
    ax.barh(position + offset, results[f"mean_test_{key}"], 0.4,
            xerr=results[f"std_test_{key}"], capsize=3,
            label=key.replace("_", " "))
ax.set_yticks(position, [("* " if i == search.best_index_ else "") + label
                         for i, label in enumerate(labels)])
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel("mean validation score over 3 folds (* the best)")
ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache_dir)
