"""The on-disk feature cache: reuse across calls and processes, corruption, concurrency."""

import os
import pickle
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import _children
from _videos import write_video
from skvideo_imb import Clip
from skvideo_imb.features import InceptionFeaturizer
from skvideo_imb.features._cache import FeatureCache, key_digest
from skvideo_imb.sampling import Augmentation

N_FRAMES = 3


@pytest.fixture(scope="module")
def videos(make_videos):
    return make_videos(n=5, seed=1)


@pytest.fixture(scope="module")
def expected(fitted, videos):
    return fitted.transform(videos)


class ForwardCounter:
    """Counts the frames that go through the network, whatever the engine (not the
    all-zero rows that pad a cached transform's last batch to the batch size)."""

    def __init__(self):
        self.frames = 0
        self.original = InceptionFeaturizer._forward

    def __enter__(self):
        def counting(featurizer, frames):
            self.frames += int(frames.flatten(1).any(1).sum())
            return self.original(featurizer, frames)
        InceptionFeaturizer._forward = counting
        return self

    def __exit__(self, *exc):
        InceptionFeaturizer._forward = self.original


def feature_files(root):
    return sorted(Path(root).rglob("*.feat"))


def test_second_transform_computes_only_new_frames(fitted, videos, expected, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    with ForwardCounter() as counter:
        first = featurizer.transform(videos[:3])
    assert (*featurizer.cache_stats(), counter.frames) == (0, 9, 9)
    np.testing.assert_array_equal(first, expected[:3])

    with ForwardCounter() as counter:   # overlapping folds: 1, 2 seen
        second = featurizer.transform(videos[1:])
    assert (*featurizer.cache_stats(), counter.frames) == (6, 6, 6)
    np.testing.assert_array_equal(second, expected[1:])
    assert len(feature_files(tmp_path)) == 15
    assert not list(Path(tmp_path).rglob(".tmp-*"))
    (description,) = Path(tmp_path).glob("*/model.json")
    assert "inception_v3-75px-" in description.parent.name

    restored = pickle.loads(pickle.dumps(featurizer))   # as in another process
    with ForwardCounter() as counter:
        again = restored.transform(videos)
    assert (*restored.cache_stats(), counter.frames) == (15, 0, 0)
    np.testing.assert_array_equal(again, expected)


def test_key_covers_augmentation_and_network_setting(fitted, videos, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:1])
    clip = Clip(videos[0], (0, 3, 6), Augmentation(brightness=1.2))
    featurizer.transform([clip])
    assert featurizer.cache_stats().misses == 3
    featurizer.transform([Clip(videos[0], (0, 3, 6), Augmentation(brightness=1.2))])
    assert featurizer.cache_stats().hits == 3
    other = twin(fitted, cache=tmp_path)
    other.precision_ = "fp32" if fitted.precision_ != "fp32" else "bf16"
    other.transform(videos[:1])
    assert other.cache_stats() == (0, 3)
    assert len(list(Path(tmp_path).glob("*/model.json"))) == 2


def test_array_videos_are_keyed_by_content(fitted, videos, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:2])
    spliced = np.concatenate([videos[1][:4], videos[2][4:]])   # frames 1, 3 of video 1
    featurizer.transform([videos[0].copy(), spliced])
    assert featurizer.cache_stats() == (5, 1)


@pytest.fixture
def decoded_counts(monkeypatch):
    """Frame counts from decoding only, as without PyAV: the counts the cache stores."""
    from skvideo_imb.io import _disk, _reader
    monkeypatch.setattr(_disk, "seek_index", lambda path, key=None: None)
    monkeypatch.setattr(_reader, "seek_index", lambda path, key=None: None)


def test_video_files_keyed_by_identity_and_counts_remembered(fitted, tmp_path, make_videos, twin,
                                                            decoded_counts):
    frames = make_videos(1, t=8, size=48, seed=4)[0]
    path = write_video(tmp_path / "v.avi", frames, "MJPG")
    featurizer = twin(fitted, cache=tmp_path / "cache")
    first = featurizer.transform([path])
    assert list((tmp_path / "cache" / "counts").rglob("*.count"))
    featurizer.transform([path])
    assert featurizer.cache_stats() == (3, 0)
    write_video(path, frames[::-1], "MJPG")              # the file changes
    os.utime(path, ns=(1, 1))
    second = featurizer.transform([path])
    assert featurizer.cache_stats().misses == 3
    assert not np.array_equal(first, second)


def test_cached_lazy_clips_of_files_decode_nothing(fitted, tmp_path, make_videos, twin,
                                                  monkeypatch, decoded_counts):
    """A fresh process (empty in-memory count memo) serving cached clips of a file."""
    from skvideo_imb.io import _disk
    frames = make_videos(1, t=8, size=48, seed=5)[0]
    path = write_video(tmp_path / "v.avi", frames, "MJPG")
    clips = [Clip(path, n_frames=N_FRAMES, seed=k) for k in range(3)]  # lazy
    featurizer = twin(fitted, cache=tmp_path / "cache")
    first = featurizer.transform(clips)
    _disk.forget_counts()
    monkeypatch.setattr(_disk, "_open_capture", lambda p: pytest.fail("decoded " + p))
    np.testing.assert_array_equal(featurizer.transform(clips), first)
    assert featurizer.cache_stats().misses == 0


def test_fit_reads_frame_counts_from_the_cache(tmp_path, make_videos, monkeypatch,
                                               decoded_counts):
    """Recalibrating BatchNorm (weights=None) plans lazy clips of files: a fresh process
    takes their frame counts from the cache instead of decoding every file to its end."""
    from skvideo_imb.io import _disk
    paths = [write_video(tmp_path / f"v{k}.avi", frames, "MJPG")
             for k, frames in enumerate(make_videos(2, t=8, size=48, seed=7))]
    clips = [Clip(path, n_frames=2, seed=0) for path in paths]
    params = dict(n_frames=2, weights=None, backbone="mobilenet_v3_small", image_size=32,
                  engine="torch", cache=str(tmp_path / "cache"), random_state=0)
    _disk.forget_counts()
    first = InceptionFeaturizer(**params).fit(clips)
    _disk.forget_counts()                              # a fresh process
    counted = []
    real = _disk.count_decoded
    monkeypatch.setattr(_disk, "count_decoded", lambda path, *a, **k: (
        counted.append(path), real(path, *a, **k))[1])
    again = InceptionFeaturizer(**params).fit(clips)
    assert counted == []
    assert again.model_digest_ == first.model_digest_  # the same frames recalibrated


def test_corrupt_entries_are_recomputed_never_returned(fitted, videos, expected, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:2])
    files = feature_files(tmp_path)
    assert len(files) == 6
    truncated, flipped, swapped, swapped_from = files[0], files[1], files[2], files[3]
    truncated.write_bytes(truncated.read_bytes()[:100])
    data = bytearray(flipped.read_bytes())
    data[-5] ^= 0xFF                                   # one bit pattern in the payload
    flipped.write_bytes(bytes(data))
    swapped.write_bytes(swapped_from.read_bytes())     # a valid entry under another key
    with pytest.warns(RuntimeWarning, match="3 corrupt feature-cache entries"):
        out = featurizer.transform(videos[:2])
    np.testing.assert_array_equal(out, expected[:2])
    assert featurizer.cache_stats() == (3, 3)
    featurizer.transform(videos[:2])                   # rewritten: all valid again
    assert featurizer.cache_stats() == (6, 0)


def test_feature_cache_checks_what_it_reads(tmp_path):
    cache = FeatureCache(tmp_path, "m", n_features=4)
    digest = key_digest("frame", 1)
    assert cache.get(digest) is None and cache.n_corrupt == 0     # absent
    cache.put(digest, np.arange(4, dtype=np.float32))
    np.testing.assert_array_equal(cache.get(digest), [0, 1, 2, 3])
    wrong_width = FeatureCache(tmp_path, "m", n_features=5)
    assert wrong_width.get(digest) is None and wrong_width.n_corrupt == 1
    cache.put(digest, np.array([0, np.nan, 0, 0], dtype=np.float32))
    assert cache.get(digest) is None and cache.n_corrupt == 1


CHILD = textwrap.dedent("""
    import os, pickle, sys, time
    import numpy as np
    from skvideo_imb.features import _cache

    def wait_for(path):
        deadline = time.time() + 60
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.01)
        assert os.path.exists(path), "the other process never arrived"

    # The race, made certain: each process holds its first written entry in a temporary
    # file until the other process holds one too, then both rename over the same keys.
    real_replace, state = os.replace, {"first": True}

    def replace(src, dst):
        if state["first"] and dst.endswith(".feat"):
            state["first"] = False
            open(sys.argv[3] + ".writing", "w").close()
            wait_for(sys.argv[4] + ".writing")
        real_replace(src, dst)

    if sys.argv[5] == "race":
        _cache.os.replace = replace
        _cache.FeatureCache.claim = lambda self, digest: True  # no coordination
    else:  # coordinated: start together, then let the claims decide who computes
        open(sys.argv[3] + ".writing", "w").close()
        wait_for(sys.argv[4] + ".writing")
    featurizer = pickle.load(open(sys.argv[1], "rb"))
    X = np.load(sys.argv[2])
    featurizer._get_model()                     # rebuild before the race starts
    out = featurizer.transform(X)
    np.save(sys.argv[3], out)
    print(*featurizer.cache_stats())
""")


def _two_processes(fitted, videos, tmp_path, twin, mode):
    cache = tmp_path / "cache"
    model_file, data_file = tmp_path / "featurizer.pkl", tmp_path / "X.npy"
    model_file.write_bytes(pickle.dumps(twin(fitted, cache=str(cache))))
    np.save(data_file, videos)
    outs = [str(tmp_path / f"out{k}.npy") for k in range(2)]
    children = [_children.start(CHILD, [model_file, data_file, outs[k], outs[1 - k], mode],
                                {"OMP_NUM_THREADS": "1"}) for k in range(2)]
    counts = []
    for child in children:
        stdout, stderr = child.communicate(timeout=180)
        assert child.returncode == 0, stderr
        counts.append(tuple(map(int, stdout.split())))
    return cache, outs, counts


@pytest.mark.slow
def test_two_processes_compute_each_frame_once(fitted, videos, expected, tmp_path, twin):
    """Concurrent transforms of the same videos: the claims share the work."""
    cache, outs, counts = _two_processes(fitted, videos, tmp_path, twin, "coordinated")
    for out in outs:
        np.testing.assert_array_equal(np.load(out), expected)
    assert sum(misses for _, misses in counts) == 15     # every distinct frame once
    assert all(hits + misses == 15 for hits, misses in counts)
    assert not list(cache.rglob("*.claim")) and not list(cache.rglob(".tmp-*"))


@pytest.mark.slow
def test_two_processes_write_the_same_keys(fitted, videos, expected, tmp_path, twin):
    """Without claims, both write every key: the atomic writes keep every entry whole."""
    cache, outs, counts = _two_processes(fitted, videos, tmp_path, twin, "race")
    for hits, misses in counts:
        assert hits + misses == 15
        # batch_size=4: both looked up samples 0 and 1 (6 frames) before either wrote
        assert misses >= 6
    for out in outs:
        np.testing.assert_array_equal(np.load(out), expected)
    assert not list(cache.rglob(".tmp-*"))
    reader = twin(fitted, cache=str(cache))
    np.testing.assert_array_equal(reader.transform(videos), expected)
    assert reader.cache_stats() == (15, 0)


# ---------------------------------------------------------------- damaged counts

def _count_files(root):
    return sorted(Path(root).rglob("*.count"))


def test_a_damaged_frame_count_is_detected_warned_and_recomputed(fitted, tmp_path,
                                                                 make_videos, twin,
                                                                 decoded_counts):
    from skvideo_imb.io import _disk
    frames = make_videos(1, t=8, size=48, seed=6)[0]
    path = write_video(tmp_path / "v.avi", frames, "MJPG")
    featurizer = twin(fitted, cache=tmp_path / "cache")
    clips = [Clip(path, n_frames=N_FRAMES, seed=k) for k in range(3)]
    expected = featurizer.transform(clips)
    (count_file,) = _count_files(tmp_path / "cache")
    data = bytearray(count_file.read_bytes())
    data[28] ^= 0x01                          # 8 frames become 9: a plausible count
    count_file.write_bytes(bytes(data))
    _disk.forget_counts()               # a fresh process: only the disk knows
    with pytest.warns(RuntimeWarning, match=r"1 corrupt feature-cache entries \(1 of them "
                                            r"frame counts\)"):
        again = featurizer.transform(clips)
    np.testing.assert_array_equal(again, expected)
    assert featurizer.cache_stats().misses == 0       # the vectors themselves were fine
    _disk.forget_counts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # rewritten: valid again
        featurizer.transform(clips)


# ---------------------------------------------------------------- failing writes

def _failing_writes(monkeypatch, error):
    from skvideo_imb.features import _cache
    calls = []

    def fail(path, data):
        calls.append(path)
        raise error
    monkeypatch.setattr(_cache, "_atomic_write", fail)
    return calls


@pytest.mark.parametrize("error", [
    OSError(28, "No space left on device"),
    PermissionError(13, "Permission denied"),
    OSError(30, "Read-only file system"),
])
def test_a_cache_that_cannot_be_written_still_gives_every_feature(
        fitted, videos, expected, tmp_path, twin, monkeypatch, error):
    featurizer = twin(fitted, cache=tmp_path / "cache")
    calls = _failing_writes(monkeypatch, error)
    with pytest.warns(RuntimeWarning) as record:
        out = featurizer.transform(videos)
    np.testing.assert_array_equal(out, expected)
    messages = [str(w.message) for w in record if "could not be written" in str(w.message)]
    assert len(messages) == 1                  # once per call
    assert str(tmp_path / "cache") in messages[0] and error.strerror in messages[0]
    assert len(calls) == 1                     # it stopped trying after the first failure


def test_an_entry_that_is_a_folder_is_recomputed_and_the_write_degrades(
        fitted, videos, expected, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:1])
    entry = feature_files(tmp_path)[0]
    entry.unlink()
    entry.mkdir()                              # a folder where an entry should be
    with pytest.warns(RuntimeWarning) as record:
        out = featurizer.transform(videos[:1])
    np.testing.assert_array_equal(out, expected[:1])
    text = " ".join(str(w.message) for w in record)
    assert "1 corrupt feature-cache entries" in text and "could not be written" in text


def test_a_cache_path_that_cannot_be_a_folder_is_an_error_at_fit(videos, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for path in (blocker, blocker / "below"):
        with pytest.raises(ValueError, match="cache=.* (exists and is not a folder|cannot be "
                                             "created as a folder)"):
            InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                cache=str(path)).fit(videos[:1])


def test_stale_temporary_files_are_removed_when_the_cache_opens(fitted, videos, tmp_path,
                                                               twin):
    from skvideo_imb.features import _cache
    shard = tmp_path / "cache" / "counts" / "ab"
    shard.mkdir(parents=True)
    stale, fresh = shard / ".tmp-old.part", shard / ".tmp-new.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    _cache._CLEANED.discard(str(tmp_path / "cache"))
    twin(fitted, cache=tmp_path / "cache").transform(videos[:1])
    assert not stale.exists() and fresh.exists()   # a writer may still own the fresh one


KILLED_CHILD = textwrap.dedent("""
    import os, pickle, signal, sys
    import numpy as np
    from skvideo_imb.features import _cache
    real_replace, written = os.replace, []

    def replace(src, dst):
        real_replace(src, dst)
        written.append(dst)
        if len(written) == 5:                   # mid-transform, right after a write
            os.kill(os.getpid(), signal.SIGKILL)

    _cache.os.replace = replace
    featurizer = pickle.load(open(sys.argv[1], "rb"))
    featurizer.transform(np.load(sys.argv[2]))
""")


@pytest.mark.slow
def test_a_transform_killed_mid_way_resumes_to_the_clean_result(fitted, videos, expected,
                                                               tmp_path, twin):
    cache = tmp_path / "cache"
    model_file, data_file = tmp_path / "featurizer.pkl", tmp_path / "X.npy"
    model_file.write_bytes(pickle.dumps(twin(fitted, cache=str(cache))))
    np.save(data_file, videos)
    child = _children.start(KILLED_CHILD, [model_file, data_file], {"OMP_NUM_THREADS": "1"})
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == -9, stderr
    saved = len(feature_files(cache))
    assert 0 < saved < 15                               # it died part-way
    resumed = twin(fitted, cache=str(cache))
    np.testing.assert_array_equal(resumed.transform(videos), expected)
    assert resumed.cache_stats() == (saved, 15 - saved)


def test_cache_files_follow_the_umask_so_a_group_can_share_them(fitted, videos, tmp_path,
                                                                twin):
    old = os.umask(0o002)
    try:
        twin(fitted, cache=tmp_path / "cache").transform(videos[:1])
    finally:
        os.umask(old)
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert any(p.suffix == ".feat" for p in files)
    assert {p.stat().st_mode & 0o777 for p in files} == {0o664}


def test_a_cache_path_that_became_a_file_is_named_not_counted_as_corrupt(
        fitted, videos, expected, tmp_path, twin):
    path = tmp_path / "cache"
    featurizer = twin(fitted, cache=str(path))
    path.write_bytes(b"someone put a file here")
    with pytest.warns(RuntimeWarning, match="exists and is not a folder.*runs without a "
                                            "feature cache") as caught:
        out = featurizer.transform(videos)
    np.testing.assert_array_equal(out, expected)
    assert not [w for w in caught if "corrupt" in str(w.message)]


def test_a_transform_that_fails_leaves_no_lease_and_no_temporary_file(
        fitted, videos, tmp_path, twin, monkeypatch):
    featurizer = twin(fitted, cache=str(tmp_path))
    calls = []
    real = InceptionFeaturizer._forward

    def failing(self, frames):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("out of memory, say")
        return real(self, frames)
    monkeypatch.setattr(InceptionFeaturizer, "_forward", failing)
    with pytest.raises(RuntimeError, match="out of memory"):
        featurizer.transform(videos)
    assert len(feature_files(tmp_path)) == 4            # the first batch was written
    assert not list(tmp_path.rglob("*.claim")) and not list(tmp_path.rglob(".tmp-*"))


def test_a_dead_writers_temporary_file_is_removed_at_once(fitted, videos, tmp_path, twin):
    from skvideo_imb.features import _cache
    from skvideo_imb.features._claims import temporary_name
    shard = tmp_path / "cache" / "counts" / "ab"
    shard.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parts = Path(temporary_name(str(shard))).name.split("-")
    parts[2] = str(dead.pid)
    left = shard / "-".join(parts)
    left.write_bytes(b"half a record")
    _cache._CLEANED.discard(str(tmp_path / "cache"))
    twin(fitted, cache=tmp_path / "cache").transform(videos[:1])
    assert not left.exists()


def test_a_pipe_or_a_link_in_place_of_a_record_reads_as_corrupt(tmp_path):
    cache = FeatureCache(tmp_path, "setting", 4)
    digest = key_digest("frame")
    os.makedirs(os.path.dirname(cache._path(digest)))
    os.mkfifo(cache._path(digest))              # open() for reading would block forever
    assert cache.get(digest) is None and cache.n_corrupt == 1
    other = key_digest("other")
    os.makedirs(os.path.dirname(cache._path(other)), exist_ok=True)
    os.symlink("/dev/zero", cache._path(other))  # a read that would never end
    assert cache.get(other) is None and cache.n_corrupt == 2
