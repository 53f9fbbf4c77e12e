"""The experiment grid's typed rows and profiles."""

import subprocess
import sys

import pytest

from skvideo_imb.experiments import PROFILES, ROWS, Row
from skvideo_imb.models import PAPER_PARAMS


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler="smoot"), "unknown sampler 'smoot'; choose one of 'none', 'video'"),
    (dict(model="transformer"), "unknown model 'transformer'; choose one of 'lstm'"),
    (dict(model="frames", sampler="video"), "frame-only baseline takes no sampler"),
])
def test_unknown_sampler_or_model_is_an_error_listing_the_valid_ones(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Row("mine", **kwargs)


def test_every_built_in_row_is_valid():
    assert all(row.sampler in Row.SAMPLERS and row.model in Row.MODELS for row in ROWS)


def test_paper_profile_is_written_once():
    paper = PROFILES["paper"]
    for key in ("n_frames", "hidden_size", "fc_size", "lr", "weight_decay"):
        assert paper[key] == PAPER_PARAMS[key]


def test_importing_experiments_leaves_the_matplotlib_backend_alone():
    code = ("import matplotlib; matplotlib.use('svg'); import skvideo_imb.experiments; "
            "import skvideo_imb.cli; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "svg"
