"""
==========================================
Spatio-temporal oversampling of videos
==========================================

The paper's answer to class imbalance is to make new training videos for the small
classes out of the ones they have: each synthetic video takes a different random
subset of the source's frames (*RandDown*: one random frame in each of ``n_frames``
equal windows) and moves, rotates, shears and re-lights all of them in the same random
way (*RandAug*).  :class:`~skvideo_imb.SpatioTemporalOverSampler` does this as an
imbalanced-learn sampler.  This example shows the class counts it produces and draws a
source video beside two of its synthetic copies.

In the user guide: :ref:`method`, :ref:`replication`, :ref:`videos`.
"""

# %%
# An imbalanced set of videos
# ---------------------------
# :func:`~skvideo_imb.datasets.make_synthetic_videos` makes small RGB videos in five
# classes, 40 of the largest and 6 of the smallest.

import os
import tempfile
from collections import Counter

import matplotlib.pyplot as plt

from skvideo_imb import SpatioTemporalOverSampler, to_frames
from skvideo_imb.datasets import make_synthetic_videos

X, y = make_synthetic_videos(n_frames=(16, 24), frame_size=(64, 64), random_state=0)
print("videos per class:", dict(Counter(y.tolist())))

# %%
# Resampling
# ----------
# With the default ``replication="paper"`` every video of class j yields
# ``ceil(δ / n_j)`` synthetic clips, δ being the size of the largest class, so the
# small classes end at δ or a little above.  ``replication="exact"`` hits δ exactly.
# Nothing is decoded or copied here: the output is a list of
# :class:`~skvideo_imb.Clip` records (which video, which frames, which augmentation).

sampler = SpatioTemporalOverSampler(n_frames=8, random_state=0)
X_res, y_res = sampler.fit_resample(X, y)
print("paper mode:", dict(Counter(y_res.tolist())))

exact = SpatioTemporalOverSampler(n_frames=8, replication="exact", random_state=0)
print("exact mode:", dict(Counter(exact.fit_resample(X, y)[1].tolist())))
print(X_res[-1])

# %%
# A source video and two synthetic copies
# ---------------------------------------
# ``sample_indices_`` tells which input video each clip comes from.  We take the first
# ``"move_left"`` video (a bright square crossing the frame from right to left) and
# two of its clips.  :func:`~skvideo_imb.to_frames` turns a clip into pixels, the same
# pixels every time.  Each copy has its own frames and its own augmentation, but keeps
# the motion that defines the class.

source = list(y).index("move_left")
copies = [clip for clip, src in zip(X_res, sampler.sample_indices_)
          if src == source][:2]

rows = [("source\n(evenly spaced)", to_frames(X[source], n_frames=8))]
for k, clip in enumerate(copies):
    aug = clip.augmentation
    label = (f"copy {k}\nrot {aug.rotation:+.0f}°, shear {aug.shear:+.0f}°\n"
             f"shift ({aug.translate_x:+.2f}, {aug.translate_y:+.2f}), "
             f"light ×{aug.brightness:.2f}")
    rows.append((label, to_frames(clip)))

fig, axes = plt.subplots(len(rows), 8, figsize=(12, 5.4))
for (label, frames), row_axes in zip(rows, axes):
    for ax, frame in zip(row_axes, frames):
        ax.imshow(frame)
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
fig.suptitle("A 'move_left' video and two synthetic copies (8 frames each)")
fig.tight_layout()
path = os.path.join(tempfile.gettempdir(), "skvideo_imb_oversampling.png")
fig.savefig(path, dpi=80)
print("figure saved to", path)

# %%
# The same copies in every fold
# -----------------------------
# With an int ``random_state`` the k-th copy of a video depends only on that video and
# the seed, not on the rest of X.  Resampling a different subset that contains the
# same video gives it the same first copies (how many it gets depends on the class
# sizes), which is what lets a feature cache serve every fold of a cross-validation.

subset = [i for i in range(len(X)) if i % 2 == 0 or i == source]
sub_sampler = SpatioTemporalOverSampler(n_frames=8, random_state=0)
X_sub, _ = sub_sampler.fit_resample([X[i] for i in subset], y[subset])
position = subset.index(source)
first = next(clip for clip, src in zip(X_sub, sub_sampler.sample_indices_)
             if src == position)
print("same first copy in the subset:", first.indices == copies[0].indices
      and first.augmentation == copies[0].augmentation)
