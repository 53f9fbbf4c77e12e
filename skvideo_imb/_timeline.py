"""Classifying a long video window by window: where in it each class appears."""

from dataclasses import asdict, dataclass

import numpy as np

from ._steps import walk_steps
from .io import Clip, check_video, count_frames
from .io._disk import frame_rate

__all__ = ["TimelineWindow", "predict_timeline", "window_clips"]


@dataclass(frozen=True)
class TimelineWindow:
    """The prediction for one window of a long video.

    Attributes
    ----------
    start_frame, end_frame : int
        First and last frame of the window (inclusive).
    start_s, end_s : float or None
        The same in seconds (``None`` when the video has no frame rate: arrays, folders).
    label : object
        The most probable class.
    probability : float
        Its probability.
    probabilities : dict
        Class → probability.
    """

    start_frame: int
    end_frame: int
    start_s: float | None
    end_s: float | None
    label: object
    probability: float
    probabilities: dict

    def as_dict(self):
        """The window as a plain dict (for JSON and CSV)."""
        return asdict(self)


def window_clips(video, window, stride, n_frames):
    """The clips of the windows ``[s, s + window)`` of a video, ``s = 0, stride, ...``.

    Each clip holds ``n_frames`` evenly spaced frames of its window, chosen by
    :meth:`Clip.resolve` (a lazy clip with ``window=(s, s + window)``).  A video shorter
    than one window is one window; the last window ends at the last frame, so that the
    end of the video is covered.

    Parameters
    ----------
    video : str, path-like or ndarray
    window : int
        Frames per window.
    stride : int
        Frames between the starts of two windows.
    n_frames : int
        Frames per clip (the model's ``n_frames``).

    Returns
    -------
    clips : list of Clip
        Resolved (concrete) clips.
    starts : list of int
        The first frame of each window.
    n_total : int
        Frames of the video.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import window_clips
    >>> clips, starts, n = window_clips(np.zeros((10, 4, 4), np.uint8), 4, 3, 2)
    >>> starts, [c.indices for c in clips], n
    ([0, 3, 6], [(1, 3), (4, 6), (7, 9)], 10)
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be at least 1 frame, got {window} and "
                         f"{stride}.")
    video = check_video(video)
    n_total = count_frames(video)
    window = min(window, n_total)
    starts = list(range(0, n_total - window + 1, stride))
    if starts[-1] + window < n_total:
        starts.append(n_total - window)
    clips = [Clip(video, n_frames=n_frames, window=(start, start + window)).resolve(
        count=lambda _: n_total) for start in starts]
    return clips, starts, n_total


def predict_timeline(model, video, window, stride, n_frames=None):
    """Classify a long video window by window.

    Parameters
    ----------
    model : fitted pipeline
        Anything with ``predict_proba`` and ``classes_`` that takes clips (the
        toolkit's pipelines do).
    video : str, path-like or ndarray
        One video.
    window : int
        Frames per window.
    stride : int
        Frames between the starts of two windows.
    n_frames : int or None, default=None
        Frames per clip; by default the model's ``n_frames``.

    Returns
    -------
    timeline : list of TimelineWindow

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import make_video_pipeline, predict_timeline
    >>> from skvideo_imb.datasets import make_synthetic_videos
    >>> X, y = make_synthetic_videos({"brighten": 4, "checkerboard": 4}, n_frames=6)
    >>> model = make_video_pipeline(
    ...     None, n_frames=3, featurizer={"weights": None, "image_size": 75},
    ...     classifier={"hidden_size": 8, "fc_size": 8, "max_epochs": 2},
    ...     random_state=0).fit(X, y)
    >>> long_video = np.concatenate([X[0], X[-1]])           # 12 frames
    >>> timeline = predict_timeline(model, long_video, window=6, stride=3)
    >>> [(w.start_frame, w.end_frame) for w in timeline]
    [(0, 5), (3, 8), (6, 11)]
    """
    n_frames = n_frames or _model_n_frames(model)
    clips, starts, n_total = window_clips(video, window, stride, n_frames)
    proba = model.predict_proba(clips)
    classes = model.classes_
    fps = frame_rate(check_video(video))
    span = min(window, n_total)
    timeline = []
    for start, p in zip(starts, proba):
        best = int(np.argmax(p))
        end = start + span - 1
        timeline.append(TimelineWindow(
            start, end, None if fps is None else start / fps,
            None if fps is None else (end + 1) / fps, _plain(classes[best]), float(p[best]),
            {str(c): float(q) for c, q in zip(classes, p)}))
    return timeline


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _model_n_frames(model):
    n_frames = getattr(model, "n_frames", None)
    for step in walk_steps(model):
        n_frames = n_frames or step.get_params(deep=False).get("n_frames")
    if not n_frames:
        raise ValueError("the model does not say how many frames it reads; pass n_frames.")
    return int(n_frames)
