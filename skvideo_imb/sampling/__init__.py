"""Video oversampling: clips, RandAug augmentation and SpatioTemporalOverSampler."""

from ._augment import Augmentation, draw_augmentation
from ._clip import Clip, to_frames

__all__ = ["Augmentation", "Clip", "draw_augmentation", "to_frames"]
