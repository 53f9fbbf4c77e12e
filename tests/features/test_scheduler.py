"""FrameScheduler: de-duplication, batching and cache fills, on hand-made loaded samples."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from skvideo_imb.features._cache import FeatureCache, key_digest
from skvideo_imb.features._claims import process_identity
from skvideo_imb.features._loading import LoadedSample
from skvideo_imb.features._scheduler import FrameScheduler


def frames_of(*values):
    """uint8 frames (k, 3, 1, 1) whose pixel value identifies them."""
    return torch.tensor(values, dtype=torch.uint8).view(-1, 1, 1, 1).expand(-1, 3, 1, 1)


class Network:
    """Feature of a frame = (its pixel value, its value squared); records every batch
    (its real frames: with a cache, all-zero frames pad the last batch)."""

    def __init__(self):
        self.batches = []
        self.padding = 0

    def __call__(self, frames):
        values = frames[:, 0, 0, 0].float()
        self.batches.append([v for v in values.int().tolist() if v != 0])
        self.padding += int((values == 0).sum())
        return torch.stack([values, values ** 2], dim=1).numpy()


class FakeCache:
    """A cache that other processes share: ``elsewhere`` digests are being computed by
    another process, whose vector lands after ``delay`` looks (None: it never does)."""

    folder = "shared"

    def __init__(self, elsewhere=(), delay=2):
        self.stored, self.released = {}, []
        self.elsewhere, self.delay, self.looks = set(elsewhere), delay, 0

    def put(self, digest, vector):
        self.stored[digest] = np.array(vector)

    def claim(self, digest):
        return digest not in self.elsewhere

    def release(self, digest=None):
        self.released.append(digest)

    def get(self, digest, count_corrupt=True):
        self.looks += 1
        if digest in self.elsewhere and self.delay is not None and self.looks > self.delay:
            return np.array([100.0 + VALUES[digest], 0.0], dtype=np.float32)
        return self.stored.get(digest)


def _stale_after(cache, looks):
    """Make all of ``cache``'s foreign claims go stale after ``looks`` lookups (their
    process died)."""
    claim = cache.claim

    def claim_until_stale(digest):
        if cache.looks >= looks:
            cache.elsewhere.clear()
        return claim(digest)
    cache.claim = claim_until_stale


def sample(index, digests, values=None, hits=None, n_corrupt=0):
    """A loaded sample: ``digests`` per position; the first occurrence of each digest
    not in ``hits`` is missing, with pixel value ``values[digest]``."""
    hits = hits or {}
    missing = list(dict.fromkeys(d for d in digests if d not in hits))
    frames = frames_of(*(values[d] for d in missing)) if missing else None
    return LoadedSample(index, list(digests), hits, missing, frames, n_corrupt)


VALUES = {b"a": 1, b"b": 2, b"c": 3, b"d": 4, b"e": 5}


def run(items, n_samples, n_frames, batch_size=2, cache=None, reload=None):
    out = np.full((n_samples, n_frames, 2), np.nan, dtype=np.float32)
    network, filled = Network(), []
    scheduler = FrameScheduler(out, network, batch_size, cache=cache, progress=filled.append,
                               reload=reload, poll=0)
    for item in items:
        scheduler.add(item)
    scheduler.finish()
    return out, network, scheduler, sum(filled)


def test_repeated_frames_are_computed_once_and_copied():
    out, network, scheduler, filled = run(
        [sample(0, [b"a", b"a", b"b"], VALUES), sample(1, [b"b", b"c", b"a"], VALUES)],
        n_samples=2, n_frames=3)
    assert sorted(v for batch in network.batches for v in batch) == [1, 2, 3]
    np.testing.assert_array_equal(out[:, :, 0], [[1, 1, 2], [2, 3, 1]])
    np.testing.assert_array_equal(out[:, :, 1], out[:, :, 0] ** 2)
    assert (scheduler.hits, scheduler.misses, filled) == (0, 3, 6)


def test_batches_are_full_and_mix_samples():
    items = [sample(i, [d], VALUES) for i, d in enumerate([b"a", b"b", b"c", b"d", b"e"])]
    _, network, _, _ = run(items, n_samples=5, n_frames=1, batch_size=2)
    assert network.batches == [[1, 2], [3, 4], [5]]
    items = [sample(0, [b"a", b"b", b"c"], VALUES), sample(1, [b"d", b"e", b"a"], VALUES)]
    _, network, _, _ = run(items, n_samples=2, n_frames=3, batch_size=4)
    assert network.batches == [[1, 2, 3, 4], [5]]  # a chunk split across two batches


def test_a_frame_waiting_for_a_queued_batch_is_filled_by_it():
    # "a" of sample 1 is still queued (batch of 4 not full) when sample 1 arrives
    items = [sample(0, [b"a"], VALUES), sample(1, [b"b", b"a"], VALUES)]
    out, network, scheduler, filled = run(items, n_samples=2, n_frames=2, batch_size=4)
    assert network.batches == [[1, 2]]
    assert out[1, 1, 0] == 1 and scheduler.misses == 2 and filled == 3


def test_cache_hits_skip_the_network_and_misses_fill_the_cache():
    cache = FakeCache()
    cached = {b"a": np.array([10.0, 100.0], dtype=np.float32)}
    items = [sample(0, [b"a", b"b"], VALUES, hits=cached),
             sample(1, [b"a", b"c"], VALUES, hits=cached, n_corrupt=1)]
    out, network, scheduler, filled = run(items, n_samples=2, n_frames=2, cache=cache)
    assert network.batches == [[2, 3]]
    np.testing.assert_array_equal(out[:, 0], [[10, 100], [10, 100]])
    assert set(cache.stored) == {b"b", b"c"}
    np.testing.assert_array_equal(cache.stored[b"c"], [3, 9])
    assert (scheduler.hits, scheduler.misses, scheduler.corrupt, filled) == (1, 2, 1, 4)


def test_every_position_is_filled():
    rng = np.random.RandomState(0)
    digests = [bytes([c]) for c in b"abcde"]
    values = {d: i + 1 for i, d in enumerate(digests)}
    items = [sample(i, [digests[j] for j in rng.randint(0, 5, 4)], values) for i in range(6)]
    for batch_size in (1, 3, 100):
        out, network, scheduler, filled = run(items, 6, 4, batch_size=batch_size)
        assert not np.isnan(out).any() and filled == 24
        expected = [[values[d] for d in item.digests] for item in items]
        np.testing.assert_array_equal(out[:, :, 0], expected)
        assert scheduler.misses == len({d for item in items for d in item.digests})
        assert all(len(b) == batch_size for b in network.batches[:-1])


@pytest.mark.parametrize("batch_size", [1, 2])
def test_nothing_left_queued_after_finish(batch_size):
    out, network, _, _ = run([sample(0, [b"a", b"b", b"c"], VALUES)], 1, 3, batch_size)
    assert sum(len(b) for b in network.batches) == 3


def test_frames_another_process_computes_are_waited_for_not_computed():
    cache = FakeCache(elsewhere={b"b"}, delay=3)
    items = [sample(0, [b"a", b"b"], VALUES), sample(1, [b"b", b"c"], VALUES)]
    out, network, scheduler, filled = run(items, n_samples=2, n_frames=2, cache=cache)
    assert sorted(v for batch in network.batches for v in batch) == [1, 3]   # not "b"
    np.testing.assert_array_equal(out[:, :, 0], [[1, 102], [102, 3]])
    assert (scheduler.hits, scheduler.misses, scheduler.deferred, filled) == (1, 2, 1, 4)
    assert set(cache.stored) == {b"a", b"c"} and b"a" in cache.released


def test_a_frame_whose_process_died_is_computed_here():
    cache = FakeCache(elsewhere={b"b"}, delay=None)      # its vector never arrives
    items = [sample(0, [b"a", b"b"], VALUES)]
    reloaded = []
    _stale_after(cache, 3)
    out, network, scheduler, filled = run(
        items, n_samples=1, n_frames=2, cache=cache,
        reload=lambda index: reloaded.append(index) or items[index])
    assert reloaded == [0]
    np.testing.assert_array_equal(out[0, :, 0], [1, 2])
    assert network.batches == [[1], [2]]
    assert b"b" in cache.stored
    assert (scheduler.hits, scheduler.misses, scheduler.deferred, filled) == (0, 2, 1, 2)


def test_frames_of_a_dead_process_are_reloaded_once_per_sample_and_batched():
    cache = FakeCache(elsewhere={b"b", b"c", b"d"}, delay=None)
    _stale_after(cache, 2)             # in the first look after this process's own work
    items = [sample(0, [b"a", b"b", b"c"], VALUES), sample(1, [b"d", b"a"], VALUES)]
    reloaded = []
    out, network, scheduler, filled = run(
        items, n_samples=2, n_frames=3, batch_size=4, cache=cache,
        reload=lambda index: reloaded.append(index) or items[index])
    assert sorted(reloaded) == [0, 1]                  # each sample loaded once more
    assert network.batches == [[1], [2, 3, 4]]         # the three in one batch
    np.testing.assert_array_equal(out[0, :, 0], [1, 2, 3])
    np.testing.assert_array_equal(out[1, :2, 0], [4, 1])
    assert (scheduler.misses, scheduler.deferred, filled) == (4, 3, 5)


def test_a_frame_written_after_its_claim_went_stale_is_read_not_computed():
    cache = FakeCache(elsewhere={b"b"}, delay=None)
    _stale_after(cache, 2)
    cached = {b"b": np.array([7.0, 49.0], dtype=np.float32)}
    items = [sample(0, [b"a", b"b"], VALUES)]
    late = sample(0, [b"a", b"b"], VALUES, hits=cached)  # what a reload finds now
    out, network, scheduler, filled = run(items, n_samples=1, n_frames=2, cache=cache,
                                          reload=lambda index: late)
    np.testing.assert_array_equal(out[0, :, 0], [1, 7])
    assert network.batches == [[1]] and b"b" in cache.released
    assert (scheduler.hits, scheduler.misses, filled) == (1, 1, 2)


def test_with_a_cache_the_last_batch_is_padded_to_the_batch_size():
    """A vector in a shared cache must not depend on the batch that computed it."""
    items = [sample(i, [d], VALUES) for i, d in enumerate([b"a", b"b", b"c"])]
    _, network, _, _ = run(items, n_samples=3, n_frames=1, batch_size=2, cache=FakeCache())
    assert network.batches == [[1, 2], [3]] and network.padding == 1
    _, network, _, _ = run(items, n_samples=3, n_frames=1, batch_size=2)
    assert network.batches == [[1, 2], [3]] and network.padding == 0  # no cache: none


def test_a_wait_for_another_process_ends_at_its_deadline():
    cache = FakeCache(elsewhere={b"b"}, delay=None)      # never arrives, never stale
    items = [sample(0, [b"a", b"b"], VALUES)]
    out = np.full((1, 2, 2), np.nan, dtype=np.float32)
    network = Network()
    scheduler = FrameScheduler(out, network, 2, cache=cache, reload=lambda i: items[i],
                               poll=0.01, wait_s=0.3)
    scheduler.add(items[0])
    start = time.monotonic()
    with pytest.warns(RuntimeWarning, match="1 frames that other processes hold leases on "
                                            "under 'shared' did not appear within 0s"):
        scheduler.finish()
    assert 0.3 <= time.monotonic() - start < 2
    np.testing.assert_array_equal(out[0, :, 0], [1, 2])
    assert (scheduler.overdue, scheduler.misses) == (1, 2)


# ---------------------------------------------------------------- the real cache and leases

def _lease_of(cache, digest, owner, age_s=0.0):
    """Write another process's lease on ``digest`` into ``cache``, renewed ``age_s`` ago."""
    path = cache.leases.path(digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({**owner, "token": "theirs"}, f)
    when = time.time() - age_s
    os.utime(path, (when, when))


def _dead_process_here():
    """The identity of a process of this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return {**process_identity(), "pid": child.pid}


ELSEWHERE = {"host": "another-machine", "boot": "x", "pidns": 1, "pid": 1, "start": 1}


def test_real_leases_of_dead_or_silent_owners_are_taken_over(tmp_path):
    """FeatureCache and Leases themselves: a lease whose owner died on this host, and one
    not renewed for an hour on another host, are taken over and their frames computed."""
    cache = FeatureCache(tmp_path, "net", 2)
    a, b, c = (key_digest(name) for name in "abc")
    values = {a: 1, b: 2, c: 3}
    _lease_of(cache, b, _dead_process_here())
    _lease_of(cache, c, ELSEWHERE, age_s=3600)
    out, network, scheduler, filled = run([sample(0, [a, b, c], values)], 1, 3, cache=cache)
    assert sorted(v for batch in network.batches for v in batch) == [1, 2, 3]
    assert cache.leases.taken_over == 2 and scheduler.deferred == 0
    np.testing.assert_array_equal(out[0, :, 0], [1, 2, 3])
    np.testing.assert_array_equal(cache.get(c), [3, 9])  # written for the next process
    cache.release()
    assert not list(tmp_path.rglob("*.claim"))


def test_a_real_live_lease_is_waited_for_until_it_goes_stale(tmp_path):
    """A live lease defers the frame; once its owner stops renewing it past the lease
    time, this process takes it over, reloads the sample and computes the frame."""
    cache = FeatureCache(tmp_path, "net", 2)
    cache.leases.lease_s = 0.5
    a, b = key_digest("a"), key_digest("b")
    items = [sample(0, [a, b], {a: 1, b: 2})]
    _lease_of(cache, b, ELSEWHERE)                      # renewed just now
    reloaded = []
    out, network, scheduler, filled = run(
        items, n_samples=1, n_frames=2, cache=cache,
        reload=lambda index: reloaded.append(index) or items[index])
    assert scheduler.deferred == 1 and reloaded == [0]
    assert cache.leases.taken_over == 1
    assert network.batches == [[1], [2]]
    np.testing.assert_array_equal(out[0, :, 0], [1, 2])
    cache.release()
    assert not list(tmp_path.rglob("*.claim"))
