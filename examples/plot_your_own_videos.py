"""
========================================
Bringing your own videos (and UCF101)
========================================

Real data usually arrives as files on disk, one folder per class.  This
example builds such a folder — with synthetic videos, so it runs anywhere —
loads it with :func:`~skvideo_imb.datasets.load_video_folder`, looks at a few
frames, fits the paper's pipeline on the file paths, and ends with the code for
the imbalanced UCF101 protocol, which runs only when the data set is on disk.

Nothing here is specific to synthetic data: point ``root`` at your own folder
and the rest of the script is unchanged.

In the user guide: :ref:`videos`, :ref:`ucf101`.
"""

# %%
# A class-per-folder tree
# -----------------------
# :func:`~skvideo_imb.datasets.make_synthetic_videos` can write its videos to disk in
# the layout ``root/<class>/<video>``.  We write two classes as AVI files and one as
# folders of PNG frames (both are valid videos), with a deliberate imbalance, and
# drop a stray text file that the loader should ignore.

import os
import shutil
import tempfile
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from skvideo_imb import to_frames
from skvideo_imb.datasets import (load_video_folder,
                                  make_synthetic_videos)
from skvideo_imb.io import count_frames

root = tempfile.mkdtemp(prefix="my_videos_")
size_kw = dict(n_frames=(14, 24), frame_size=(48, 48))
make_synthetic_videos({"brighten": 10, "darken": 4}, **size_kw,
                      directory=root, video_format="avi")
make_synthetic_videos({"checkerboard": 5}, **size_kw, random_state=1,
                      directory=root, video_format="frames")
with open(os.path.join(root, "checkerboard", "README.txt"), "w") as f:
    f.write("not a video: ignored by load_video_folder\n")

for class_name in sorted(os.listdir(root)):
    entries = sorted(os.listdir(os.path.join(root, class_name)))
    print(f"{class_name + '/':14s}", ", ".join(entries[:3]), "...")

# %%
# Loading it
# ----------
# The loader only lists files: nothing is decoded yet.  It returns a
# :class:`~sklearn.utils.Bunch` with the paths, their labels (the folder names) and
# the class names.  ``return_X_y=True`` returns just ``(videos, target)``.

data = load_video_folder(root)
X, y = data.videos, data.target
print(f"{len(X)} videos, classes {data.target_names.tolist()}")
print("per class:", dict(Counter(y.tolist())))
print("first:", os.path.relpath(X[0], root))

# %%
# Videos differ in length; :func:`~skvideo_imb.io.count_frames` decodes to count them
# (container headers are not trusted).  :func:`~skvideo_imb.to_frames` reads a video
# as RGB ``uint8`` and, given ``n_frames``, picks that many evenly spaced frames — the
# selection the featurizer makes at prediction time.

lengths = [count_frames(video) for video in X]
print("frames per video: min", min(lengths), "max", max(lengths))

n_show = 6
examples = [X[list(y).index(name)] for name in data.target_names]
fig, axes = plt.subplots(len(examples), n_show,
                         figsize=(1.6 * n_show, 1.8 * len(examples)))
for row, (video, name) in enumerate(zip(examples, data.target_names)):
    frames = to_frames(video, n_frames=n_show)
    for col, frame in enumerate(frames):
        ax = axes[row, col]
        ax.imshow(frame)
        ax.set_xticks([])
        ax.set_yticks([])
        if col == 0:
            ax.set_ylabel(name, fontsize=10)
fig.suptitle("Six evenly spaced frames of one video per class")
fig.tight_layout()

# %%
# Fitting the pipeline on paths
# -----------------------------
# The pipeline takes the list of paths as ``X``.  The oversampler turns them into
# lazy clips (no pixels), the featurizer decodes only the frames it needs.  To keep
# the example fast on a CPU we use few frames, small images, a randomly initialised
# backbone (``weights=None``: no download) and a small LSTM; for real work use the
# defaults (``weights="DEFAULT"``, the paper's sizes) and a GPU if you have one.

from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

from skvideo_imb import make_video_pipeline

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

cache_dir = tempfile.mkdtemp(prefix="feature_cache_")
pipe = make_video_pipeline(
    n_frames=6,
    featurizer={"weights": None, "image_size": 75,
                "cache": cache_dir},
    classifier={"hidden_size": 32, "fc_size": 32, "max_epochs": 30},
    random_state=0,
)
pipe.fit(X_train, y_train)
y_pred = pipe.predict(X_test)
print(classification_report(y_test, y_pred, zero_division=0))

# %%
# With random backbone weights and a dozen training videos the scores mean little;
# the point is that paths, frame folders and in-memory arrays all go through the same
# pipeline.  The feature cache in ``cache_dir`` makes a second fit on the same
# videos skip the CNN.
#
# The imbalanced UCF101 protocol
# ------------------------------
# The paper makes UCF101's training set imbalanced by letting each class keep a
# random number of its videos between 10 and all of them.
# :func:`~skvideo_imb.datasets.make_imbalanced_subset` implements that rule for any
# labelled list of videos.  We can see its effect without the data set, on a stand-in
# list of 101 classes with UCF101-like sizes (file names only, nothing is read):

from skvideo_imb.datasets import make_imbalanced_subset

rng = np.random.RandomState(0)
# UCF101's split 1 has about 70-121 training videos per class.
sizes = rng.randint(70, 122, size=101)
fake_labels = np.repeat([f"class{c:03d}" for c in range(101)], sizes)
fake_videos = [f"{label}/v{i:05d}.avi"
               for i, label in enumerate(fake_labels)]
kept, kept_labels = make_imbalanced_subset(fake_videos, fake_labels,
                                           random_state=0)

before = np.sort(sizes)[::-1]
after = np.sort(list(Counter(kept_labels).values()))[::-1]
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.bar(np.arange(101), before, color="#c7c7c7", label="balanced")
ax.bar(np.arange(101), after, color="#1f77b4", label="imbalanced")
ax.axhline(10, color="k", lw=0.8, ls="--")
ax.set_xlabel("classes (each set sorted by size)")
ax.set_ylabel("training videos")
ax.set_title("Class sizes before and after the imbalance protocol")
ax.legend(frameon=False)
fig.tight_layout()
print(f"{len(fake_videos)} videos -> {len(kept)}; "
      f"class sizes {after.min()} to {after.max()}")

# %%
# With UCF101 on disk (``UCF-101/`` and ``ucfTrainTestlist/`` unpacked into one
# folder), the same protocol is one argument of
# :func:`~skvideo_imb.datasets.load_ucf101`.  Set the environment variable
# ``UCF101_ROOT`` to that folder to run this cell; the documentation build skips it.
# It fits the paper's full-size pipeline, which needs the ImageNet weights and, in
# practice, a GPU.

ucf101_root = os.environ.get("UCF101_ROOT")
if ucf101_root and os.path.isdir(os.path.join(ucf101_root, "UCF-101")):
    from sklearn.metrics import f1_score

    from skvideo_imb.datasets import load_ucf101

    ucf = load_ucf101(ucf101_root, split=1, imbalanced=True,
                      random_state=0)
    train, test = ucf.train, ucf.test
    print(len(train.videos), "training videos,", len(test.videos), "test")
    cache = os.path.expanduser("~/.cache/skvideo_imb")
    paper_pipe = make_video_pipeline(n_frames=40, random_state=0,
                                     featurizer={"cache": cache})
    paper_pipe.fit(train.videos, train.target)
    predicted = paper_pipe.predict(test.videos)
    f1 = f1_score(test.target, predicted, average="macro")
    print(f"macro F1: {f1:.3f}")
else:
    print("UCF101_ROOT not set (or no UCF-101/ in it): UCF101 skipped.")

# %%
# The temporary folders this example made are removed.
shutil.rmtree(root)
shutil.rmtree(cache_dir)
