"""Checking a collection of videos before training: what is unreadable, cut short or odd."""

import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

from .._progress import track
from ._reader import (VIDEO_EXTENSIONS, _bgr_to_rgb, _check_path,
                      _declared_count, _frame_files, _is_frame_image,
                      _open_capture)

__all__ = ["VideoCheck", "find_videos", "scan_videos"]


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


def _has_images(folder):
    try:
        return any(_is_frame_image(p) for p in Path(folder).iterdir())
    except OSError:
        return False


def find_videos(paths):
    """The videos under ``paths``: files named there, and below folders every file with a
    video extension and every folder of frame images (hidden entries skipped).

    Parameters
    ----------
    paths : iterable of str or path-like
        Video files, frame folders, class-per-folder trees, a UCF101 root ...

    Returns
    -------
    videos : list of str
        In the order found; folders are walked in sorted order.  A folder named in
        ``paths`` in which nothing is found is returned itself, so that every argument
        is accounted for (reading it then says why it is no video).

    Examples
    --------
    >>> import os, tempfile
    >>> from skvideo_imb.io import find_videos
    >>> root = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(root, "walk"))
    >>> for name in ("walk/a.avi", "walk/notes.txt", "b.mp4"):
    ...     open(os.path.join(root, name), "w").close()
    >>> [os.path.relpath(p, root) for p in find_videos([root])]
    ['b.mp4', 'walk/a.avi']
    """
    videos = []
    for path in map(os.fspath, paths):
        if not os.path.isdir(path):
            videos.append(path)  # named explicitly: checked whatever it is
            continue
        if _has_images(path):
            videos.append(path)
            continue
        found = []
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if (not name.startswith(".")
                        and os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS):
                    found.append(os.path.join(folder, name))
            frame_dirs = [d for d in dirs if _has_images(os.path.join(folder, d))]
            found += [os.path.join(folder, d) for d in frame_dirs]
            dirs[:] = [d for d in dirs if d not in frame_dirs]
        videos += found or [path]  # a folder named with nothing in it: its own row
    return videos


def _decode_file(path):
    """(frames decoded, frames declared) after decoding every frame of a file."""
    cap = _open_capture(path)
    try:
        declared = _declared_count(cap)
        n, shape = 0, None
        while cap.grab():
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                raise ValueError(f"frame {n} could not be decoded")
            if shape is not None and frame.shape != shape:
                raise ValueError(f"frame {n} is {frame.shape[1]}x{frame.shape[0]} while "
                                 f"the first is {shape[1]}x{shape[0]}")
            shape = frame.shape
            n += 1
    finally:
        cap.release()
    return n, declared or None


def _decode_folder(path):
    shape = None
    files = _frame_files(path)
    for k, file in enumerate(files):
        image = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"frame image {file.name!r} could not be decoded")
        if shape is not None and image.shape != shape:
            raise ValueError(f"frame image {file.name!r} has another size than the first")
        shape = _bgr_to_rgb(image).shape
    return len(files), None


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
        _check_path(path)
        n, declared = (_decode_folder if os.path.isdir(path) else _decode_file)(path)
    except (OSError, ValueError) as exc:
        return VideoCheck(path, "unreadable", reason=f"{type(exc).__name__}: {exc}")
    if n == 0:
        return VideoCheck(path, "unreadable", 0, declared, "no frame could be decoded "
                          "(empty, truncated or corrupt)")
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
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.avi")
    >>> open(path, "w").close()
    >>> [(c.status, c.reason.split(":")[0]) for c in scan_videos([path], progress=False)]
    [('unreadable', 'ValueError')]
    """
    videos = find_videos(paths)
    checks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the statuses say it
        for path in track(videos, "checking", unit="video", verbose=progress):
            checks.append(check_one(path, min_frames))
    return checks
