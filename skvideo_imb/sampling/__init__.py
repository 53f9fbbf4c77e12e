"""Video oversampling: SpatioTemporalOverSampler and the clips and augmentations it draws.

:class:`Clip`, :class:`Augmentation`, :func:`draw_augmentation` and :func:`to_frames`
live in :mod:`skvideo_imb.io` (they describe samples, which every step reads) and are
re-exported here, where the oversampler makes them.
"""

from ..io import Augmentation, Clip, draw_augmentation, to_frames
from ._oversampler import SpatioTemporalOverSampler

__all__ = ["Augmentation", "Clip", "SpatioTemporalOverSampler", "draw_augmentation",
           "to_frames"]
