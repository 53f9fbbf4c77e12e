"""Spatial features: per-frame CNN features of videos and clips, batched and cached."""

from ._featurizer import InceptionFeaturizer

__all__ = ["InceptionFeaturizer"]
