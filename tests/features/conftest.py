"""Helpers shared by the featurizer tests, as fixtures (tests import with importlib)."""

import numpy as np
import pytest
import torch

from skvideo_imb.features import InceptionFeaturizer
from skvideo_imb.features._featurizer import _InProcess


def _make_videos(n=4, t=7, size=80, seed=0):
    """Smooth random videos (blobs of colour), so features are image-like."""
    rng = np.random.RandomState(seed)
    coarse = rng.randint(0, 256, (n, t, 6, 6, 3)).astype(np.float32)
    t_ = torch.from_numpy(coarse).reshape(n * t, 6, 6, 3).permute(0, 3, 1, 2)
    fine = torch.nn.functional.interpolate(t_, size=(size, size), mode="bilinear")
    return fine.permute(0, 2, 3, 1).reshape(n, t, size, size, 3).round().clamp(
        0, 255).to(torch.uint8).numpy()


def _twin(fitted, **params):
    """A copy of a fitted featurizer sharing its network, with some params changed."""
    new = InceptionFeaturizer.__new__(InceptionFeaturizer)
    new.__dict__.update(fitted.__dict__)
    new._in_process = _InProcess(fitted._get_model())  # its own engine and statistics
    return new.set_params(**params)


@pytest.fixture(scope="module")
def fitted(videos):
    """InceptionV3 at 75 px with random weights, recalibrated on the module's ``videos``."""
    return InceptionFeaturizer(n_frames=3, weights=None, image_size=75, batch_size=4,
                               random_state=0).fit(videos)


@pytest.fixture(scope="session")
def make_videos():
    return _make_videos


@pytest.fixture(scope="session")
def twin():
    return _twin
