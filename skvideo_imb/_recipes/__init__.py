"""How the command line and the experiments turn settings into runs (private).

One place for each decision both of them make: the size profiles, what a ``DATA``
specification means, which sampler a name stands for (and SMOTE's neighbourhood rule),
how a pipeline is built around a fitted, frozen featurizer, how videos are held out
and folded (keeping a source video's clips together), and where parallel work runs.
``skvideo_imb.cli`` and ``skvideo_imb.experiments`` import from here, never from each
other.
"""

from ._build import (FROZEN_STEP, SAMPLERS, build_pipeline, freeze, make_classifier,
                     make_featurizer, make_sampler, n_neighbors_for, parse_weights)
from ._data_spec import DataSpec, class_counts, parse_data_spec
from ._profiles import PROFILES, describe_profiles, profile_settings
from ._scheduler import check_scheduler, scheduler
from ._splits import cross_validator, has_groups, hold_out

__all__ = ["FROZEN_STEP", "PROFILES", "SAMPLERS", "DataSpec", "build_pipeline",
           "check_scheduler", "class_counts", "cross_validator", "describe_profiles", "freeze",
           "has_groups", "hold_out", "make_classifier", "make_featurizer", "make_sampler",
           "n_neighbors_for", "parse_data_spec", "parse_weights", "profile_settings",
           "scheduler"]
