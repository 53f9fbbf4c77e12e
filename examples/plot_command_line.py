"""
=====================================================
Your videos from the command line: fit, predict, plot
=====================================================

Three commands and no Python: write a class-per-folder tree of videos, train the
paper's pipeline on it and save the model, then classify new videos and follow the
label along a long video.  Each ``shell(...)`` call below runs
``skvideo_imb.cli.main``, the function behind the ``skvideo-imb`` command that is
installed with the package, with exactly the arguments of the shell command in its
comment, in a temporary folder; the output is what the command prints.

In the user guide: :ref:`command-line`, :ref:`sharing`, :ref:`cli`.
"""

# %%
# A class-per-folder tree of real video files
# -------------------------------------------
# ``make-data synthetic`` writes the built-in imbalanced data set (40/8/24/6/12 videos
# of five classes) as Motion-JPEG AVI files, one folder per class: the layout
# ``fit`` expects of your own videos.

import os
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skvideo_imb.cli import main

work = Path(tempfile.mkdtemp(prefix="skvideo_imb_cli_"))


def shell(*args):
    """``$ skvideo-imb ARGS...`` run in the folder ``work``, as in a shell there."""
    home = os.getcwd()
    os.chdir(work)
    try:
        return main(list(args))
    finally:
        os.chdir(home)


# $ skvideo-imb make-data synthetic videos/
shell("make-data", "synthetic", "videos")
print(sorted(p.name for p in (work / "videos").iterdir()))

# %%
# Train and save the model
# ------------------------
# ``fit`` holds out 20% of the videos (stratified, before any oversampling), oversamples
# the rest with the paper's spatio-temporal oversampler, extracts InceptionV3 frame
# features and trains the residual bidirectional LSTM.  ``--profile quick`` is the
# method at a size two CPU cores train in about a minute.  The docs are built offline,
# so the backbone is random (``--weights none``, BatchNorm recalibrated on the training
# videos); on your own data keep the default ImageNet weights.

import contextlib  # noqa: E402
import io  # noqa: E402

# $ skvideo-imb fit videos/ --out model.skops --profile quick --weights none
with contextlib.redirect_stderr(io.StringIO()):  # a terminal shows a frames/s bar here
    status = shell("fit", "videos", "--out", "model.skops", "--profile", "quick",
                   "--weights", "none")
print("exit status", status)

# %%
# Beside the model file lie its card (``model.skops.json``: classes, class counts,
# settings, versions, validation scores, training time), the validation report and
# the confusion matrix of the held-out videos (``model.skops.confusion.png``).  The
# card holds the held-out scores of every class; here they are drawn from it.

import json  # noqa: E402

card = json.loads((work / "model.skops.json").read_text())
print({k: card[k] for k in ("classes", "train_class_counts", "train_time_s")})
print("held-out macro F1:", round(card["validation"]["f1_macro"], 3))

per_class = card["validation"]["per_class"]
classes = card["classes"]
x = np.arange(len(classes))
fig, ax = plt.subplots(figsize=(7, 3.6))
for i, score in enumerate(["precision", "recall", "f1-score"]):
    ax.bar(x + (i - 1) * 0.27, [per_class[c][score] for c in classes], 0.27,
           label=score)
support = [int(per_class[c]["support"]) for c in classes]
ax.set_xticks(x, [f"{c}\n({n} video{'s' * (n != 1)})"
                  for c, n in zip(classes, support)])
ax.set_ylim(0, 1.25)
ax.set_yticks(np.linspace(0, 1, 6))
ax.set_ylabel("held-out score")
ax.set_title("Held-out videos, as the card of model.skops reports them")
ax.legend(ncol=3, loc="upper center", frameon=False)
fig.tight_layout()

# %%
# Classify videos
# ---------------
# ``predict`` takes files and folders and prints one row per video: its label and the
# probability of each class.  A video that cannot be read is reported in its row, the
# others are still classified, and the exit status is 1.

(work / "broken.avi").write_bytes(b"RIFF, but not a video")
some = [f"videos/{c}/{c}_000.avi" for c in ("checkerboard", "move_left")]
# $ skvideo-imb predict model.skops videos/checkerboard/checkerboard_000.avi \
#       videos/move_left/move_left_000.avi broken.avi --csv rows.csv
status = shell("predict", "model.skops", *some, "broken.avi", "--csv", "rows.csv")
print("exit status", status)

# %%
# Where in a long video does each class appear?
# ---------------------------------------------
# Three new videos of different classes, 16 frames each, joined into one file stand in
# for a long recording.  ``--window N --stride S`` classifies every window of N frames,
# S frames apart, and prints a timeline in frames and seconds; ``--plot`` draws it to a
# file and ``--json`` writes the same numbers, which we draw below.  The
# model was trained on whole videos of 12-20 frames, each sampled to 8 frames, so the
# window is one video long (16 frames) and the stride half of that: every other window
# holds one class, the ones between straddle a join and hold two.

import cv2  # noqa: E402

from skvideo_imb.datasets import make_synthetic_videos  # noqa: E402

parts, labels = make_synthetic_videos({"move_right": 1, "checkerboard": 1, "darken": 1},
                                      n_frames=(16, 16), random_state=1)
joined = np.concatenate(parts)
print([str(label) for label in labels], "start at frames", [0, 16, 32])

writer = cv2.VideoWriter(str(work / "long.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10,
                         joined.shape[2:0:-1])
for frame in joined:
    writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
writer.release()

# $ skvideo-imb predict model.skops long.avi --window 16 --stride 8 \
#       --plot timeline.png --json timeline.json
shell("predict", "model.skops", "long.avi", "--window", "16", "--stride", "8",
      "--plot", "timeline.png", "--json", "timeline.json")

windows = json.loads((work / "timeline.json").read_text())
centres = [(w["start_frame"] + w["end_frame"]) / 2 for w in windows]
fig, ax = plt.subplots(figsize=(8, 3.4))
for c in classes:
    ax.plot(centres, [w["probabilities"][c] for w in windows], marker="o", label=c)
for start, label in zip([0, 16, 32], labels):
    ax.axvline(start, color="grey", lw=0.8, ls=":")
    ax.text(start + 8, 1.08, f"true: {label}", ha="center", fontsize=9)
ax.set_xlim(0, 48)
ax.set_ylim(0, 1.15)
ax.set_xlabel("frame of long.avi (window centre)")
ax.set_ylabel("probability")
ax.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22),
          frameon=False)
fig.tight_layout()
plt.show()

# %%
# The same from Python
# --------------------
# The model file is an ordinary fitted pipeline:
# :func:`skvideo_imb.load_model` returns it (checking the package versions against the
# card), and :func:`skvideo_imb.predict_timeline` is what ``--window`` runs.

from skvideo_imb import load_model, predict_timeline  # noqa: E402

pipe = load_model(work / "model.skops")
print(pipe.predict([str(work / path) for path in some]))
timeline = predict_timeline(pipe, str(work / "long.avi"), window=16, stride=16)
print([(w.start_frame, w.label) for w in timeline])

# %%
# The temporary folders this example made are removed.
shutil.rmtree(work)
