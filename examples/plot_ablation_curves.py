"""
==============================================================
Ablations: LSTM, ResLSTM, BiLSTM and ResBiLSTM learning curves
==============================================================

The paper's Figure 3 compares its temporal model with versions that drop one idea at a
time: a plain two-layer LSTM, the same with residual connections (ResLSTM), with
bidirectional layers (BiLSTM), and with both (ResBiLSTM).  In
:class:`~skvideo_imb.ResBiLSTMClassifier` these are not four classes but three
parameters, ``num_layers``, ``bidirectional`` and ``residual``.  This example trains
the four with a held-out validation split and draws the validation loss and accuracy
after every epoch.
"""

# %%
# Data and one shared featurizer
# ------------------------------
# The built-in synthetic videos.  As in the paper, the small classes are oversampled
# with :class:`~skvideo_imb.SpatioTemporalOverSampler` and the loss is class-weighted.
# The four models see the same features: one featurizer, fitted once and frozen, with
# a feature cache, so the CNN runs for the first model only.

import tempfile

import matplotlib.pyplot as plt
from sklearn.frozen import FrozenEstimator
from skorch.dataset import ValidSplit

from skvideo_imb import InceptionFeaturizer, make_video_pipeline
from skvideo_imb.datasets import make_synthetic_videos

N_FRAMES = 6

X, y = make_synthetic_videos(random_state=0)
cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0)
featurizer.fit(X)

# %%
# Four architectures, three parameters
# ------------------------------------
# Each is a two-layer network; only the LSTM layers change.

ablations = {
    "LSTM": {"bidirectional": False, "residual": False},
    "ResLSTM": {"bidirectional": False, "residual": True},
    "BiLSTM": {"bidirectional": True, "residual": False},
    "ResBiLSTM": {"bidirectional": True, "residual": True},
}

# %%
# A validation split inside ``fit``
# ---------------------------------
# By default the classifier trains on all the data it is given, as a scikit-learn
# estimator should.  skorch's ``train_split`` holds part of it out and scores it after
# every epoch; :class:`skorch.dataset.ValidSplit` with ``stratified=True`` keeps the
# class proportions.  The classifier's ``history_`` then has ``valid_loss`` and
# ``valid_acc`` per epoch.  (``valid_acc`` compares predictions with the *encoded*
# targets ``0 .. n_classes - 1`` that skorch sees internally; the classifier's default
# callback does this right, a custom one must do the same, see
# :class:`~skvideo_imb.ResBiLSTMClassifier`'s notes.)
#
# The split is made by the classifier, so it happens *after* oversampling: validation
# data are 20% of the resampled clips, and some of them are synthetic copies of videos
# whose other copies are in the training part.  The curves compare the architectures'
# training behaviour; they are not a held-out estimate of accuracy on new videos (for
# that, split the videos before the pipeline, as in the other examples).

split = ValidSplit(0.2, stratified=True, random_state=0)
common = {"num_layers": 2, "hidden_size": 32, "fc_size": 32,
          "max_epochs": 60, "class_weight": "balanced",
          "train_split": split}
histories = {}
for name, architecture in ablations.items():
    pipe = make_video_pipeline(
        n_frames=N_FRAMES,
        featurizer=FrozenEstimator(featurizer),
        classifier={**common, **architecture},
        random_state=0,
    )
    pipe.fit(X, y)
    history = pipe[-1].history_
    histories[name] = history
    best = min(history, key=lambda row: row["valid_loss"])
    last = history[-1]
    print(f"{name:>9s}: last epoch loss {last['valid_loss']:.3f}, "
          f"accuracy {last['valid_acc']:.3f}; "
          f"lowest loss at epoch {best['epoch']}")

# %%
# Validation curves
# -----------------
# Every model starts from the same seed and sees the same batches.  In this run the
# residual models' validation loss falls fastest in the first epochs, ResBiLSTM's most
# of all, and the plain LSTM learns slowest and then overfits: its loss climbs again in
# the second half.  Validation accuracy levels off near 0.8 for the three variants with
# a residual or bidirectional layer.  The validation part is a few dozen clips, so one
# clip moves the accuracy by two or three points: read the shapes of the curves, not
# the small gaps between them.  The paper draws the same curves on UCF101.

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, history in histories.items():
    epochs = history[:, "epoch"]
    ax_loss.plot(epochs, history[:, "valid_loss"], label=name)
    ax_acc.plot(epochs, history[:, "valid_acc"], label=name)
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("validation loss")
ax_acc.set_xlabel("epoch")
ax_acc.set_ylabel("validation accuracy")
ax_acc.set_ylim(0, 1.02)
ax_acc.legend(loc="lower right", frameon=False)
fig.suptitle("The paper's Figure 3, in small")
fig.tight_layout()
plt.show()
