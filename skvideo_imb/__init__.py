"""skvideo_imb: imbalanced video classification as a scikit-learn problem.

The method of Pouyanfar, Chen and Shyu (IEEE IRI 2018), *Deep Spatio-Temporal
Representation Learning for Multi-Class Imbalanced Data Classification*, as estimators
that compose in an :class:`imblearn.pipeline.Pipeline`.
"""

from ._persistence import (LIMITS, TRUSTED_NODES, TRUSTED_TYPES, inspect_model, load_model,
                           save_model)
from ._timeline import TimelineWindow, predict_timeline, window_clips
from ._version import __version__
from .features import InceptionFeaturizer
from .models import ResBiLSTMClassifier
from .pipeline import VideoPipeline, make_video_pipeline
from .sampling import Clip, SpatioTemporalOverSampler, to_frames

__all__ = [
    "LIMITS", "TRUSTED_NODES", "TRUSTED_TYPES", "Clip", "InceptionFeaturizer",
    "ResBiLSTMClassifier", "SpatioTemporalOverSampler",
    "TimelineWindow", "VideoPipeline", "__version__", "inspect_model", "load_model",
    "make_video_pipeline",
    "predict_timeline", "save_model", "to_frames", "window_clips",
]
