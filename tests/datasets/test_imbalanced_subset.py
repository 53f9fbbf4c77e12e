"""Tests of make_imbalanced_subset, the paper's imbalanced-training-set protocol."""

from collections import Counter

import numpy as np
import pytest

from skvideo_imb.datasets import make_imbalanced_subset


@pytest.fixture
def balanced():
    y = np.repeat([f"class_{i:02d}" for i in range(20)], 100)
    videos = [f"/data/{label}/v_{i:04d}.avi" for i, label in enumerate(y)]
    return videos, y


def test_each_class_between_minimum_and_size(balanced):
    videos, y = balanced
    kept, y_kept = make_imbalanced_subset(videos, y, random_state=0)
    counts = Counter(y_kept.tolist())
    assert set(counts) == set(y)
    assert all(10 <= n <= 100 for n in counts.values())
    assert len(set(counts.values())) > 10  # sizes vary: the result is imbalanced
    assert len(kept) == len(y_kept) == sum(counts.values())
    # every kept video keeps its own label, no duplicates, original order
    position = {v: i for i, v in enumerate(videos)}
    assert all(y[position[v]] == label for v, label in zip(kept, y_kept))
    assert len(set(kept)) == len(kept)
    assert [position[v] for v in kept] == sorted(position[v] for v in kept)


def test_deterministic_with_seed(balanced):
    videos, y = balanced
    first = make_imbalanced_subset(videos, y, random_state=7)
    second = make_imbalanced_subset(videos, y, random_state=7)
    assert first[0] == second[0] and np.array_equal(first[1], second[1])
    other = make_imbalanced_subset(videos, y, random_state=8)
    assert first[0] != other[0]


def test_small_classes_and_min_per_class():
    y = np.array(["big"] * 50 + ["small"] * 4 + ["tiny"])
    videos = list(range(len(y)))
    for seed in range(10):
        kept, y_kept = make_imbalanced_subset(videos, y, random_state=seed)
        counts = Counter(y_kept.tolist())
        assert counts["small"] == 4 and counts["tiny"] == 1  # fewer than 10: all kept
        assert 10 <= counts["big"] <= 50
    sizes = {Counter(make_imbalanced_subset(videos, y, min_per_class=1, random_state=s)[1]
                     .tolist())["small"] for s in range(30)}
    assert sizes == {1, 2, 3, 4}  # uniform over min_per_class..size, both ends included


def test_videos_of_any_kind_and_indices():
    rng = np.random.default_rng(0)
    videos = [rng.integers(0, 255, size=(int(t), 4, 4, 3), dtype=np.uint8)
              for t in rng.integers(2, 6, size=40)]  # ragged: not a 2-D array
    y = np.repeat([0, 1], 20)
    kept, y_kept, indices = make_imbalanced_subset(videos, y, min_per_class=3,
                                                   random_state=0, return_indices=True)
    assert indices.dtype == np.int64 and np.all(np.diff(indices) > 0)
    assert all(k is videos[i] for k, i in zip(kept, indices))
    assert np.array_equal(y_kept, y[indices])


def test_uses_imbalanced_learn(balanced, monkeypatch):
    """The drawing is imbalanced-learn's RandomUnderSampler, on a column of indices."""
    import imblearn.under_sampling

    from skvideo_imb.datasets import _imbalance
    calls = []

    class Spy(imblearn.under_sampling.RandomUnderSampler):
        def fit_resample(self, X, y):
            calls.append((X.shape, dict(self.sampling_strategy)))
            return super().fit_resample(X, y)

    monkeypatch.setattr(_imbalance, "RandomUnderSampler", Spy)
    videos, y = balanced
    _, y_kept = make_imbalanced_subset(videos, y, random_state=0)
    assert calls[0][0] == (len(videos), 1)
    assert calls[0][1] == dict(Counter(y_kept.tolist()))


@pytest.mark.parametrize("kwargs, match", [
    ({"min_per_class": 0}, "min_per_class"),
    ({"min_per_class": 2.5}, "min_per_class"),
    ({"y": ["a", "b"]}, "different lengths"),
    ({"y": [["a"], ["b"], ["c"]]}, "1-D"),
])
def test_bad_input(kwargs, match):
    arguments = {"videos": ["a.avi", "b.avi", "c.avi"], "y": ["x", "x", "y"], **kwargs}
    with pytest.raises(ValueError, match=match):
        make_imbalanced_subset(arguments.pop("videos"), arguments.pop("y"), **arguments)


def test_empty():
    with pytest.raises(ValueError, match="empty"):
        make_imbalanced_subset([], [])
