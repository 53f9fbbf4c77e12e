"""
=================================================
Grid search over the classifier, features cached
=================================================

Tuning the temporal model with :class:`~sklearn.model_selection.GridSearchCV` fits the
whole pipeline once per grid point and fold.  The expensive step, the CNN, gives the
same features every time: the same videos, the same synthetic clips (the oversampler's
copies of a video depend only on that video and ``random_state``), the same network.
:class:`~skvideo_imb.InceptionFeaturizer`'s ``cache`` stores each frame's feature
vector on disk, so only the first fit pays for it.  This example tunes the ResBiLSTM's
width and class weighting and shows how often the cache answered.

In the user guide: :ref:`caching`, :ref:`scaling`.
"""

# %%
# Data and a featurizer fitted once
# ---------------------------------
# A stratified 70/30 split of the built-in synthetic videos.  The featurizer is fitted
# once on the training videos and frozen (:class:`sklearn.frozen.FrozenEstimator`), so
# every clone that the search makes uses this same network, and therefore the same
# cache entries.  A frozen featurizer is the natural choice with pretrained weights,
# where ``fit`` learns nothing from the data.  Here, with ``weights=None``, ``fit``
# recalibrates BatchNorm statistics on the training frames (without looking at the
# labels); freezing means the validation folds took part in that unsupervised step.
# Left unfrozen in the pipeline, the featurizer would be refitted on each fold's
# training part: a different network per fold, each with its own cache entries.

import shutil
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.model_selection import (GridSearchCV, StratifiedKFold,
                                     train_test_split)

from skvideo_imb import InceptionFeaturizer, make_video_pipeline
from skvideo_imb.datasets import make_synthetic_videos

N_FRAMES = 6

X, y = make_synthetic_videos(random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0)
featurizer.fit(X_train)

pipe = make_video_pipeline(
    n_frames=N_FRAMES,
    featurizer=FrozenEstimator(featurizer),
    classifier={"hidden_size": 32, "fc_size": 32, "max_epochs": 30},
    random_state=0,
)
print([name for name, _ in pipe.steps])

# %%
# A scorer that also reads the cache statistics
# ---------------------------------------------
# ``featurizer.cache_stats()`` counts the distinct frames of the featurizer's *last*
# ``transform`` that were read from the cache and computed by the network.  The
# search calls its scorer right after each fit, so on entry those statistics still
# describe the fit's training transform (the oversampled clips of the fold).  A
# scorer may return several named scores; the search reports each of them.
# (We keep ``n_jobs=1``: the frozen featurizer is one object shared by all fits.)


def macro_f1_and_cache(estimator, X, y):
    hits, misses = featurizer.cache_stats()
    y_pred = estimator.predict(X)
    f1 = f1_score(y, y_pred, average="macro", zero_division=0)
    return {"f1_macro": f1,
            "fit_cache_hit_rate": hits / max(hits + misses, 1),
            "fit_frames_computed": misses}


# %%
# The search
# ----------
# Keys name the step, as :func:`~imblearn.pipeline.make_pipeline` named it, then the
# parameter.  Four grid points times three folds are twelve fits, plus the refit on the
# whole training set with the best parameters (``refit="f1_macro"``).

param_grid = {
    "resbilstmclassifier__hidden_size": [16, 48],
    "resbilstmclassifier__class_weight": [None, "balanced"],
}
search = GridSearchCV(
    pipe, param_grid, scoring=macro_f1_and_cache, refit="f1_macro",
    cv=StratifiedKFold(3, shuffle=True, random_state=0))
start = time.perf_counter()
search.fit(X_train, y_train)
print(f"search: {time.perf_counter() - start:.1f} s")

results = search.cv_results_
print("hidden  class_weight  macro F1       cache hits  fit time")
for i, params in enumerate(results["params"]):
    print(f"{params['resbilstmclassifier__hidden_size']:>6}  "
          f"{params['resbilstmclassifier__class_weight']!s:>12}  "
          f"{results['mean_test_f1_macro'][i]:.3f} ± "
          f"{results['std_test_f1_macro'][i]:.3f}  "
          f"{results['mean_test_fit_cache_hit_rate'][i]:>10.0%}  "
          f"{results['mean_fit_time'][i]:>6.1f} s")

# %%
# The cache's effect
# ------------------
# The first grid point computed the features of each fold's clips; every later grid
# point reused them.  Folds overlap (each training video is in two of the three
# training parts), so even the first grid point reads part of its frames from the
# cache.  The refit then needed almost nothing new: its clips are copies of the same
# videos that the folds already featurized.

splits = range(search.n_splits_)
computed = sum(results[f"split{k}_test_fit_frames_computed"].sum()
               for k in splits)
hit_rates = np.concatenate(
    [results[f"split{k}_test_fit_cache_hit_rate"] for k in splits])
print(f"frames computed in {hit_rates.size} fits: {int(computed)}")
print(f"cache hit rate per fit: {hit_rates.min():.0%} to "
      f"{hit_rates.max():.0%}, mean {hit_rates.mean():.0%}")
print(f"refit: {featurizer.cache_stats().hits} frames read, "
      f"{featurizer.cache_stats().misses} computed")
for key, value in search.best_params_.items():
    print(f"best {key.split('__')[-1]}: {value}")
test_f1 = f1_score(y_test, search.predict(X_test), average="macro")
print(f"best pipeline, macro F1 on the test videos: {test_f1:.3f}")

# %%
# Mean validation macro F1 per grid point
# ---------------------------------------
# Error bars are the standard deviation over the three folds.  With about 20
# validation videos per fold, two or three of the smallest class, differences smaller
# than the bars are not meaningful.

labels = [f"hidden {p['resbilstmclassifier__hidden_size']}\n"
          f"class_weight={p['resbilstmclassifier__class_weight']}"
          for p in results["params"]]
n_points = len(labels)
best = search.best_index_
fig, ax = plt.subplots(figsize=(6.8, 3.6))
colors = ["#aec7e8"] * n_points
colors[best] = "#1f77b4"
ax.bar(range(n_points), results["mean_test_f1_macro"],
       yerr=results["std_test_f1_macro"], capsize=4, color=colors)
ax.set_xticks(range(n_points), labels, fontsize=8)
ax.set_ylim(0, 1.05)
ax.set_ylabel("mean validation macro F1")
ax.set_title("GridSearchCV over the ResBiLSTM (best in dark blue)")
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache_dir)
