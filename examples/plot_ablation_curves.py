"""
==============================================================
Ablations: LSTM, ResLSTM, BiLSTM and ResBiLSTM learning curves
==============================================================

The paper's Figure 3 compares its temporal model with versions that drop one idea at a
time: a plain two-layer LSTM, the same with residual connections (ResLSTM), with
bidirectional layers (BiLSTM), and with both (ResBiLSTM).  In
:class:`~skvideo_imb.ResBiLSTMClassifier` these are not four classes but three
parameters, ``num_layers``, ``bidirectional`` and ``residual``.  This example trains
the four on the same oversampled videos, over three seeds, and draws the mean and
spread of their loss and accuracy on held-out videos after every epoch.

In the user guide: :ref:`method`, :ref:`report`.
"""

# %%
# Data and one shared featurizer
# ------------------------------
# The built-in synthetic videos.  As in the paper, the small classes are oversampled
# with :class:`~skvideo_imb.SpatioTemporalOverSampler` and the loss is class-weighted.
# The four models see the same features: one featurizer, fitted once and frozen, with
# a feature cache, so the CNN runs for the first model only.

import shutil
import tempfile

import matplotlib.pyplot as plt
from sklearn.frozen import FrozenEstimator

from skvideo_imb import InceptionFeaturizer, make_video_pipeline
from skvideo_imb.datasets import make_synthetic_videos

N_FRAMES = 6

X, y = make_synthetic_videos(random_state=0)
cache_dir = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(
    n_frames=N_FRAMES, weights=None, image_size=75, batch_size=64,
    cache=cache_dir, random_state=0)
featurizer.fit(X)  # recalibrates BatchNorm on the frames (labels are not used)

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
# Validation on videos held out before oversampling
# -------------------------------------------------
# skorch can hold out part of the classifier's input with ``train_split``, but in this
# pipeline that input is the *oversampled* clips: copies of one source video would land
# on both sides of the split, and the curves would measure memorisation.  So we hold
# out 20% of the videos first, featurize them once (evenly spaced frames, no
# augmentation), and let a small skorch callback score them after every epoch, writing
# ``valid_loss`` and ``valid_acc`` into the classifier's history.  This is also how
# ``skvideo-imb reproduce`` draws its Figure 3.

import numpy as np
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback


class HeldOutVideos(Callback):
    """Loss and accuracy on held-out videos, recorded after every epoch."""

    def __init__(self, F_valid, y_valid):
        self.F_valid, self.y_valid = F_valid, y_valid

    def on_epoch_end(self, net, **kwargs):
        proba = net.predict_proba(self.F_valid)
        predicted = net.classes_[np.argmax(proba, axis=1)]
        net.history.record(
            "valid_loss", log_loss(self.y_valid, proba, labels=net.classes_))
        net.history.record("valid_acc", accuracy_score(self.y_valid, predicted))


# %%
# Three seeds
# -----------
# One run says little on 18 held-out videos, so every architecture is trained once per
# seed; a seed decides the held-out videos, the oversampler's clips and the network's
# initialisation.


common = {"num_layers": 2, "hidden_size": 32, "fc_size": 32,
          "max_epochs": 40, "class_weight": "balanced"}
SEEDS = (0, 1, 2)
curves = {name: {"valid_loss": [], "valid_acc": []} for name in ablations}
for seed in SEEDS:
    X_fit, X_valid, y_fit, y_valid = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed)
    F_valid = featurizer.transform(X_valid)
    for name, architecture in ablations.items():
        pipe = make_video_pipeline(
            n_frames=N_FRAMES,
            featurizer=FrozenEstimator(featurizer),
            classifier={**common, **architecture,
                        "callbacks": [("held_out", HeldOutVideos(F_valid, y_valid))]},
            random_state=seed,   # the oversampler's clips and the network's init
        )
        pipe.fit(X_fit, y_fit)
        history = pipe[-1].history_
        for key in curves[name]:
            curves[name][key].append(history[:, key])

for name, curve in curves.items():
    loss = np.array(curve["valid_loss"])
    print(f"{name:>9s}: final validation loss {loss[:, -1].mean():.3f} "
          f"± {loss[:, -1].std(ddof=1):.3f}, lowest {loss.min(axis=1).mean():.3f} "
          f"(mean over {len(SEEDS)} seeds)")

# %%
# Validation curves
# -----------------
# Each line is the mean over the three seeds — each seed its own held-out videos, its
# own oversampled clips and its own initialisation — and the band one standard
# deviation around it.  The held-out part is 18 videos, so one video moves the accuracy
# by five or six points: read the shapes of the curves and the width of the bands, not
# small gaps.  The classifier uses its default readout, each direction's final state
# (see :ref:`readout`).  The paper draws the same curves on UCF101.

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, curve in curves.items():
    for ax, key in ((ax_loss, "valid_loss"), (ax_acc, "valid_acc")):
        values = np.array(curve[key])
        mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
        epochs = np.arange(1, len(mean) + 1)
        line, = ax.plot(epochs, mean, label=name)
        ax.fill_between(epochs, mean - sd, mean + sd, color=line.get_color(),
                        alpha=0.15, linewidth=0)
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("validation loss")
ax_acc.set_xlabel("epoch")
ax_acc.set_ylabel("validation accuracy")
ax_acc.set_ylim(0, 1.02)
ax_acc.legend(loc="lower right", frameon=False)
fig.suptitle(f"The paper's Figure 3, in small: mean ± sd over {len(SEEDS)} seeds")
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache_dir)
