"""The on-disk feature cache: reuse across calls and processes, corruption, concurrency."""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

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
    """Counts the frames that go through the network."""

    def __init__(self, model):
        self.frames = 0
        self.handle = model.register_forward_hook(self)

    def __call__(self, module, args, output):
        self.frames += args[0].shape[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.remove()


def feature_files(root):
    return sorted(Path(root).rglob("*.feat"))


def test_second_transform_computes_only_new_frames(fitted, videos, expected, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    with ForwardCounter(fitted._model) as counter:
        first = featurizer.transform(videos[:3])
    assert (featurizer.cache_hits_, featurizer.cache_misses_, counter.frames) == (0, 9, 9)
    np.testing.assert_array_equal(first, expected[:3])

    with ForwardCounter(fitted._model) as counter:   # overlapping folds: 1, 2 seen
        second = featurizer.transform(videos[1:])
    assert (featurizer.cache_hits_, featurizer.cache_misses_, counter.frames) == (6, 6, 6)
    np.testing.assert_array_equal(second, expected[1:])
    assert len(feature_files(tmp_path)) == 15
    assert not list(Path(tmp_path).rglob(".tmp-*"))
    (description,) = Path(tmp_path).glob("*/model.json")
    assert "inception_v3-75px-" in description.parent.name

    restored = pickle.loads(pickle.dumps(featurizer))   # as in another process
    with ForwardCounter(restored._get_model()) as counter:
        again = restored.transform(videos)
    assert (restored.cache_hits_, restored.cache_misses_, counter.frames) == (15, 0, 0)
    np.testing.assert_array_equal(again, expected)


def test_key_covers_augmentation_and_network_setting(fitted, videos, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:1])
    clip = Clip(videos[0], (0, 3, 6), Augmentation(brightness=1.2))
    featurizer.transform([clip])
    assert featurizer.cache_misses_ == 3
    featurizer.transform([Clip(videos[0], (0, 3, 6), Augmentation(brightness=1.2))])
    assert featurizer.cache_hits_ == 3
    other = twin(fitted, cache=tmp_path)
    other.precision_ = "fp32" if fitted.precision_ != "fp32" else "bf16"
    other.transform(videos[:1])
    assert (other.cache_hits_, other.cache_misses_) == (0, 3)
    assert len(list(Path(tmp_path).glob("*/model.json"))) == 2


def test_array_videos_are_keyed_by_content(fitted, videos, tmp_path, twin):
    featurizer = twin(fitted, cache=tmp_path)
    featurizer.transform(videos[:2])
    spliced = np.concatenate([videos[1][:4], videos[2][4:]])   # frames 1, 3 of video 1
    featurizer.transform([videos[0].copy(), spliced])
    assert (featurizer.cache_hits_, featurizer.cache_misses_) == (5, 1)


def test_video_files_keyed_by_identity_and_counts_remembered(fitted, tmp_path, make_videos, twin):
    frames = make_videos(1, t=8, size=48, seed=4)[0]
    path = write_video(tmp_path / "v.avi", frames, "MJPG")
    featurizer = twin(fitted, cache=tmp_path / "cache")
    first = featurizer.transform([path])
    assert list((tmp_path / "cache" / "counts").rglob("*.count"))
    featurizer.transform([path])
    assert (featurizer.cache_hits_, featurizer.cache_misses_) == (3, 0)
    write_video(path, frames[::-1], "MJPG")              # the file changes
    os.utime(path, ns=(1, 1))
    second = featurizer.transform([path])
    assert featurizer.cache_misses_ == 3
    assert not np.array_equal(first, second)


def test_cached_lazy_clips_of_files_decode_nothing(fitted, tmp_path, make_videos, twin,
                                                  monkeypatch):
    """A fresh process (empty in-memory count memo) serving cached clips of a file."""
    from skvideo_imb.io import _reader
    frames = make_videos(1, t=8, size=48, seed=5)[0]
    path = write_video(tmp_path / "v.avi", frames, "MJPG")
    clips = [Clip(path, n_frames=N_FRAMES, seed=k) for k in range(3)]  # lazy
    featurizer = twin(fitted, cache=tmp_path / "cache")
    first = featurizer.transform(clips)
    _reader._COUNT_CACHE.clear()
    monkeypatch.setattr(_reader, "_open_capture", lambda p: pytest.fail("decoded " + p))
    np.testing.assert_array_equal(featurizer.transform(clips), first)
    assert featurizer.cache_misses_ == 0


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
    assert (featurizer.cache_hits_, featurizer.cache_misses_) == (3, 3)
    featurizer.transform(videos[:2])                   # rewritten: all valid again
    assert (featurizer.cache_hits_, featurizer.cache_misses_) == (6, 0)


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

    _cache.os.replace = replace
    featurizer = pickle.load(open(sys.argv[1], "rb"))
    X = np.load(sys.argv[2])
    featurizer._get_model()                     # rebuild before the race starts
    out = featurizer.transform(X)
    np.save(sys.argv[3], out)
    print(featurizer.cache_hits_, featurizer.cache_misses_)
""")


@pytest.mark.slow
def test_two_processes_write_the_same_keys(fitted, videos, expected, tmp_path, twin):
    cache = tmp_path / "cache"
    model_file, data_file = tmp_path / "featurizer.pkl", tmp_path / "X.npy"
    model_file.write_bytes(pickle.dumps(twin(fitted, cache=str(cache))))
    np.save(data_file, videos)
    outs = [str(tmp_path / f"out{k}.npy") for k in range(2)]
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    children = [subprocess.Popen([sys.executable, str(script), str(model_file), str(data_file),
                                  outs[k], outs[1 - k]], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for k in range(2)]
    for child in children:
        stdout, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr
        hits, misses = map(int, stdout.split())
        assert hits + misses == 15
        # batch_size=4: both looked up samples 0 and 1 (6 frames) before either wrote
        assert misses >= 6
    for out in outs:
        np.testing.assert_array_equal(np.load(out), expected)
    assert not list(cache.rglob(".tmp-*"))
    reader = twin(fitted, cache=str(cache))
    np.testing.assert_array_equal(reader.transform(videos), expected)
    assert (reader.cache_hits_, reader.cache_misses_) == (15, 0)
