"""GridSearchCV over the full pipeline on a Dask LocalCluster: same scores, frames once,
a killed worker survived.

The featurizer loads a fixed local weights file, so every fold runs the same network and
shares the feature cache; ``JournalFeaturizer`` (tests/_workers.py) journals, per worker
process, how many frames its network computed.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from _workers import JournalFeaturizer, journal  # noqa: E402
from skvideo_imb import ResBiLSTMClassifier, SpatioTemporalOverSampler  # noqa: E402
from skvideo_imb._runtime import (WORKER_MALLOC_ENVIRON, WORKER_THREADS_ENVIRON,  # noqa: E402
                                  dask_worker_config)
from skvideo_imb.datasets import make_synthetic_videos  # noqa: E402

N_FRAMES = 3
SIZES = {"brighten": 6, "darken": 3, "move_right": 5, "move_left": 3, "checkerboard": 4}
GRID = {"resbilstmclassifier__hidden_size": [4, 8]}
SCORES = ("mean_test_score", "split0_test_score", "split1_test_score")


@pytest.fixture(scope="module")
def data():
    return make_synthetic_videos(SIZES, n_frames=(5, 7), random_state=0)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "mobilenet.pth"
    torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), path)
    return str(path)


def _search(weights, cache, n_jobs):
    pipe = make_pipeline(
        SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0),
        # the small MobileNet on the videos' own 32 px: what is tested is the cluster
        # (scores, shared cache, a killed worker), not the network (InceptionV3 at 75 px
        # cost this module three times as much)
        JournalFeaturizer(n_frames=N_FRAMES, backbone="mobilenet_v3_small", weights=weights,
                          image_size=32, cache=str(cache)),
        ResBiLSTMClassifier(n_frames=N_FRAMES, fc_size=8, max_epochs=3, random_state=0))
    return GridSearchCV(pipe, GRID, cv=StratifiedKFold(2, shuffle=True, random_state=0),
                        scoring="f1_macro", n_jobs=n_jobs)


@pytest.fixture(scope="module")
def reference(data, weights, tmp_path_factory):
    """The search in this process (n_jobs=1)."""
    X, y = data
    return _search(weights, tmp_path_factory.mktemp("cache"), n_jobs=1).fit(X, y)


@pytest.fixture(scope="module")
def client():
    import dask
    # Neither Dask's own pre-spawn environment (which also sets OMP_NUM_THREADS=1) nor
    # this process's thread settings (`make test` gives each test worker its share of
    # the cores), which the workers would inherit: their environment must be what
    # dask_worker_config gives them.
    inherited = {k: os.environ.pop(k) for k in WORKER_THREADS_ENVIRON if k in os.environ}
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": {}}), \
                dask.config.set(dask_worker_config()):
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                               processes=True, dashboard_address=None)
    finally:
        os.environ.update(inherited)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_workers_start_with_malloc_thresholds_that_keep_torch_fast(client):
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 halved the LSTM's speed in its workers, and a
    thread per core in every worker would oversubscribe the cores."""
    expected = {k: str(v) for k, v in {**WORKER_MALLOC_ENVIRON,
                                       **WORKER_THREADS_ENVIRON}.items()}
    environs = client.run(lambda: {k: os.environ.get(k) for k in expected})
    assert len(environs) == 2
    for environ in environs.values():
        assert environ == expected
    if len(os.sched_getaffinity(0)) == 1:  # a new process has one thread anyway
        pytest.skip("one core: torch runs one thread per process anyway")
    # the torch threads of a worker follow its budget (1 thread each), not the cores
    assert set(client.run(torch.get_num_threads).values()) == {1}


def _same_results(search, reference):
    for key in SCORES:
        np.testing.assert_allclose(search.cv_results_[key], reference.cv_results_[key],
                                   rtol=0, atol=1e-6)
    assert search.best_params_ == reference.best_params_


@pytest.mark.slow
def test_search_on_a_local_cluster_scores_like_one_process(data, weights, reference, client,
                                                           tmp_path):
    X, y = data
    cache = tmp_path / "cache"
    with joblib.parallel_backend("dask"):
        search = _search(weights, cache, n_jobs=-1).fit(X, y)
    _same_results(search, reference)
    computed = journal(cache)
    workers = set(client.run(os.getpid).values())
    assert set(computed) <= workers | {os.getpid()} and len(set(computed) & workers) >= 1
    # every distinct frame once, across both workers: as many computed as cached
    n_entries = sum(1 for _ in cache.rglob("*.feat"))
    assert sum(computed.values()) == n_entries > 0


@pytest.mark.slow
def test_a_worker_killed_mid_search_does_not_lose_the_search(data, weights, reference,
                                                             client, tmp_path):
    X, y = data
    cache = tmp_path / "cache"
    victims = list(client.run(os.getpid).values())
    outcome = {}

    def run():
        try:
            # the data goes to every worker: joblib would otherwise put it on one, and
            # lose it with that worker (FutureCancelledError)
            with joblib.parallel_backend("dask", scatter=[X, y]):
                outcome["search"] = _search(weights, cache, n_jobs=-1).fit(X, y)
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 120
    while not journal(cache) and time.time() < deadline:   # a worker is computing
        time.sleep(0.05)
    busy = [pid for pid in journal(cache) if pid in victims]
    assert busy, "no worker started computing"
    os.kill(busy[0], signal.SIGKILL)
    thread.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    _same_results(outcome["search"], reference)
    # the dead worker was replaced, and what it had cached was reused: at most its batch
    # in flight (32 frames) was computed twice
    client.wait_for_workers(2, timeout=60)
    assert busy[0] not in set(client.run(os.getpid).values())
    n_entries = sum(1 for _ in cache.rglob("*.feat"))
    assert n_entries <= sum(journal(cache).values()) <= n_entries + 32
    assert not list(cache.rglob("*.claim"))
