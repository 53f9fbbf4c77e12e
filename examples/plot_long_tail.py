"""
==========================================
Video oversampling or a long-tail loss?
==========================================

The paper fights class imbalance with data: synthetic copies of the minority videos.
Since 2018 the long-tail literature has mostly changed the *loss* (focal,
class-balanced, LDAM-DRW, balanced softmax, logit adjustment) or the *decision*
(post-hoc logit adjustment) instead.  :class:`~skvideo_imb.ResBiLSTMClassifier` has
all of them as parameters, so the comparison is a loop over settings of one
pipeline.  This example runs it on the synthetic classes at a severe skew (the two
smallest classes keep 4 training videos each) and scores each setting by macro F1 and
balanced accuracy over two seeds of the classifier.

The full study, at three skews and five seeds, is ``skvideo-imb reproduce --study
long-tail``; its results and what they say are in :ref:`long-tail`.
"""

# %%
# Data and one frozen featurizer
# ------------------------------
# ``load_experiment_data("synthetic:severe")`` gives the study's severe skew, split
# 70/30.  The featurizer is fitted once and frozen, with a feature cache, so that every
# setting below reads the same features.

import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator

from skvideo_imb import InceptionFeaturizer, make_video_pipeline
from skvideo_imb.experiments import load_experiment_data
from skvideo_imb.metrics import imbalanced_scores

N_FRAMES = 4
data = load_experiment_data("synthetic:severe", random_state=0)
X_train, y_train = data["X_train"], data["y_train"]
X_test, y_test = data["X_test"], data["y_test"]
print("training videos per class:",
      dict(zip(*np.unique(y_train, return_counts=True))))

cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0).fit(X_train)

# %%
# The settings
# ------------
# Each is a sampler (the paper's video oversampler, or none) and classifier
# parameters.  The count-based losses use the class counts the classifier sees at
# ``fit``: behind the video oversampler those are nearly balanced, which makes them
# nearly plain cross-entropy, so here they run without it.

SETTINGS = {
    "cross-entropy": (None, {}),
    "video oversampling": ("spatiotemporal", {}),
    "focal": (None, {"loss": "focal"}),
    "class-balanced": (None, {"loss": "class_balanced"}),
    "LDAM-DRW": (None, {"loss": "ldam"}),
    "balanced softmax": (None, {"loss": "balanced_softmax"}),
    "post-hoc adjustment": (None, {"posthoc_tau": 1.0}),
    "class-balanced batches": (None, {"sampler": "class_balanced"}),
}


def fit_and_score(sampler, params, seed):
    pipe = make_video_pipeline(
        sampler, n_frames=N_FRAMES, featurizer=FrozenEstimator(featurizer),
        classifier={"hidden_size": 32, "fc_size": 32, "max_epochs": 30,
                    **params},
        random_state=seed)
    pipe.fit(X_train, y_train)
    return imbalanced_scores(y_test, pipe.predict(X_test))


SEEDS = [0, 1]
scores = {name: [fit_and_score(sampler, params, seed) for seed in SEEDS]
          for name, (sampler, params) in SETTINGS.items()}

print(f"{'setting':<24} {'macro F1':>15} {'balanced acc':>15}")
for name, runs in scores.items():
    f1 = [r["f1_macro"] for r in runs]
    bal = [r["balanced_accuracy"] for r in runs]
    print(f"{name:<24} {np.mean(f1):.3f} ± {np.std(f1, ddof=1):.3f}"
          f"   {np.mean(bal):.3f} ± {np.std(bal, ddof=1):.3f}")

# %%
# Macro F1 and balanced accuracy per setting
# ------------------------------------------
# Bars are means over the two seeds, error bars their standard deviation.  One test
# split of about 30 videos, one or two of each of the smallest classes: differences
# within the bars are noise.  Read the study in :ref:`long-tail` for conclusions.

names = list(scores)
position = np.arange(len(names))
fig, ax = plt.subplots(figsize=(7, 4.2))
for offset, (key, label) in zip((-0.2, 0.2), (("f1_macro", "macro F1"),
                                             ("balanced_accuracy",
                                              "balanced accuracy"))):
    values = np.array([[r[key] for r in scores[n]] for n in names])
    ax.barh(position + offset, values.mean(axis=1), 0.4,
            xerr=values.std(axis=1, ddof=1), capsize=3, label=label)
ax.set_yticks(position, names)
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel(f"mean ± sd over {len(SEEDS)} seeds")
ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache_dir)
