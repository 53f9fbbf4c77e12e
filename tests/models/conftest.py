"""Shared fixtures and toy data for the temporal-model tests."""

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # the models under test are tiny: extra intra-op threads only add contention.  Per
    # module, not per session: a session fixture would keep one thread for the tests
    # that run after these (test_persistence compares a fresh process's outputs)
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


def order_toy(n_samples, n_frames=8, n_features=4, seed=0):
    """Two classes that differ only in temporal order.

    Feature 0 ramps up over time in class 0 and down (the same values reversed) in
    class 1; the other features are noise, so the time average carries no class
    information.
    """
    rng = np.random.RandomState(seed)
    y = np.arange(n_samples) % 2
    ramp = np.linspace(-1.0, 1.0, n_frames)
    X = rng.normal(scale=0.3, size=(n_samples, n_frames, n_features))
    X[:, :, 0] = np.where(y[:, None] == 0, ramp, ramp[::-1])
    X[:, :, 0] += rng.normal(scale=0.1, size=(n_samples, n_frames))
    return X, y


def blobs(n_samples, n_frames=3, n_features=2, n_classes=3, seed=0):
    """Easily separable sequences: each class has its own mean vector."""
    rng = np.random.RandomState(seed)
    y = np.arange(n_samples) % n_classes
    centres = 3.0 * rng.normal(size=(n_classes, 1, n_features))
    X = centres[y] + 0.3 * rng.normal(size=(n_samples, n_frames, n_features))
    return X, y
