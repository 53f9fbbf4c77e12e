"""A small synthetic video data set in which some classes differ only in time.

Five classes, imbalanced by default:

* ``"brighten"`` / ``"darken"`` -- an order-only pair.  A fixed random texture whose
  global intensity ramps from dark to bright (``"brighten"``) or from bright to dark
  (``"darken"``).  A ``"darken"`` video is drawn exactly like a ``"brighten"`` video and
  then played backwards.
* ``"move_right"`` / ``"move_left"`` -- an order-only pair.  A bright square crosses a
  dim textured background from left to right or, played backwards, from right to left.
* ``"checkerboard"`` -- a red and blue checkerboard that drifts at random; every single
  frame of it is recognisable, so a frame-only model can find it.

Because the backward class of a pair is its forward partner reversed, the set of frames
of one video follows the same distribution in both classes: pooling frames over time
(mean, max, histogram, ...) carries no information to tell a pair apart, while the
direction of change (the sign of the brightness slope, the direction the square moves)
separates them perfectly.
"""

import numbers
import os

import cv2
import numpy as np

from .._seeds import draw_seed

__all__ = ["DEFAULT_CLASS_SIZES", "ORDER_ONLY_PAIRS", "SYNTHETIC_CLASSES",
           "make_synthetic_videos"]

SYNTHETIC_CLASSES = ("brighten", "darken", "move_right", "move_left", "checkerboard")
"""Class names of :func:`make_synthetic_videos`, in the order videos are returned."""

ORDER_ONLY_PAIRS = (("brighten", "darken"), ("move_right", "move_left"))
"""Pairs ``(forward, backward)`` of classes whose videos differ only in frame order."""

DEFAULT_CLASS_SIZES = {"brighten": 40, "darken": 8, "move_right": 24, "move_left": 6,
                       "checkerboard": 12}
"""Videos per class when ``n_videos_per_class=None``: 90 videos, imbalance ratio 40:6,
with the two smallest classes each inside an order-only pair."""

_BACKWARD = {backward: forward for forward, backward in ORDER_ONLY_PAIRS}

# (file extension, FourCC) of each ``video_format``; None writes a folder of PNG frames.
_FORMATS = {"avi": (".avi", "MJPG"), "mp4": (".mp4", "mp4v"), "frames": (None, None)}
_FPS = 10.0


def _texture(rng, height, width, amplitude):
    """Smooth random grey texture in [-amplitude, amplitude], shape (H, W, 1)."""
    coarse = rng.uniform(-1.0, 1.0, size=(max(2, height // 8), max(2, width // 8)))
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    return (amplitude * smooth)[..., None]


def _ramp(rng, n_frames, height, width):
    """Forward ``"brighten"`` frames as float: a texture whose level rises in time."""
    start, stop = rng.uniform(25.0, 60.0), rng.uniform(195.0, 230.0)
    levels = np.linspace(start, stop, n_frames)
    tint = rng.uniform(0.85, 1.0, size=3)  # a faint per-video colour cast
    texture = _texture(rng, height, width, amplitude=20.0)
    return (levels[:, None, None, None] + texture[None]) * tint


def _move(rng, n_frames, height, width):
    """Forward ``"move_right"`` frames as float: a bright square crossing left to right."""
    side = max(3, min(height, width) // 4)
    room = width - side
    x_start = rng.uniform(0.0, 0.15 * room)
    x_stop = rng.uniform(0.85 * room, room)
    top = int(rng.integers(0, height - side + 1))
    background = 60.0 + _texture(rng, height, width, amplitude=15.0)
    colour = rng.uniform(200.0, 240.0, size=3)
    frames = np.repeat(background[None], n_frames, axis=0).repeat(3, axis=-1)
    for t, x in enumerate(np.linspace(x_start, x_stop, n_frames)):
        left = int(round(x))
        frames[t, top:top + side, left:left + side] = colour
    return frames


def _checkerboard(rng, n_frames, height, width):
    """``"checkerboard"`` frames as float: a red/blue board drifting at random."""
    cell = int(rng.choice([4, 6, 8]))
    red = np.array([200.0, 40.0, 50.0]) * rng.uniform(0.85, 1.0)
    blue = np.array([40.0, 60.0, 200.0]) * rng.uniform(0.85, 1.0)
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    frames = np.empty((n_frames, height, width, 3))
    dy, dx = rng.integers(0, 2 * cell, size=2)
    for t in range(n_frames):
        dy, dx = dy + rng.integers(-1, 2), dx + rng.integers(-1, 2)
        on = (((rows + dy) // cell + (cols + dx) // cell) % 2).astype(bool)
        frames[t] = np.where(on[..., None], red, blue)
    return frames


_FORWARD_GENERATORS = {"brighten": _ramp, "move_right": _move, "checkerboard": _checkerboard}


def _make_video(class_name, rng, n_frames, height, width, noise):
    forward = _BACKWARD.get(class_name, class_name)
    frames = _FORWARD_GENERATORS[forward](rng, n_frames, height, width)
    if noise:
        frames = frames + rng.normal(0.0, noise, size=frames.shape)
    frames = np.clip(np.rint(frames), 0, 255).astype(np.uint8)
    if forward != class_name:  # the backward class of an order-only pair
        frames = np.ascontiguousarray(frames[::-1])
    return frames


def _check_sizes(n_videos_per_class):
    if n_videos_per_class is None:
        return {c: DEFAULT_CLASS_SIZES[c] for c in SYNTHETIC_CLASSES}
    if isinstance(n_videos_per_class, dict):
        unknown = sorted(set(n_videos_per_class) - set(SYNTHETIC_CLASSES))
        if unknown:
            raise ValueError(f"n_videos_per_class names unknown classes {unknown}; the "
                             f"classes are {list(SYNTHETIC_CLASSES)}.")
        sizes = {c: n_videos_per_class[c] for c in SYNTHETIC_CLASSES
                 if c in n_videos_per_class}
    elif _is_int(n_videos_per_class):
        sizes = dict.fromkeys(SYNTHETIC_CLASSES, n_videos_per_class)
    else:
        raise TypeError("n_videos_per_class must be None, an int or a dict mapping class "
                        f"names to ints, got {n_videos_per_class!r}.")
    for name, size in sizes.items():
        if not _is_int(size) or size < 0:
            raise ValueError(f"the number of videos of class {name!r} must be an int >= 0, "
                             f"got {size!r}.")
    sizes = {name: int(size) for name, size in sizes.items()}
    if sum(sizes.values()) == 0:
        raise ValueError("n_videos_per_class asks for no videos at all.")
    return sizes


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_pair(value, name, minimum, ordered=True):
    """An int or a pair of ints, each at least ``minimum`` (and low <= high if ordered)."""
    pair = (value, value) if _is_int(value) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(_is_int(v) for v in pair)):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")
    low, high = int(pair[0]), int(pair[1])
    if min(low, high) < minimum or (ordered and high < low):
        raise ValueError(f"{name} must be at least {minimum}"
                         f"{' (and low <= high)' if ordered else ''}, got {value!r}.")
    return low, high


def _write_video(frames, path_stem, video_format):
    """Write RGB frames as a video file (or a PNG frame folder); return its path."""
    extension, fourcc = _FORMATS[video_format]
    bgr = frames[..., ::-1]
    if extension is None:
        os.makedirs(path_stem, exist_ok=True)
        for t, frame in enumerate(bgr):
            if not cv2.imwrite(os.path.join(path_stem, f"frame_{t:04d}.png"), frame):
                raise OSError(f"could not write frame {t} into {path_stem!r}.")
        return path_stem
    path = path_stem + extension
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), _FPS, (width, height))
    try:
        if not writer.isOpened():
            raise OSError(f"OpenCV could not open {path!r} for writing with codec "
                          f"{fourcc!r}.")
        for frame in bgr:
            writer.write(np.ascontiguousarray(frame))
    finally:
        writer.release()
    return path


def make_synthetic_videos(n_videos_per_class=None, *, n_frames=(12, 20),
                          frame_size=(32, 32), noise=8.0, directory=None,
                          video_format="avi", random_state=0):
    """Generate an imbalanced synthetic video data set with order-only class pairs.

    Five classes (see :data:`SYNTHETIC_CLASSES`).  Two pairs of them differ *only in
    the order of their frames* (:data:`ORDER_ONLY_PAIRS`):

    * ``"brighten"`` (a texture ramping from dark to bright) and ``"darken"`` (the same
      kind of video played backwards);
    * ``"move_right"`` (a bright square crossing the frame from left to right) and
      ``"move_left"`` (the same kind of video played backwards).

    A video of the backward class is drawn exactly as one of the forward class, then
    reversed, so the set of frames of a video has the same distribution in both classes
    of a pair: a model that pools frame features over time (e.g. mean-pooled features
    and a logistic regression) is at chance on a pair, while a temporal model separates
    it.  The fifth class, ``"checkerboard"`` (a drifting red/blue board), is recognisable
    from any single frame.

    Every video is drawn from its own seed, derived from ``random_state``, its class and
    its index, so asking for more videos of a class leaves the first ones unchanged.

    Parameters
    ----------
    n_videos_per_class : None, int or dict of {str: int}, default=None
        Videos per class.  ``None`` uses :data:`DEFAULT_CLASS_SIZES` (40 ``brighten``,
        8 ``darken``, 24 ``move_right``, 6 ``move_left``, 12 ``checkerboard``); an int
        gives every class that many; a dict gives only the classes it names.
    n_frames : int or (int, int), default=(12, 20)
        Frames per video, or the inclusive range each video's length is drawn from
        uniformly.  At least 2.
    frame_size : int or (int, int), default=(32, 32)
        Frame ``(height, width)`` in pixels, at least 8; even when writing video files.
    noise : float, default=8.0
        Standard deviation of the Gaussian pixel noise added to every frame, in grey
        levels (0-255).  ``0`` gives clean frames.
    directory : str, path-like or None, default=None
        If given, write every video under ``directory/<class>/<class>_<i>.<ext>``
        (created if needed; files of the same name are overwritten) and return paths
        instead of arrays.  The layout is the one :func:`load_video_folder` reads.
    video_format : {"avi", "mp4", "frames"}, default="avi"
        File format when ``directory`` is given: ``"avi"`` (Motion-JPEG), ``"mp4"``
        (MPEG-4 part 2), or ``"frames"`` for a folder of lossless PNG frames per video.
        Video codecs are lossy: pixels read back differ slightly from the arrays.
    random_state : int, RandomState instance or None, default=0
        Seed of the whole data set.

    Returns
    -------
    X : list of ndarray of shape (T_i, H, W, 3), dtype uint8, or list of str
        RGB videos, grouped by class in the order of :data:`SYNTHETIC_CLASSES`; the
        paths of the written videos when ``directory`` is given.
    y : ndarray of shape (n_videos,), dtype str
        Class name of each video.

    See Also
    --------
    load_video_folder : Read the written class-per-folder layout back.

    Examples
    --------
    >>> from collections import Counter
    >>> from skvideo_imb.datasets import make_synthetic_videos
    >>> X, y = make_synthetic_videos()
    >>> len(X), X[0].dtype, X[0].shape[1:]
    (90, dtype('uint8'), (32, 32, 3))
    >>> Counter(y.tolist())
    Counter({'brighten': 40, 'move_right': 24, 'checkerboard': 12, 'darken': 8,
             'move_left': 6})

    A ``"brighten"`` video gets brighter, a ``"darken"`` video darker:

    >>> X, y = make_synthetic_videos({"brighten": 1, "darken": 1}, n_frames=5, noise=0)
    >>> [video.mean(axis=(1, 2, 3)).round().tolist() for video in X]
    [[41.0, 82.0, 122.0, 162.0, 202.0], [200.0, 158.0, 115.0, 73.0, 30.0]]

    Written to disk, one folder per class:

    >>> import os, tempfile
    >>> from skvideo_imb.io import count_frames
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths, y = make_synthetic_videos(2, n_frames=6, directory=tmp)
    ...     print(os.path.relpath(paths[0], tmp), count_frames(paths[0]), len(paths))
    brighten/brighten_000.avi 6 10
    """
    sizes = _check_sizes(n_videos_per_class)
    low, high = _check_pair(n_frames, "n_frames", 2)
    height, width = _check_pair(frame_size, "frame_size", 8, ordered=False)
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    if video_format not in _FORMATS:
        raise ValueError(f"video_format must be one of {sorted(_FORMATS)}, "
                         f"got {video_format!r}.")
    if directory is not None and video_format != "frames" and (height % 2 or width % 2):
        raise ValueError(f"video files need an even frame_size (codecs crop odd sizes), "
                         f"got {(height, width)}; use an even size or "
                         "video_format='frames'.")
    seed = draw_seed(random_state)

    X, y = [], []
    for class_index, class_name in enumerate(SYNTHETIC_CLASSES):
        size = sizes.get(class_name, 0)
        if directory is not None and size:
            class_dir = os.path.join(os.fspath(directory), class_name)
            os.makedirs(class_dir, exist_ok=True)
        width_i = max(3, len(str(size - 1)))
        for i in range(size):
            rng = np.random.default_rng([seed, class_index, i])
            length = int(rng.integers(low, high + 1))
            video = _make_video(class_name, rng, length, height, width, float(noise))
            if directory is not None:
                stem = os.path.join(class_dir, f"{class_name}_{i:0{width_i}d}")
                video = _write_video(video, stem, video_format)
            X.append(video)
            y.append(class_name)
    return X, np.asarray(y, dtype=str)
