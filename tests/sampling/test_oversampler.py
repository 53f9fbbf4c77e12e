"""SpatioTemporalOverSampler: Algorithm 1 of the paper as an imbalanced-learn sampler."""

import os
import pickle
import subprocess
import sys
from collections import Counter
from unittest import mock

import cv2
import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.utils._param_validation import InvalidParameterError

import skvideo_imb.io._disk as disk
import skvideo_imb.io._reader as reader
import skvideo_imb.io._clip as clip_module
import skvideo_imb.io._samples as samples_module
from skvideo_imb import Clip, SpatioTemporalOverSampler, to_frames
from skvideo_imb.io import evenly_spaced_indices, rand_down_indices
from skvideo_imb.sampling import Augmentation
from skvideo_imb.sampling._oversampler import _copy_seeds, _object_array, _video_digest

NO_AUG = dict(rotation_range=0, translation_range=0, shear_range=0, brightness_range=0)


def _selection_rng(seed):
    """The generator Clip's docstring documents for RandDown: RandomState(PCG64(SeedSequence))."""
    return np.random.RandomState(np.random.PCG64(np.random.SeedSequence(seed)))


def make_videos(sizes, seed=0, shape=(6, 8, 8)):
    """A list of small random RGB videos with varying lengths, and their labels."""
    rng = np.random.RandomState(seed)
    videos, y = [], []
    for label, size in enumerate(sizes):
        for _ in range(size):
            n_frames = int(rng.randint(shape[0], 3 * shape[0]))
            videos.append(rng.randint(0, 256, (n_frames,) + shape[1:] + (3,), dtype=np.uint8))
            y.append(label)
    return videos, np.array(y)


def clip_key(clip):
    """What identifies a synthetic clip's content: frame selection and augmentation."""
    return (clip.indices, clip.seed, clip.n_frames, clip.augmentation)


def clips_by_video(X, X_res, sampler):
    """For each input position, the list of its clips' keys in output order."""
    out = {i: [] for i in range(len(X))}
    for clip, src in zip(X_res, sampler.sample_indices_):
        out[int(src)].append(clip_key(clip))
    return out


# --------------------------------------------------------------------------- counts

@pytest.mark.parametrize("keep_original", [False, True])
def test_paper_mode_counts_hand_computed(keep_original):
    X = np.zeros((127, 3, 4, 4, 3), dtype=np.uint8)
    y = np.array([0] * 100 + [1] * 20 + [2] * 7)
    sampler = SpatioTemporalOverSampler(n_frames=2, keep_original=keep_original,
                                        random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 100, 2: 105}  # ceil(100/20)=5, ceil(100/7)=15
    assert len(X_res) == 305 and all(isinstance(c, Clip) for c in X_res)
    synthetic = (0, 4, 14) if keep_original else (1, 5, 15)  # originals count towards totals
    assert sampler.n_copies_.tolist() == ([synthetic[0]] * 100 + [synthetic[1]] * 20
                                          + [synthetic[2]] * 7)
    counts = Counter(sampler.sample_indices_.tolist())
    assert {counts[i] for i in range(100)} == {1}
    assert {counts[i] for i in range(100, 120)} == {5}
    assert {counts[i] for i in range(120, 127)} == {15}


def test_paper_mode_follows_the_strategy_target():
    X = np.zeros((127, 3, 4, 4, 3), dtype=np.uint8)
    y = np.array([0] * 100 + [1] * 20 + [2] * 7)
    # only class 2 over-sampled: the others get one clip per video
    _, y_res = SpatioTemporalOverSampler(sampling_strategy="minority", n_frames=2,
                                         random_state=0).fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 20, 2: 105}
    # a dict target is reached in whole copies per video: ceil(30 / 20) = 2 copies
    _, y_res = SpatioTemporalOverSampler(sampling_strategy={1: 30}, n_frames=2,
                                         random_state=0).fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 40, 2: 7}


@pytest.mark.parametrize("keep_original", [False, True])
def test_exact_mode_counts_and_round_robin(keep_original):
    X = np.zeros((127, 3, 4, 4, 3), dtype=np.uint8)
    y = np.array([0] * 100 + [1] * 20 + [2] * 7)
    sampler = SpatioTemporalOverSampler(replication="exact", keep_original=keep_original,
                                        n_frames=2, random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 100, 2: 100}
    per_video = Counter(sampler.sample_indices_.tolist())
    # class 2: 100 over 7 videos -> 15 each, the first 2 videos one more
    assert [per_video[i] for i in range(120, 127)] == [15, 15, 14, 14, 14, 14, 14]

    sampler.set_params(sampling_strategy={1: 30, 2: 10})
    _, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 30, 2: 10}
    per_video = Counter(sampler.sample_indices_.tolist())
    assert [per_video[i] for i in range(120, 127)] == [2, 2, 2, 1, 1, 1, 1]


@pytest.mark.parametrize("strategy", [
    "auto", "minority", "not minority", "not majority", "all", {1: 40, 2: 9},
    lambda y: {2: 50}])
def test_sampling_strategy_matches_random_over_sampler(strategy):
    y = np.array([0] * 50 + [1] * 20 + [2] * 7)
    X = np.zeros((len(y), 2, 4, 4, 3), dtype=np.uint8)
    ours = SpatioTemporalOverSampler(sampling_strategy=strategy, n_frames=2, random_state=0)
    ours.fit_resample(X, y)
    theirs = RandomOverSampler(sampling_strategy=strategy, random_state=0)
    theirs.fit_resample(np.zeros((len(y), 1)), y)
    assert ours.sampling_strategy_ == theirs.sampling_strategy_


def test_float_strategy_for_binary():
    y = np.array([0] * 20 + [1] * 4)
    X = np.zeros((24, 3, 4, 4, 3), dtype=np.uint8)
    sampler = SpatioTemporalOverSampler(sampling_strategy=0.5, replication="exact",
                                        keep_original=True, n_frames=2, random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert sampler.sampling_strategy_ == {1: 6}
    assert Counter(y_res.tolist()) == {0: 20, 1: 10}


# --------------------------------------------------------------------------- output

def test_output_maps_to_sources_and_keeps_references():
    X, y = make_videos([6, 2])
    sampler = SpatioTemporalOverSampler(n_frames=4, keep_original=True, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, list) and isinstance(y_res, np.ndarray)
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    for clip, src in zip(X_res, sampler.sample_indices_):
        assert clip.video is X[src] and clip.n_frames == 4 and not clip.is_lazy
    # originals first, in the order of X, evenly spaced and not augmented
    assert sampler.sample_indices_[:8].tolist() == list(range(8))
    for clip, video in zip(X_res[:8], X):
        assert clip.augmentation is None
        assert clip.indices == tuple(evenly_spaced_indices(len(video), 4))


def test_five_d_array_is_not_copied():
    X = np.random.RandomState(0).randint(0, 256, (9, 12, 8, 8, 3), dtype=np.uint8)
    y = np.array([0] * 6 + [1] * 3)
    X_res, y_res = SpatioTemporalOverSampler(n_frames=5, random_state=0).fit_resample(X, y)
    assert isinstance(X_res, list) and len(X_res) == 12
    assert all(np.shares_memory(clip.video, X) for clip in X_res)
    assert all(clip.video.base is X or clip.video.base is X.base for clip in X_res)


@pytest.mark.parametrize("container", [list, tuple, _object_array])
def test_containers_of_videos(container):
    X, y = make_videos([4, 2])
    X_res, y_res = SpatioTemporalOverSampler(n_frames=3, random_state=0).fit_resample(
        container(X), y.tolist())
    assert type(X_res) is list and all(isinstance(c, Clip) for c in X_res)
    assert type(y_res) is list and Counter(y_res) == {0: 4, 1: 4}
    assert all(any(c.video is v for v in X) for c in X_res)


def test_string_labels():
    X, _ = make_videos([3, 1])
    y = np.array(["walk", "walk", "walk", "jump"])
    _, y_res = SpatioTemporalOverSampler(n_frames=3, random_state=0).fit_resample(X, y)
    assert Counter(y_res.tolist()) == {"walk": 3, "jump": 3}


@pytest.mark.parametrize("keep_original", [False, True])
def test_materialized_clips_without_augmentation_are_source_frames(keep_original):
    X, y = make_videos([4, 2], shape=(5, 8, 8))
    X[0] = X[0][:3]  # shorter than n_frames: UpSample
    sampler = SpatioTemporalOverSampler(n_frames=5, keep_original=keep_original,
                                        random_state=0, **NO_AUG)
    X_res, _ = sampler.fit_resample(X, y)
    n_originals = len(X) if keep_original else 0
    for j, (clip, src) in enumerate(zip(X_res, sampler.sample_indices_)):
        frames = to_frames(clip)
        assert frames.shape == (5, 8, 8, 3) and frames.dtype == np.uint8
        assert clip.augmentation is None
        video = X[src]
        if j < n_originals:
            expected = evenly_spaced_indices(len(video), 5)
        else:
            expected = rand_down_indices(len(video), 5, _selection_rng(
                _synthetic_seed(sampler, X, src, j, n_originals)))
        assert clip.indices == tuple(expected)
        np.testing.assert_array_equal(frames, video[expected])


def _synthetic_seed(sampler, X, src, j, n_originals):
    """Recompute the selection seed of output clip j from the public derivation."""
    k = sum(1 for s in sampler.sample_indices_[n_originals:j] if s == src)
    return _copy_seeds(sampler.random_state, _video_digest(X[src]), k)[1]


def test_rand_down_picks_one_frame_per_window():
    video = np.arange(40, dtype=np.uint8)[:, None, None, None].repeat(4, 1).repeat(4, 2)
    video = video.repeat(3, 3)
    sampler = SpatioTemporalOverSampler(n_frames=8, random_state=3, **NO_AUG)
    X_res, _ = sampler.fit_resample([video] * 2 + [video[:39]], [0, 0, 1])
    selections = set()
    for clip in X_res:
        assert [i // 5 for i in clip.indices] == list(range(8)) or len(clip.video) == 39
        selections.add(clip.indices)
    assert len(selections) > 1  # different copies pick different frames


def test_augmented_clips_differ_from_source_frames():
    X, y = make_videos([3, 1], shape=(8, 16, 16))
    sampler = SpatioTemporalOverSampler(n_frames=4, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    for clip in X_res:
        assert isinstance(clip.augmentation, Augmentation)
        frames = to_frames(clip)
        assert frames.shape == (4, 16, 16, 3)
        assert not np.array_equal(frames, clip.video[list(clip.indices)])
        np.testing.assert_array_equal(frames, clip.to_frames())  # same pixels twice
    augs = [clip.augmentation for clip in X_res]
    assert len(set(augs)) == len(augs)  # one draw per clip
    for aug in augs:
        assert abs(aug.rotation) <= 10 and abs(aug.shear) <= 10
        assert abs(aug.translate_x) <= 0.1 and 0.8 <= aug.brightness <= 1.2


def test_zero_range_turns_one_transformation_off():
    X, y = make_videos([3, 1])
    sampler = SpatioTemporalOverSampler(n_frames=3, rotation_range=0, shear_range=0,
                                        random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    assert all(c.augmentation.rotation == 0 and c.augmentation.shear == 0 for c in X_res)
    assert any(c.augmentation.brightness != 1 for c in X_res)


# --------------------------------------------------------------------------- randomness

def test_kth_clip_of_a_video_is_the_same_in_any_subset_and_order():
    X, y = make_videos([8, 3, 2])
    sampler = SpatioTemporalOverSampler(n_frames=4, random_state=7)
    # subset A: everything; subset B: a different fold, shuffled, other class sizes
    X_a, y_a = sampler.fit_resample(X, y)
    clips_a = clips_by_video(X, X_a, sampler)
    subset = [12, 3, 9, 0, 11, 5]
    sampler_b = clone(sampler)
    X_b, _ = sampler_b.fit_resample([X[i] for i in subset], y[subset])
    clips_b = clips_by_video([X[i] for i in subset], X_b, sampler_b)
    for pos, i in enumerate(subset):
        a, b = clips_a[i], clips_b[pos]
        n = min(len(a), len(b))
        assert n >= 1 and a[:n] == b[:n]
    # video 12 (class 2) gets ceil(8 / 2) = 4 copies in A, ceil(3 / 2) = 2 in B
    assert (len(clips_a[12]), len(clips_b[0])) == (4, 2)
    # equal content, different array object: same clips (identity is the content)
    X_copy, _ = sampler.fit_resample([x.copy() for x in X], y)
    assert [clip_key(c) for c in X_copy] == [clip_key(c) for c in X_a]
    # another seed: other clips
    X_other, _ = clone(sampler).set_params(random_state=8).fit_resample(X, y)
    assert [clip_key(c) for c in X_other] != [clip_key(c) for c in X_a]


def test_kth_clip_does_not_depend_on_copy_count():
    X, y = make_videos([10, 1])
    few = SpatioTemporalOverSampler(n_frames=3, random_state=0, sampling_strategy={1: 2})
    many = clone(few).set_params(sampling_strategy={1: 10})
    clips_few = clips_by_video(X, few.fit_resample(X, y)[0], few)[10]
    clips_many = clips_by_video(X, many.fit_resample(X, y)[0], many)[10]
    assert len(clips_few) == 2 and len(clips_many) == 10
    assert clips_many[:2] == clips_few


def test_random_state_instance_and_none():
    X, y = make_videos([3, 1])
    for random_state in (None, np.random.RandomState(0)):
        X_res, y_res = SpatioTemporalOverSampler(
            n_frames=3, random_state=random_state).fit_resample(X, y)
        assert len(X_res) == 6
    a = SpatioTemporalOverSampler(n_frames=3, random_state=np.random.RandomState(0))
    b = SpatioTemporalOverSampler(n_frames=3, random_state=np.random.RandomState(0))
    assert ([clip_key(c) for c in a.fit_resample(X, y)[0]]
            == [clip_key(c) for c in b.fit_resample(X, y)[0]])


@pytest.mark.slow
def test_same_clips_in_another_process(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"v{i}.avi"
        path.write_bytes(b"not decoded")
        paths.append(str(path))
    y = [0, 0, 1]
    code = (
        "import sys, pickle\n"
        "from skvideo_imb import SpatioTemporalOverSampler\n"
        "X, _ = SpatioTemporalOverSampler(n_frames=5, random_state=4).fit_resample("
        f"{paths!r}, {y!r})\n"
        "sys.stdout.buffer.write(pickle.dumps([(c.video, c.seed, c.augmentation) "
        "for c in X]))\n")
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env,
                         check=True, cwd=tmp_path).stdout
    X_res, _ = SpatioTemporalOverSampler(n_frames=5, random_state=4).fit_resample(paths, y)
    assert pickle.loads(out) == [(c.video, c.seed, c.augmentation) for c in X_res]


# --------------------------------------------------------------------------- paths

def test_ten_thousand_paths_are_not_decoded(tmp_path):
    # Paths of files that do not exist: only the existence check is stubbed (creating
    # 10,000 files is slow on some file systems); every entry point that decodes a
    # frame or counts frames fails the test if reached.
    paths = [str(tmp_path / f"{i}.avi") for i in range(10_000)]
    y = np.array([0] * 8000 + [1] * 1500 + [2] * 500)
    forbidden = AssertionError("resampling must not decode")
    original_check = samples_module.check_raw_video

    def exists_check(video):
        return video if isinstance(video, str) else original_check(video)

    with mock.patch.object(samples_module, "check_raw_video", exists_check), \
            mock.patch.object(reader, "count_frames", side_effect=forbidden), \
            mock.patch.object(reader, "read_frames", side_effect=forbidden), \
            mock.patch.object(clip_module, "count_frames", side_effect=forbidden), \
            mock.patch.object(clip_module, "read_frames", side_effect=forbidden), \
            mock.patch.object(disk, "_open_capture", side_effect=forbidden), \
            mock.patch.object(disk, "frame_files", side_effect=forbidden):
        X_res, y_res = SpatioTemporalOverSampler(n_frames=40, random_state=0).fit_resample(
            paths, y)
    assert Counter(y_res.tolist()) == {0: 8000, 1: 9000, 2: 8000}
    assert all(clip.is_lazy and isinstance(clip.video, str) for clip in X_res)


@pytest.mark.parametrize("fourcc,ext", [("MJPG", ".avi"), ("mp4v", ".mp4")])
def test_real_video_files(tmp_path, fourcc, ext):
    from _videos import gradient_video, write_video
    paths = [write_video(tmp_path / f"v{i}{ext}", gradient_video(n_frames=8 + 4 * i), fourcc)
             for i in range(3)]
    sampler = SpatioTemporalOverSampler(n_frames=6, keep_original=True, random_state=0)
    X_res, y_res = sampler.fit_resample(paths, [0, 0, 1])
    assert Counter(y_res) == {0: 2, 1: 2}
    for clip in X_res:
        assert clip.is_lazy and clip.video in paths
        frames = to_frames(clip)
        assert frames.shape == (6, 24, 32, 3) and frames.dtype == np.uint8
    original = X_res[0]
    np.testing.assert_array_equal(to_frames(original), to_frames(paths[0], n_frames=6))


def test_frame_folders(tmp_path):
    from _videos import gradient_video
    folders = []
    for i in range(3):
        folder = tmp_path / f"video{i}"
        folder.mkdir()
        for t, frame in enumerate(gradient_video(n_frames=5 + i)):
            cv2.imwrite(str(folder / f"frame{t}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        folders.append(str(folder))
    X_res, _ = SpatioTemporalOverSampler(n_frames=4, random_state=0, **NO_AUG).fit_resample(
        folders, [0, 0, 1])
    assert len(X_res) == 4
    for clip in X_res:
        resolved = clip.resolve()
        expected = to_frames(clip.video)[list(resolved.indices)]
        np.testing.assert_array_equal(to_frames(clip), expected)


# --------------------------------------------------------------------------- features

def test_feature_sequences_temporal_only():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 10, 5))
    y = np.array([0, 0, 0, 0, 1, 1])
    sampler = SpatioTemporalOverSampler(n_frames=4, random_state=0, **NO_AUG)
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, np.ndarray) and X_res.shape == (8, 4, 5)
    assert X_res.dtype == X.dtype
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    for row, src in zip(X_res, sampler.sample_indices_):
        # every output frame is a frame of the source, one in each window [0,2) [2,5)
        # [5,7) [7,10) (RandDown), or the evenly spaced ones
        matches = [int(np.flatnonzero((X[src] == frame).all(axis=1))[0]) for frame in row]
        windows = np.searchsorted([0, 2, 5, 7, 10], matches, side="right") - 1
        assert windows.tolist() == [0, 1, 2, 3]
    # the same rows again, whatever else is in X
    X_sub, _ = clone(sampler).fit_resample(X[[5, 0, 1]], y[[5, 0, 1]])
    np.testing.assert_array_equal(X_sub[:2], X_res[-2:])  # the 2 copies of video 5


def test_feature_list_of_varying_lengths_and_keep_original():
    rng = np.random.RandomState(1)
    X = [rng.normal(size=(t, 3)).astype(np.float32) for t in (2, 7, 9)]
    sampler = SpatioTemporalOverSampler(n_frames=4, keep_original=True, random_state=0,
                                        **NO_AUG)
    X_res, y_res = sampler.fit_resample(X, [0, 0, 1])
    assert X_res.shape == (4, 4, 3) and X_res.dtype == np.float32 and y_res == [0, 0, 1, 1]
    np.testing.assert_array_equal(X_res[0], X[0][[0, 0, 1, 1]])  # UpSample
    np.testing.assert_array_equal(X_res[1], X[1][evenly_spaced_indices(7, 4)])


def test_spatial_augmentation_on_features_is_an_error():
    X = np.zeros((4, 5, 3))
    with pytest.raises(ValueError, match=r"per-frame features.*rotation_range=0"):
        SpatioTemporalOverSampler(n_frames=2, random_state=0).fit_resample(X, [0, 0, 0, 1])
    with pytest.raises(ValueError, match=r"Set brightness_range=0 \(got brightness_range=0.1"):
        SpatioTemporalOverSampler(**{**NO_AUG, "brightness_range": 0.1}).fit_resample(
            X, [0, 0, 0, 1])


def test_bad_feature_input():
    sampler = SpatioTemporalOverSampler(n_frames=2, **NO_AUG)
    with pytest.raises(ValueError, match="mixes per-frame feature arrays"):
        sampler.fit_resample([np.zeros((3, 2)), np.zeros((3, 4, 4, 3), np.uint8)], [0, 1])
    with pytest.raises(ValueError, match="2 features per frame, the first one has 4"):
        sampler.fit_resample([np.zeros((3, 4)), np.zeros((3, 2))], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        sampler.fit_resample(np.full((2, 3, 4), np.nan), [0, 1])
    with pytest.raises(ValueError, match=r"\(n_videos, T, n_features\)"):
        sampler.fit_resample(np.zeros((2, 3)), [0, 1])


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("params", [
    {"rotation_range": -1}, {"translation_range": -0.1}, {"shear_range": -5},
    {"brightness_range": 1.5}, {"brightness_range": -0.2}, {"n_frames": 0},
    {"n_frames": 2.5}, {"replication": "double"}, {"keep_original": "yes"},
    {"sampling_strategy": "most"}, {"random_state": "seed"}])
def test_invalid_parameters(params):
    X, y = make_videos([3, 1])
    with pytest.raises(InvalidParameterError):
        SpatioTemporalOverSampler(**params).fit_resample(X, y)


def test_bad_inputs_have_clear_errors(tmp_path):
    X, y = make_videos([3, 1])
    sampler = SpatioTemporalOverSampler(n_frames=3)
    with pytest.raises(ValueError, match="more than 1 class"):
        sampler.fit_resample(X, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        sampler.fit_resample(X, y[:3])
    with pytest.raises(ValueError, match="not present in the data"):
        clone(sampler).set_params(sampling_strategy={5: 10}).fit_resample(X, y)
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        sampler.fit_resample([str(tmp_path / "missing.avi"), X[0]], [0, 1])
    with pytest.raises(ValueError, match="must have dtype uint8"):
        sampler.fit_resample([X[0].astype(np.int16), X[1]], [0, 1])


# --------------------------------------------------------------------------- estimator

def test_clone_get_params_and_pickle():
    sampler = SpatioTemporalOverSampler(n_frames=5, replication="exact", random_state=2)
    assert clone(sampler).get_params() == sampler.get_params()
    assert sampler.get_params()["n_frames"] == 5
    X, y = make_videos([3, 1])
    X_res, _ = sampler.fit_resample(X, y)
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(restored.sample_indices_, sampler.sample_indices_)
    assert restored.sampling_strategy_ == sampler.sampling_strategy_
    clips = pickle.loads(pickle.dumps(X_res))
    for a, b in zip(clips, X_res):
        np.testing.assert_array_equal(a.to_frames(), b.to_frames())


class FrameMeans(TransformerMixin, BaseEstimator):
    """Clips or raw videos -> the mean of each of their n_frames frames."""

    def __init__(self, n_frames=3):
        self.n_frames = n_frames

    def fit(self, X, y=None):
        self.seen_fit_ = list(X)
        return self

    def transform(self, X):
        self.seen_transform_ = list(X)
        return np.array([to_frames(v, self.n_frames).mean(axis=(1, 2, 3)) for v in X])


class NearestMean(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict(self, X):
        d = ((X[:, None] - self.means_[None]) ** 2).sum(axis=-1)
        return self.classes_[d.argmin(axis=1)]


def test_first_step_of_a_pipeline_and_skipped_at_predict():
    rng = np.random.RandomState(0)
    dark = [rng.randint(0, 60, (8, 6, 6, 3), dtype=np.uint8) for _ in range(6)]
    bright = [rng.randint(190, 256, (8, 6, 6, 3), dtype=np.uint8) for _ in range(2)]
    X, y = dark + bright, np.array([0] * 6 + [1] * 2)
    pipe = Pipeline([("sampler", SpatioTemporalOverSampler(n_frames=3, random_state=0)),
                     ("means", FrameMeans(n_frames=3)), ("clf", NearestMean())])
    pipe.fit(X, y)
    seen = pipe.named_steps["means"].seen_fit_
    assert len(seen) == 12 and all(isinstance(v, Clip) for v in seen)
    with mock.patch.object(SpatioTemporalOverSampler, "fit_resample",
                           side_effect=AssertionError("called at predict")):
        assert pipe.predict(X).tolist() == y.tolist()
    seen = pipe.named_steps["means"].seen_transform_
    assert all(isinstance(v, np.ndarray) for v in seen) and seen[0] is X[0]
    fitted = pickle.loads(pickle.dumps(pipe))
    assert fitted.predict(X[:2]).tolist() == [0, 0]


def test_video_identity_is_content_for_arrays_and_folder_and_name_for_files(monkeypatch):
    rng = np.random.RandomState(0)
    small = rng.randint(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    assert _video_digest(small) == _video_digest(small.copy())
    assert _video_digest(small[:, ::-1].copy()) == _video_digest(small[:, ::-1])  # a view
    changed = small.copy()
    changed[4, 7, 7, 2] ^= 1  # one bit anywhere changes a small array's identity
    assert _video_digest(changed) != _video_digest(small)
    assert _video_digest(small[..., 0]) != _video_digest(small[..., 0].reshape(5, 4, 16))
    # a big array is identified by a bounded sample: same content, same digest
    big = np.broadcast_to(small[:1], (300, 8, 8, 3))
    monkeypatch.setattr("skvideo_imb.sampling._oversampler._FULL_HASH_BYTES", 2048)
    assert _video_digest(big) == _video_digest(np.ascontiguousarray(big))
    other = np.ascontiguousarray(big)
    other[0] ^= 255
    assert _video_digest(other) != _video_digest(big)
    # paths: made absolute, so that the working directory does not matter
    monkeypatch.chdir(os.path.dirname(os.path.abspath(__file__)))
    assert _video_digest("a.avi") == _video_digest(os.path.abspath("a.avi"))
    assert _video_digest("a.avi") != _video_digest("b.avi")
    # ... then cut to folder/name: the same data set stored elsewhere is the same data
    assert (_video_digest("/data/run1/walk/v_001.avi")
            == _video_digest("/scratch/copy/walk/v_001.avi"))
    assert _video_digest("/data/walk/v_001.avi") != _video_digest("/data/run/v_001.avi")


def test_a_data_set_moved_to_another_folder_gives_the_same_clips(tmp_path):
    y = ["a"] * 6 + ["b"] * 2
    names = [f"{label}/video_{i}.avi" for i, label in enumerate(y)]
    clips = {}
    for root in ("data", "elsewhere/copy"):
        for name in names:  # resampling reads no file, but the files must exist
            (tmp_path / root / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / root / name).write_bytes(b"not decoded")
        sampler = SpatioTemporalOverSampler(n_frames=4, random_state=3)
        X, _ = sampler.fit_resample([str(tmp_path / root / n) for n in names], y)
        clips[root] = [(os.path.relpath(c.video, tmp_path / root), c.indices,
                        c.augmentation) for c in X]
    assert clips["data"] == clips["elsewhere/copy"]


@pytest.mark.parametrize("as_array", [True, False])
def test_float_videos_are_told_to_be_uint8(as_array):
    X = np.random.RandomState(0).rand(4, 6, 8, 8, 3)        # v / 255.0
    X[1, 0, 0, 0, 0] = np.nan
    y = [0, 0, 1, 1]
    with pytest.raises(ValueError, match=r"videos must be uint8 arrays \(T, H, W\[, 3\]\)"):
        SpatioTemporalOverSampler(n_frames=3).fit_resample(X if as_array else list(X), y)
