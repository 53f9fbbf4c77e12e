"""
===========================================
A grid search on a Dask cluster, one cache
===========================================

The same ``GridSearchCV`` as on a laptop, run on a Dask cluster: here a
``LocalCluster`` of two worker processes on this machine; on GPUs a
``dask_cuda.LocalCUDACluster``; on many machines a ``Client("tcp://...")``.  Nothing in
the pipeline changes.  The workers share one feature cache, claim each frame before
computing it, and the search scores exactly as it does in one process.

In the user guide: :ref:`scaling`, :ref:`caching`.
"""

# %%
# Data, a frozen featurizer and a cache folder
# --------------------------------------------
# The featurizer is fitted once and frozen, so that every fit of the search runs the
# same network and reads the same cache entries (see the caching guide).

import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skvideo_imb import (InceptionFeaturizer, ResBiLSTMClassifier,
                         SpatioTemporalOverSampler)
from skvideo_imb.datasets import make_synthetic_videos

X, y = make_synthetic_videos(random_state=0)
cache = tempfile.mkdtemp(prefix="skvideo_imb_features_")
featurizer = InceptionFeaturizer(n_frames=6, weights=None, image_size=75, cache=cache,
                                 random_state=0).fit(X)
pipe = make_pipeline(
    SpatioTemporalOverSampler(n_frames=6, random_state=0),
    FrozenEstimator(featurizer),
    ResBiLSTMClassifier(n_frames=6, fc_size=32, max_epochs=20, random_state=0),
)
grid = {"resbilstmclassifier__hidden_size": [16, 32],
        "resbilstmclassifier__class_weight": [None, "balanced"]}


def make_search(n_jobs):
    return GridSearchCV(pipe, grid, scoring="f1_macro", n_jobs=n_jobs,
                        cv=StratifiedKFold(2, shuffle=True, random_state=0))


# %%
# The search on a local cluster
# -----------------------------
# ``joblib.parallel_backend("dask")`` sends every fit to the cluster;
# ``scatter=[X, y]`` puts the data on every worker, so that losing one worker loses no
# data.  Each worker gets one thread (two workers on this two-core machine).

import dask
import joblib
from distributed import Client, LocalCluster

# Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and
# unmap every large tensor buffer and halved PyTorch's training speed in the workers
# (benchmarks/search_scaling.py); these thresholds keep the workers as fast as a
# plain process.
dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**27,
                 "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 2**25})

with LocalCluster(n_workers=2, threads_per_worker=1,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    with joblib.parallel_backend("dask", scatter=[X, y]):
        on_cluster = make_search(n_jobs=-1).fit(X, y)
    print("workers:", len(client.scheduler_info()["workers"]))

n_entries = sum(1 for _ in Path(cache).rglob("*.feat"))
print(f"frames computed by the network, all workers together: {n_entries}")
print("best:", on_cluster.best_params_, f"macro F1 {on_cluster.best_score_:.3f}")

# %%
# The same search in one process
# ------------------------------
# The cache is warm now, so this run reads every frame; the scores are the same.

in_process = make_search(n_jobs=None).fit(X, y)
same = np.allclose(in_process.cv_results_["mean_test_score"],
                   on_cluster.cv_results_["mean_test_score"], rtol=0, atol=1e-6)
print("same scores as on the cluster:", same)

# %%
# Scores per grid point
# ---------------------

labels = [f"{p['resbilstmclassifier__hidden_size']}, "
          f"{p['resbilstmclassifier__class_weight']}"
          for p in on_cluster.cv_results_["params"]]
x = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(6.4, 3.4))
ax.bar(x - 0.2, on_cluster.cv_results_["mean_test_score"], 0.4, label="Dask cluster")
ax.bar(x + 0.2, in_process.cv_results_["mean_test_score"], 0.4, label="one process")
ax.set_xticks(x, labels)
ax.set_xlabel("hidden size, class weight")
ax.set_ylabel("mean validation macro F1")
ax.set_ylim(0, 1)
# Above the axes: inside, the legend would cover the bars (the scores reach 0.9).
ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
fig.tight_layout()
plt.show()

# %%
# The temporary folders this example made are removed.
shutil.rmtree(cache)
