"""Frame pixels: the one resizing rule and the one colour conversion of OpenCV's frames."""

import cv2

__all__ = ["bgr_to_rgb", "resize_square"]


def resize_square(frame, size):
    """A frame (H, W[, C]) resized to ``size`` × ``size`` pixels.

    The one resizing rule of the toolkit: area averaging (``cv2.INTER_AREA``, an
    anti-aliased shrink) when both sides shrink, bilinear interpolation otherwise (area
    averaging would enlarge like nearest-neighbour).

    Parameters
    ----------
    frame : ndarray of shape (H, W) or (H, W, C), dtype uint8
    size : int

    Returns
    -------
    frame : ndarray of shape (size, size[, C]), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import resize_square
    >>> resize_square(np.zeros((240, 320, 3), np.uint8), 75).shape
    (75, 75, 3)
    """
    height, width = frame.shape[:2]
    if (height, width) == (size, size):
        return frame
    shrink = height >= size and width >= size
    return cv2.resize(frame, (size, size),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def bgr_to_rgb(frame):
    """The single place where OpenCV's BGR (or grey, or BGRA) becomes RGB."""
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
