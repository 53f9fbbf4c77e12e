"""The experiment grid's typed rows and profiles."""

import subprocess
import sys

import numpy as np
import pytest

from skvideo_imb import InceptionFeaturizer
from skvideo_imb.experiments import PROFILES, ROWS, Row, build_row_pipeline
from skvideo_imb.models import PAPER_PARAMS


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler="smoot"), "unknown sampler 'smoot'; choose one of 'none', 'video'"),
    (dict(model="transformer"), "unknown model 'transformer'; choose one of 'lstm'"),
    (dict(model="frames", sampler="video"), "frame-only baseline takes no sampler"),
])
def test_unknown_sampler_or_model_is_an_error_listing_the_valid_ones(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Row("mine", **kwargs)


_STEP = {"none": None, "video": "spatiotemporaloversampler", "smote": "smote",
         "adasyn": "adasyn", "random": "randomoversampler"}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_every_built_in_row_builds_the_pipeline_it_names(row):
    """Its sampler, its model's architecture and its class weighting, around the frozen
    featurizer (the Row's own validation runs at import and cannot show this)."""
    featurizer = InceptionFeaturizer(n_frames=4, weights=None, image_size=75)
    y = np.array(["a"] * 6 + ["b"] * 3)
    pipe = build_row_pipeline(row, featurizer, PROFILES["smoke"], y, random_state=3)
    names = [name for name, _ in pipe.steps]
    assert dict(pipe.steps)["frozenestimator"].estimator is featurizer
    classifier = pipe.steps[-1][1]
    weight = classifier.class_weight
    assert weight == ("balanced" if row.class_weight else None)
    if row.model == "frames":
        assert names[-1] == "logisticregression"
        return
    sampler = _STEP[row.sampler]
    assert (sampler in names) if sampler else len(names) == 2
    if row.sampler in ("smote", "adasyn"):          # neighbours: fewer than the class size
        param = "k_neighbors" if row.sampler == "smote" else "n_neighbors"
        assert getattr(dict(pipe.steps)[row.sampler], param) == 2
    assert (classifier.num_layers, classifier.bidirectional, classifier.residual) == (
        (1, False, False) if row.model == "lstm" else (2, True, True))
    assert classifier.hidden_size == PROFILES["smoke"]["hidden_size"]
    assert classifier.random_state == 3


def test_paper_profile_is_written_once():
    paper = PROFILES["paper"]
    for key in ("n_frames", "hidden_size", "fc_size", "lr", "weight_decay"):
        assert paper[key] == PAPER_PARAMS[key]


@pytest.mark.slow
def test_importing_experiments_leaves_the_matplotlib_backend_alone():
    code = ("import matplotlib; matplotlib.use('svg'); import skvideo_imb.experiments; "
            "import skvideo_imb.cli; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "svg"
