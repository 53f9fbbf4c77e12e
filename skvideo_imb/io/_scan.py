"""Checking a collection of videos before training: what is unreadable, cut short or odd.

Which paths are videos and how they decode is ``_disk``'s; this module only judges
what decoding every frame found.
"""

import os
import warnings
from dataclasses import asdict, dataclass

from .._progress import track
from ._disk import check_path, decode_to_end, find_videos
from ._seek import stored_count

__all__ = ["VideoCheck", "scan_videos"]


@dataclass(frozen=True)
class VideoCheck:
    """What decoding one video from start to end found.

    Attributes
    ----------
    path : str
    status : {"ok", "unreadable", "truncated", "suspicious"}
        ``unreadable``: it cannot be opened or decoded at all (the reason says why);
        ``truncated``: fewer frames decode than the container declares;
        ``suspicious``: it decodes, but has fewer than ``min_frames`` frames.
    n_frames : int or None
        Frames decoded.
    declared_frames : int or None
        Frames the container declares (``None`` for frame folders or when it declares
        none).
    reason : str
        Empty for ``ok``.
    """

    path: str
    status: str
    n_frames: int | None = None
    declared_frames: int | None = None
    reason: str = ""

    def as_dict(self):
        """The check as a plain dict (for JSON)."""
        return asdict(self)


def check_one(path, min_frames=2):
    """Decode one video from start to end and say what was found.

    Parameters
    ----------
    path : str or path-like
    min_frames : int, default=2
        Fewer decodable frames than this is ``suspicious``.

    Returns
    -------
    check : VideoCheck
    """
    path = os.fspath(path)
    try:
        decoded = decode_to_end(check_path(path), verify=True)
    except (OSError, ValueError) as exc:
        return VideoCheck(path, "unreadable", reason=f"{type(exc).__name__}: {exc}")
    n, declared = decoded.n_frames, decoded.declared or None
    if n == 0:
        return VideoCheck(path, "unreadable", 0, declared, "no frame could be decoded "
                          "(empty, truncated or corrupt)")
    if declared and n < declared:  # OpenCV's count: an estimate, or the one stored?
        declared = stored_count(path, declared) or None
        if declared and n < declared:
            return VideoCheck(path, "truncated", n, declared,
                              f"declares {declared} frames, {n} decode")
    if n < min_frames:
        return VideoCheck(path, "suspicious", n, declared,
                          f"only {n} frame{'s' * (n != 1)} (fewer than {min_frames})")
    return VideoCheck(path, "ok", n, declared)


def scan_videos(paths, *, min_frames=2, progress=True):
    """Decode every video under ``paths`` and report what is wrong with each.

    Parameters
    ----------
    paths : iterable of str or path-like
        Video files, frame folders or folders to search (see :func:`find_videos`).
    min_frames : int, default=2
        Fewer decodable frames than this is ``suspicious``.
    progress : bool, default=True
        Show progress on standard error (a bar on a terminal, plain lines otherwise).

    Returns
    -------
    checks : list of VideoCheck
        One per video found, in the order of :func:`find_videos`.

    Examples
    --------
    >>> import os, tempfile
    >>> from skvideo_imb.io import scan_videos
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "empty.avi")
    >>> open(path, "w").close()
    >>> [(c.status, c.reason.split(":")[0]) for c in scan_videos([path], progress=False)]
    [('unreadable', 'ValueError')]
    >>> tmp.cleanup()
    """
    videos = find_videos(paths)
    checks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the statuses say it
        for path in track(videos, "checking", unit="video", verbose=progress):
            checks.append(check_one(path, min_frames))
    return checks
