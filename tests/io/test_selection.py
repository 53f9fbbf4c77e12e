import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvideo_imb.io import evenly_spaced_indices, rand_down_indices, upsample_indices

sizes = st.integers(min_value=1, max_value=2000)
alphas = st.integers(min_value=1, max_value=200)


def _check_common(idx, n, alpha):
    assert idx.shape == (alpha,)
    assert idx.dtype == np.int64
    assert idx.min() >= 0 and idx.max() < n
    assert np.all(np.diff(idx) >= 0)


@settings(max_examples=300, deadline=None)
@given(n=sizes, alpha=alphas)
def test_evenly_spaced_properties(n, alpha):
    idx = evenly_spaced_indices(n, alpha)
    _check_common(idx, n, alpha)
    np.testing.assert_array_equal(idx, evenly_spaced_indices(n, alpha))  # deterministic
    if n >= alpha:
        assert len(np.unique(idx)) == alpha  # no frame used twice when there are enough


@settings(max_examples=300, deadline=None)
@given(n=sizes, alpha=alphas, seed=st.integers(0, 2**31 - 1))
def test_rand_down_hits_every_window_once(n, alpha, seed):
    idx = rand_down_indices(n, alpha, random_state=seed)
    _check_common(idx, n, alpha)
    if n >= alpha:
        edges = (np.arange(alpha + 1) * n) // alpha
        window = np.searchsorted(edges, idx, side="right") - 1
        np.testing.assert_array_equal(window, np.arange(alpha))
        assert np.all(np.diff(idx) > 0)
    else:  # UpSample
        np.testing.assert_array_equal(idx, upsample_indices(n, alpha))


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 200), alpha=alphas)
def test_upsample_repeats_in_order_evenly(n, alpha):
    if n > alpha:
        n, alpha = alpha, n
    idx = upsample_indices(n, alpha)
    _check_common(idx, n, alpha)
    counts = np.bincount(idx, minlength=n)
    assert set(counts) <= {alpha // n, -(-alpha // n)}
    assert counts.min() >= 1  # every frame kept


def test_paper_example_skip_windows():
    # alpha=5 and 25 frames: skip = 5, one frame drawn in each window of five.
    idx = rand_down_indices(25, 5, random_state=1)
    assert [int(i) // 5 for i in idx] == [0, 1, 2, 3, 4]


def test_rand_down_is_random_and_seeded():
    a = rand_down_indices(100, 10, random_state=0)
    b = rand_down_indices(100, 10, random_state=0)
    c = rand_down_indices(100, 10, random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("func", [evenly_spaced_indices, upsample_indices, rand_down_indices])
@pytest.mark.parametrize("n, alpha, match", [(0, 4, "at least one frame"),
                                             (5, 0, "n_frames must be >= 1")])
def test_bad_counts(func, n, alpha, match):
    with pytest.raises(ValueError, match=match):
        func(n, alpha)
