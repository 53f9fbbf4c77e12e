"""Tests of make_synthetic_videos: sizes, determinism, the order-only property, files."""

import os
from collections import Counter

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvideo_imb.datasets import (DEFAULT_CLASS_SIZES, ORDER_ONLY_PAIRS, SYNTHETIC_CLASSES,
                                  load_video_folder, make_synthetic_videos)
from skvideo_imb.datasets._synthetic import _make_video
from skvideo_imb.io import count_frames, evenly_spaced_indices, read_frames


@pytest.fixture(scope="module")
def default_data():
    return make_synthetic_videos()


@pytest.fixture(scope="module")
def balanced_data():
    return make_synthetic_videos(30, random_state=1)


def _pooled_pixels(X):
    """Time-averaged pixels, downscaled to 8 x 8 x 3: what a frame-only model sees."""
    return np.stack([v.reshape(v.shape[0], 8, v.shape[1] // 8, 8, v.shape[2] // 8, 3)
                     .mean(axis=(0, 2, 4)).ravel() for v in X])


def _slope(values):
    t = np.arange(len(values))
    return np.polyfit(t, values, 1)[0]


def _brightness_slope(video):
    return _slope(video.mean(axis=(1, 2, 3)))


def _square_slope(video):
    """Slope of the column centroid of the bright square over time."""
    bright = video.min(axis=3) > 150
    cols = np.arange(video.shape[2])
    xs = [(cols * b.sum(axis=0)).sum() / b.sum() for b in bright]
    return _slope(xs)


def _cv_balanced_accuracy(features, y):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(model, features, y, cv=cv, scoring="balanced_accuracy").mean()


def test_default_sizes_shapes_dtypes(default_data):
    X, y = default_data
    assert Counter(y.tolist()) == DEFAULT_CLASS_SIZES
    assert len(X) == len(y) == 90
    assert isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind == "U"
    lengths = set()
    for video in X:
        assert isinstance(video, np.ndarray) and video.dtype == np.uint8
        assert video.ndim == 4 and video.shape[1:] == (32, 32, 3)
        assert 12 <= video.shape[0] <= 20
        lengths.add(video.shape[0])
    assert len(lengths) > 3  # lengths vary between videos
    # imbalanced, and the two smallest classes are inside the order-only pairs
    smallest = sorted(DEFAULT_CLASS_SIZES, key=DEFAULT_CLASS_SIZES.get)[:2]
    assert {"darken", "move_left"} == set(smallest)
    assert max(DEFAULT_CLASS_SIZES.values()) / min(DEFAULT_CLASS_SIZES.values()) > 5
    # grouped by class, in SYNTHETIC_CLASSES order
    assert list(dict.fromkeys(y.tolist())) == list(SYNTHETIC_CLASSES)


def test_deterministic(default_data):
    X, y = default_data
    X2, y2 = make_synthetic_videos()
    assert np.array_equal(y, y2)
    assert all(np.array_equal(a, b) for a, b in zip(X, X2))
    X3, _ = make_synthetic_videos(random_state=np.random.RandomState(0))
    assert all(np.array_equal(a, b) for a, b in zip(X, X3))
    X4, _ = make_synthetic_videos(random_state=1)
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(X, X4))


def test_videos_do_not_depend_on_other_class_sizes(default_data):
    X, y = default_data
    X_small, y_small = make_synthetic_videos({"move_left": 3, "brighten": 2})
    assert y_small.tolist() == ["brighten"] * 2 + ["move_left"] * 3
    first = {c: np.flatnonzero(y == c)[:3] for c in ("brighten", "move_left")}
    expected = [X[i] for i in first["brighten"][:2]] + [X[i] for i in first["move_left"]]
    assert all(np.array_equal(a, b) for a, b in zip(X_small, expected))


def test_options():
    X, y = make_synthetic_videos(2, n_frames=7, frame_size=(16, 24), noise=0)
    assert len(X) == 10 and Counter(y.tolist()) == dict.fromkeys(SYNTHETIC_CLASSES, 2)
    assert all(v.shape == (7, 16, 24, 3) for v in X)
    X, _ = make_synthetic_videos(1, frame_size=8, n_frames=(2, 3))
    assert all(v.shape[1:3] == (8, 8) and 2 <= v.shape[0] <= 3 for v in X)


@pytest.mark.parametrize("forward, backward", ORDER_ONLY_PAIRS)
def test_order_only_pair_invisible_to_pooled_frames(balanced_data, forward, backward):
    X, y = balanced_data
    keep = np.isin(y, [forward, backward])
    X_pair = [v for v, k in zip(X, keep) if k]
    y_pair = y[keep]
    # a frame-only model (time-averaged pixels + logistic regression) is near chance
    assert _cv_balanced_accuracy(_pooled_pixels(X_pair), y_pair) < 0.7
    # the same classifier on frame-major features of 12 evenly spaced frames separates it
    sequences = np.stack([_pooled_pixels(v[evenly_spaced_indices(len(v), 12), None]).ravel()
                          for v in X_pair])
    assert _cv_balanced_accuracy(sequences, y_pair) > 0.95
    # and so does the direction of change alone, perfectly
    temporal = _brightness_slope if forward == "brighten" else _square_slope
    slopes = np.array([temporal(v) for v in X_pair])
    assert np.all(slopes[y_pair == forward] > 0)
    assert np.all(slopes[y_pair == backward] < 0)


@pytest.mark.parametrize("forward, backward", ORDER_ONLY_PAIRS)
def test_backward_class_is_forward_class_reversed(forward, backward):
    """Same seed, same frames: the backward class is the forward one played backwards."""
    for seed in range(5):
        video_f = _make_video(forward, np.random.default_rng(seed), 9, 32, 32, 8.0)
        video_b = _make_video(backward, np.random.default_rng(seed), 9, 32, 32, 8.0)
        assert np.array_equal(video_b, video_f[::-1])


@pytest.mark.parametrize("forward, backward", ORDER_ONLY_PAIRS)
def test_pairs_have_same_frame_statistics(forward, backward):
    X, y = make_synthetic_videos({forward: 100, backward: 100}, frame_size=16, random_state=2)
    stats = np.array([[v.mean(), v.std(), v.shape[0]] for v in X])
    a, b = stats[y == forward], stats[y == backward]
    standard_error = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 4 * standard_error)


def test_frame_separable_class_and_pairs_distinct_from_frames(balanced_data):
    X, y = balanced_data
    features = _pooled_pixels(X)
    is_checker = (y == "checkerboard")
    assert _cv_balanced_accuracy(features, is_checker) > 0.95
    # the two pairs are told apart from frames alone
    keep = ~is_checker
    pair_of = np.where(np.isin(y[keep], ORDER_ONLY_PAIRS[0]), 0, 1)
    assert _cv_balanced_accuracy(features[keep], pair_of) > 0.95


def test_order_only_visible_per_frame():
    """Within a video of a pair the frames differ a lot (a strong, clean signal)."""
    X, y = make_synthetic_videos({"brighten": 3, "move_right": 3}, n_frames=12)
    for video, label in zip(X, y):
        if label == "brighten":
            assert video[-1].mean() - video[0].mean() > 120
        else:
            assert _square_slope(video) > 1.0  # pixels per frame


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_videos_per_class": {"jump": 3}}, ValueError, "unknown classes"),
    ({"n_videos_per_class": {"darken": -1}}, ValueError, "'darken'"),
    ({"n_videos_per_class": 0}, ValueError, "no videos"),
    ({"n_videos_per_class": 2.5}, TypeError, "n_videos_per_class"),
    ({"n_frames": 1}, ValueError, "n_frames"),
    ({"n_frames": (10, 5)}, ValueError, "n_frames"),
    ({"n_frames": (4.5, 8)}, ValueError, "n_frames"),
    ({"frame_size": (16, 16, 3)}, ValueError, "frame_size"),
    ({"noise": "loud"}, ValueError, "noise"),
    ({"frame_size": (4, 32)}, ValueError, "frame_size"),
    ({"frame_size": "big"}, ValueError, "frame_size"),
    ({"noise": -1.0}, ValueError, "noise"),
    ({"video_format": "gif"}, ValueError, "video_format"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_synthetic_videos(**kwargs)


def test_odd_frame_size_needs_frame_folders(tmp_path):
    with pytest.raises(ValueError, match="even frame_size"):
        make_synthetic_videos(1, frame_size=(15, 16), directory=tmp_path)
    paths, _ = make_synthetic_videos({"darken": 1}, frame_size=(15, 9), n_frames=3,
                                     directory=tmp_path, video_format="frames")
    assert read_frames(paths[0]).shape == (3, 15, 9, 3)


@pytest.mark.parametrize("video_format, extension", [("avi", ".avi"), ("mp4", ".mp4")])
def test_written_files_are_readable(tmp_path, video_format, extension):
    sizes = {"brighten": 2, "darken": 1, "move_left": 2, "checkerboard": 1}
    X, y = make_synthetic_videos(sizes, random_state=3)
    paths, y_files = make_synthetic_videos(sizes, directory=tmp_path,
                                           video_format=video_format, random_state=3)
    assert np.array_equal(y, y_files)
    assert all(isinstance(p, str) for p in paths)
    for path, label, video in zip(paths, y_files, X):
        assert os.path.dirname(path) == os.path.join(str(tmp_path), label)
        assert os.path.basename(path).startswith(label + "_") and path.endswith(extension)
        assert count_frames(path) == video.shape[0]
        frames = read_frames(path)
        assert frames.shape == video.shape
        # lossy codec: per-frame colour means stay close to the arrays
        assert np.abs(frames.mean(axis=(1, 2)) - video.mean(axis=(1, 2))).max() < 12
    darken = read_frames(paths[2])
    assert _brightness_slope(darken) < 0
    data = load_video_folder(tmp_path)
    assert sorted(data.videos) == sorted(paths)
    assert dict(zip(data.videos, data.target)) == dict(zip(paths, y_files))


def test_written_frame_folders_are_lossless(tmp_path):
    X, y = make_synthetic_videos(1, n_frames=(3, 5), random_state=5)
    paths, _ = make_synthetic_videos(1, n_frames=(3, 5), random_state=5,
                                     directory=tmp_path, video_format="frames")
    for path, video in zip(paths, X):
        assert os.path.isdir(path)
        assert np.array_equal(read_frames(path), video)
    data = load_video_folder(tmp_path)
    assert sorted(data.videos) == sorted(paths)
