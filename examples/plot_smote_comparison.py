"""
=============================================================
Video oversampling vs SMOTE, ADASYN and no resampling
=============================================================

:func:`~skvideo_imb.make_video_pipeline` takes the oversampler as its first argument,
so comparing the paper's video-space oversampling with imbalanced-learn's
feature-space samplers is a one-line swap.  The difference is where the new samples
come from: :class:`~skvideo_imb.SpatioTemporalOverSampler` makes new *videos* (other
frames, a random spatial augmentation) before the CNN sees them, while
:class:`~imblearn.over_sampling.SMOTE` and :class:`~imblearn.over_sampling.ADASYN`
interpolate between the CNN features of existing videos, after the featurizer.

To keep this quick the CNN runs once: one fitted
:class:`~skvideo_imb.InceptionFeaturizer` with an on-disk feature cache is shared by
every pipeline, wrapped in :class:`sklearn.frozen.FrozenEstimator` so that fitting a
pipeline does not refit it.  This is how ``skvideo-imb reproduce`` builds the rows of
its report.

In the user guide: :ref:`method`, :ref:`report`.
"""

# %%
# Data and one shared featurizer
# ------------------------------
# A stratified 70/30 split of the built-in synthetic data (90 videos, five classes,
# from 40 videos down to 6).  The featurizer is fitted once on the training videos;
# with ``weights=None`` that means a randomly initialised InceptionV3 whose BatchNorm
# statistics are recalibrated on training frames.  Its ``cache`` folder keeps the
# feature vector of every frame it computes, keyed by the frame's pixels and
# augmentation, so a frame that several pipelines need is computed only once.

import shutil
import tempfile
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from skvideo_imb import InceptionFeaturizer, make_video_pipeline
from skvideo_imb.datasets import make_synthetic_videos

N_FRAMES = 8

X, y = make_synthetic_videos(random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)
print("training videos per class:", sorted(Counter(y_train).values()))

cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0)
featurizer.fit(X_train, y_train)

# %%
# Four pipelines, one argument apart
# ----------------------------------
# Only the first argument of :func:`~skvideo_imb.make_video_pipeline` changes.  A
# :class:`~skvideo_imb.SpatioTemporalOverSampler` (``"spatiotemporal"``) is placed
# before the featurizer, any other sampler after it, and ``None`` leaves the data as it
# is.  The smallest training class has 4 videos, so SMOTE and ADASYN look at 3
# neighbours instead of their default 5.
#
# ADASYN generates samples for a minority video in proportion to how many of its
# neighbours belong to *other* classes.  When the classes are well separated in feature
# space, no minority video has a foreign neighbour and ADASYN refuses with "No samples
# will be generated with the provided ratio settings" rather than silently doing
# nothing.  On this split it does generate samples; with other data or another seed
# it may not, so we catch that error and report it instead of a score.

samplers = {
    "video oversampling": "spatiotemporal",
    "SMOTE": SMOTE(k_neighbors=3, random_state=0),
    "ADASYN": ADASYN(n_neighbors=3, random_state=0),
    "no resampling": None,
}
classifier = {"hidden_size": 32, "fc_size": 32, "max_epochs": 40}

scores = {}
for name, sampler in samplers.items():
    pipe = make_video_pipeline(sampler, n_frames=N_FRAMES,
                               featurizer=FrozenEstimator(featurizer),
                               classifier=classifier, random_state=0)
    try:
        pipe.fit(X_train, y_train)
    except (ValueError, RuntimeError) as exc:
        print(f"{name}: not fitted, {type(exc).__name__}: {exc}")
        scores[name] = np.nan
        continue
    y_pred = pipe.predict(X_test)
    scores[name] = f1_score(y_test, y_pred, average="macro",
                            zero_division=0)
    print(f"{name}: {' -> '.join(step for step, _ in pipe.steps)}\n"
          f"    macro F1 {scores[name]:.3f}; test frames: "
          f"{featurizer.cache_stats().hits} from the cache, "
          f"{featurizer.cache_stats().misses} computed")

# %%
# ``featurizer.cache_stats()`` describes the featurizer's last ``transform``,
# here the test videos at ``predict``.  The first pipeline computed their features and
# the other three read them from the cache.  The same goes for the training videos:
# only the video oversampler's synthetic clips (new frames, new augmentations) needed
# the network beyond that.
#
# Macro F1 on the held-out videos
# -------------------------------
# Macro F1 averages the F1 score of every class with the same weight, so the small
# classes count as much as the large ones.  The test set has only 27 videos (two of
# the smallest classes), so differences of a few hundredths are noise; rerun with
# another ``random_state`` before reading much into the order of the bars.

names = list(scores)
values = np.array([scores[name] for name in names])
fig, ax = plt.subplots(figsize=(6.4, 3.4))
colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f"]
bars = ax.barh(names, np.nan_to_num(values), color=colors)
for bar, value in zip(bars, values):
    if np.isnan(value):
        label = "declined (no samples generated)"
    else:
        label = f"{value:.2f}"
    y_middle = bar.get_y() + bar.get_height() / 2
    ax.text(bar.get_width() + 0.01, y_middle, label, va="center",
            fontsize=9)
ax.invert_yaxis()
ax.set_xlim(0, 1.15)
ax.set_xlabel("macro F1 on the test videos")
ax.set_title("The same pipeline with four oversampling choices")
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache_dir)
