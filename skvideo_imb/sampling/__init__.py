"""Video oversampling: clips, RandAug augmentation and SpatioTemporalOverSampler."""

from ._augment import Augmentation, draw_augmentation
from ._clip import Clip, to_frames
from ._oversampler import SpatioTemporalOverSampler

__all__ = ["Augmentation", "Clip", "SpatioTemporalOverSampler", "draw_augmentation",
           "to_frames"]
