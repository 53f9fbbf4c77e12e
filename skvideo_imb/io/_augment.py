"""RandAug: one draw of spatial augmentation parameters per synthetic clip.

The paper (Algorithm 1) augments every frame of a synthetic video with a random
rotation, translation, shear and brightness change, the parameters drawn uniformly
once per synthetic video.  The pixel work is torchvision's ``transforms.v2.functional``
(``affine`` and ``adjust_brightness``); nothing here touches pixels by hand.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

__all__ = ["Augmentation", "draw_augmentation"]


@dataclass(frozen=True)
class Augmentation:
    """Parameters of one spatial augmentation, shared by every frame of a clip.

    Parameters
    ----------
    rotation : float, default=0.0
        Rotation angle in degrees (counter-clockwise).
    translate_x, translate_y : float, default=0.0
        Translation as a fraction of the frame's width and height.
    shear : float, default=0.0
        Horizontal shear angle in degrees.
    brightness : float, default=1.0
        Brightness factor (1 keeps the frame, 0 gives black).

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import Augmentation
    >>> frames = np.full((2, 8, 8, 3), 100, dtype=np.uint8)
    >>> Augmentation(brightness=0.5).apply(frames)[0, 0, 0].tolist()
    [50, 50, 50]
    >>> Augmentation().is_identity
    True
    """

    rotation: float = 0.0
    translate_x: float = 0.0
    translate_y: float = 0.0
    shear: float = 0.0
    brightness: float = 1.0

    @property
    def is_identity(self):
        """Whether applying these parameters leaves frames unchanged."""
        return self == Augmentation()

    def apply_tensor(self, frames):
        """Apply to a uint8 or float tensor of shape ``(..., 3, H, W)``.

        Parameters
        ----------
        frames : torch.Tensor of shape (..., 3, H, W)

        Returns
        -------
        frames : torch.Tensor, same shape and dtype
        """
        if self.is_identity:
            return frames
        height, width = frames.shape[-2:]
        if (self.rotation, self.translate_x, self.translate_y, self.shear) != (0, 0, 0, 0):
            frames = TF.affine(
                frames, angle=self.rotation,
                translate=[round(self.translate_x * width), round(self.translate_y * height)],
                scale=1.0, shear=[self.shear, 0.0],
                interpolation=InterpolationMode.BILINEAR)
        if self.brightness != 1.0:
            frames = TF.adjust_brightness(frames, self.brightness)
        return frames

    def apply(self, frames):
        """Apply to RGB uint8 frames of shape ``(T, H, W, 3)``.

        Parameters
        ----------
        frames : ndarray of shape (T, H, W, 3), dtype uint8

        Returns
        -------
        frames : ndarray of shape (T, H, W, 3), dtype uint8
            A new array (the input is never modified).
        """
        if self.is_identity:
            return frames
        tensor = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
        return self.apply_tensor(tensor).permute(0, 2, 3, 1).contiguous().numpy()


def draw_augmentation(rng, rotation_range=0.0, translation_range=0.0, shear_range=0.0,
                      brightness_range=0.0):
    """Draw one :class:`Augmentation` uniformly within the given ranges.

    A range of 0 turns that transformation off and consumes no random number.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    rotation_range : float, default=0.0
        Angles are drawn in ``[-rotation_range, rotation_range]`` degrees.
    translation_range : float, default=0.0
        Shifts are drawn in ``[-translation_range, translation_range]`` (fraction of
        the frame size), independently for x and y.
    shear_range : float, default=0.0
        Shear angles are drawn in ``[-shear_range, shear_range]`` degrees.
    brightness_range : float, default=0.0
        Brightness factors are drawn in ``[1 - brightness_range, 1 + brightness_range]``.

    Returns
    -------
    augmentation : Augmentation

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import draw_augmentation
    >>> aug = draw_augmentation(np.random.RandomState(0), rotation_range=10)
    >>> -10 <= aug.rotation <= 10, aug.brightness
    (True, 1.0)
    """
    def draw(half_width, centre=0.0):
        return round(float(rng.uniform(centre - half_width, centre + half_width)), 6) \
            if half_width > 0 else centre

    return Augmentation(rotation=draw(rotation_range), translate_x=draw(translation_range),
                        translate_y=draw(translation_range), shear=draw(shear_range),
                        brightness=draw(brightness_range, 1.0))
