"""Reading videos into RGB uint8 frames.

A *video* is one of

* a path (``str`` or :class:`os.PathLike`) to a video file that OpenCV/FFmpeg decodes;
* a path to a folder of frame images, read in natural order (``frame2`` before
  ``frame10``);
* a uint8 array of shape ``(T, H, W, 3)`` (RGB) or ``(T, H, W)`` (grey).

Everything returned is RGB uint8 ``(k, H, W, 3)``.  OpenCV hands out BGR; the one
conversion lives in :func:`_bgr_to_rgb`.  Files are decoded sequentially and only the
requested frames are kept, so memory is bounded by the number of frames asked for, not
by the video's length.  Frame counts come from decoding, never from the container header
alone (headers of real-world files are often wrong), and are memoised per file identity
(path, size, modification time).
"""

import os
import re
import stat
import warnings
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "check_raw_video", "count_frames", "frame_rate",
           "file_identity", "read_frames", "read_planned", "resize_square", "video_name"]

VIDEO_EXTENSIONS = frozenset({
    ".avi", ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".wmv", ".flv",
    ".3gp", ".ogv", ".ts",
})
IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
})

_COUNT_CACHE = OrderedDict()
_COUNT_CACHE_SIZE = 100_000
_WARNED_SHORT = set()  # file identities whose short decode was already reported


def _is_path(video):
    return isinstance(video, (str, os.PathLike))


def video_name(video):
    """A short human-readable name of a video for error messages.

    Parameters
    ----------
    video : str, path-like or ndarray
        A video in any supported form.

    Returns
    -------
    name : str

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import video_name
    >>> video_name("clips/a.avi")
    "video file 'clips/a.avi'"
    >>> video_name(np.zeros((4, 8, 8, 3), dtype=np.uint8))
    'array video of shape (4, 8, 8, 3)'
    """
    if _is_path(video):
        kind = "frame folder" if os.path.isdir(video) else "video file"
        return f"{kind} {os.fspath(video)!r}"
    if isinstance(video, np.ndarray):
        return f"array video of shape {video.shape}"
    return f"video of type {type(video).__name__}"


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


def _bgr_to_rgb(frame):
    """The single place where OpenCV's BGR (or grey) becomes RGB."""
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _natural_key(name):
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def _is_frame_image(path):
    """The frame-folder rule: a visible file with an image extension."""
    return (not path.name.startswith(".") and path.suffix.lower() in IMAGE_EXTENSIONS
            and path.is_file())


def _frame_files(folder):
    """The frame images of a folder in natural order, all of one size (else ValueError).

    The sizes are read from the image headers (no decoding) and remembered per folder
    identity, so that the reader, ``check`` and training agree on what a readable frame
    folder is whichever frames they read.
    """
    files = sorted((p for p in Path(folder).iterdir() if _is_frame_image(p)),
                   key=lambda p: _natural_key(p.name))
    if not files:
        raise ValueError(f"{video_name(folder)} contains no frame images "
                         f"(looked for {', '.join(sorted(IMAGE_EXTENSIONS))}).")
    key = ("folder",) + file_identity(folder)
    if _COUNT_CACHE.get(key) != len(files):
        _check_one_size(folder, files)
        _remember_count(key, len(files))
    return files


def _check_one_size(folder, files):
    from PIL import Image, UnidentifiedImageError

    first = None
    for file in files:
        try:
            with Image.open(file) as image:
                size = image.size
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise ValueError(f"{video_name(folder)}: frame image {file.name!r} could not "
                             f"be read ({type(exc).__name__}).") from None
        if first is None:
            first = (file.name, size)
        elif size != first[1]:
            raise ValueError(f"{video_name(folder)}: frame image {file.name!r} is "
                             f"{size[0]}x{size[1]} while {first[0]!r} is "
                             f"{first[1][0]}x{first[1][1]}; a frame folder holds frames "
                             "of one size.")


def check_raw_video(video):
    """Validate one raw video (a path or an array) and return it; see ``check_video``.

    Arrays are checked for dtype, number of dimensions, channel count and length;
    paths for existence.  Decoding problems are reported when frames are read.
    """
    if _is_path(video):
        return _check_path(os.fspath(video))
    if isinstance(video, np.ndarray):
        name = video_name(video)
        if video.dtype != np.uint8:
            raise ValueError(f"{name} must have dtype uint8, got {video.dtype}: videos "
                             "must be uint8 arrays (T, H, W[, 3]) of 0-255 pixel values; "
                             "convert float frames in [0, 1] with "
                             "(v * 255).round().astype(np.uint8).")
        if video.ndim not in (3, 4):
            raise ValueError(f"{name} must be (T, H, W, 3) RGB or (T, H, W) grey, "
                             f"got {video.ndim} dimensions.")
        if video.ndim == 4 and video.shape[3] != 3:
            raise ValueError(f"{name} must have 3 (RGB) channels in its last axis, "
                             f"got {video.shape[3]}.")
        if video.shape[0] == 0:
            raise ValueError(f"{name} has no frames.")
        if min(video.shape[1:3]) == 0:
            raise ValueError(f"{name} has empty frames.")
        return video
    raise TypeError(f"a video must be a path, a frame folder or a uint8 array, got "
                    f"{type(video).__name__}.")


def _check_path(path):
    """A regular file or a folder that can be read; anything else is a clear error.

    FIFOs, sockets and devices are refused before anything opens them (opening a FIFO
    blocks until a writer appears).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(
            f"video file or frame folder {path!r} does not exist.") from None
    except OSError as exc:  # a symlink loop, a name too long ...
        raise ValueError(f"video path {path!r} cannot be read: {exc.strerror or exc}.") \
            from exc
    if stat.S_ISDIR(mode):
        if not os.access(path, os.R_OK | os.X_OK):
            raise PermissionError(f"frame folder {path!r} cannot be read (permission "
                                  "denied).")
        return path
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special")
        raise ValueError(f"video path {path!r} is {kind}, not a regular file or a folder; "
                         "only video files and folders of frame images are read.")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise PermissionError(f"video file {path!r} cannot be read (permission "
                              "denied).") from None
    return path


def file_identity(path):
    """(absolute path, size in bytes, modification time in ns) of a file or folder.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    identity : tuple of (str, int, int)

    Examples
    --------
    >>> from skvideo_imb.io import file_identity
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "v.avi")
    >>> _ = open(path, "wb").write(b"0123")
    >>> file_identity(path)[1]
    4
    """
    st = os.stat(path)
    size = st.st_size
    mtime = st.st_mtime_ns
    if os.path.isdir(path):  # a frame folder changes when any of its files changes
        stats = [p.stat() for p in Path(path).iterdir() if _is_frame_image(p)]
        size = sum(s.st_size for s in stats)
        mtime = max([mtime] + [s.st_mtime_ns for s in stats])
    return (os.path.abspath(path), int(size), int(mtime))


def _open_capture(path):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"{video_name(path)} could not be opened as a video "
                         "(not a video, an unsupported codec, or a truncated/corrupt file).")
    return cap


def frame_rate(video):
    """Frames per second that a video file declares, or None (an array, a folder of
    frames, or a file that declares no rate)."""
    if not isinstance(video, (str, os.PathLike)) or os.path.isdir(video):
        return None
    cap = _open_capture(os.fspath(video))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
    finally:
        cap.release()
    return float(fps) if np.isfinite(fps) and fps > 0 else None


def _declared_count(cap):
    """The frame count the container declares (0 when it declares none)."""
    declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(declared) if np.isfinite(declared) and declared > 0 else 0


def _check_complete(path, key, declared, decoded):
    """Warn (once per file) when decoding stopped before the declared count."""
    if 0 < decoded < declared and key not in _WARNED_SHORT:
        _WARNED_SHORT.add(key)
        warnings.warn(f"{video_name(path)} declares {declared} frames but only {decoded} "
                      f"could be decoded (a truncated or damaged file); its first "
                      f"{decoded} frames are used.", RuntimeWarning, stacklevel=4)


def _decode_count(path, key):
    """Decode a file to its end to count its frames (checked and memoised)."""
    _, n, declared = _read_file_frames(path, (), to_end=True)
    return _counted(path, key, declared, n)


def _counted(path, key, declared, n):
    """A file's frame count ``n``, from decoding it to its end: refused when 0, warned
    about when below the ``declared`` count, and memoised."""
    if n == 0:
        raise ValueError(f"{video_name(path)} has no decodable frames "
                         "(empty, truncated or corrupt).")
    _check_complete(path, key, declared, n)
    _remember_count(key, n)
    return n


def count_frames(video):
    """Number of frames of a video, from decoding (not from the container header).

    Parameters
    ----------
    video : str, path-like or ndarray
        A video in any supported form.

    Returns
    -------
    n_frames : int

    Raises
    ------
    ValueError
        If the video cannot be decoded or has no decodable frame.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import count_frames
    >>> count_frames(np.zeros((7, 4, 4, 3), dtype=np.uint8))
    7
    """
    video = check_raw_video(video)
    if isinstance(video, np.ndarray):
        return int(video.shape[0])
    if os.path.isdir(video):
        return len(_frame_files(video))
    key = file_identity(video)
    n = _COUNT_CACHE.get(key)
    if n is None:
        n = _decode_count(video, key)
    return n


def _remember_count(key, n):
    _COUNT_CACHE[key] = n
    if len(_COUNT_CACHE) > _COUNT_CACHE_SIZE:
        _COUNT_CACHE.popitem(last=False)


def _check_indices(video, indices, n_total):
    indices = np.asarray(indices)
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise ValueError(f"frame indices must be a 1-D sequence of integers, got {indices!r}.")
    indices = indices.astype(np.int64, copy=False)
    if indices.size and (indices.min() < 0 or indices.max() >= n_total):
        has = f", which has {n_total} frames" if np.isfinite(n_total) else ""
        raise ValueError(f"frame indices {indices.min()}..{indices.max()} are out of range "
                         f"for {video_name(video)}{has}.")
    return indices


def _decoded(frame, size):
    """A decoded BGR (or grey) frame as RGB, resized first when ``size`` is given."""
    return _bgr_to_rgb(frame if size is None else resize_square(frame, size))


def _read_file_frames(path, wanted, size=None, to_end=False):
    """Decode sequentially, keeping only the frames whose index is in ``wanted``.

    ``wanted`` is a collection of indices, or a callable mapping the count the
    container declares (0 when it declares none) to one.  Decoding stops after the last
    wanted frame (at the first frame that fails to decode, too), or with ``to_end`` at
    the end of the file (a frame that fails to decode is then skipped).  Returns the
    frames by index, the number of frames decoded when decoding ran to the end of the
    file (else None), and the declared count.
    """
    cap = _open_capture(path)
    frames = {}
    n_decoded = None
    try:
        declared = _declared_count(cap)
        wanted_set = {int(i) for i in (wanted(declared) if callable(wanted) else wanted)}
        pos, last = 0, max(wanted_set, default=-1)
        while to_end or pos <= last:
            if not cap.grab():
                n_decoded = pos
                break
            if pos in wanted_set:
                ok, frame = cap.retrieve()
                if ok and frame is not None:
                    frames[pos] = _decoded(frame, size)
                elif not to_end:
                    break
            pos += 1
    finally:
        cap.release()
    return frames, n_decoded, declared


def _stack(video, by_index, indices):
    """The frames of ``by_index`` in the order of ``indices``, all of one size."""
    shapes = {f.shape for f in by_index.values()}
    if len(shapes) > 1:
        raise ValueError(f"{video_name(video)} has frames of different sizes: "
                         f"{sorted(shapes)}.")
    return np.stack([by_index[int(i)] for i in indices])


def _read_folder_frames(folder, wanted, size=None):
    files = _frame_files(folder)
    frames = {}
    for i in wanted:
        image = cv2.imread(str(files[int(i)]), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"{video_name(folder)}: frame image {files[int(i)].name!r} "
                             "could not be decoded.")
        frames[int(i)] = _decoded(image, size)
    return frames


def read_frames(video, indices=None, size=None):
    """Read the requested frames of a video as RGB uint8.

    Only the requested frames are kept in memory; a long file is decoded once,
    sequentially, up to the last requested index.

    Parameters
    ----------
    video : str, path-like or ndarray
        A video file, a folder of frame images, or a uint8 array ``(T, H, W, 3)`` RGB
        or ``(T, H, W)`` grey.
    indices : array-like of int, default=None
        Frame indices, in any order and possibly repeated.  ``None`` reads every frame.
    size : int or None, default=None
        Resize every frame to ``size`` × ``size`` (:func:`resize_square`) as soon as it
        is decoded, so that only small frames are ever held; ``None`` keeps the
        video's own size.

    Returns
    -------
    frames : ndarray of shape (len(indices), H, W, 3), dtype uint8
        RGB frames in the order of ``indices`` (``H = W = size`` when ``size`` is
        given).  For array videos in RGB this is a fancy-indexed copy of the requested
        frames only.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the video cannot be decoded, has no frames, frames of different sizes, or
        an index is out of range.  The message names the video.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import read_frames
    >>> grey = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2)
    >>> read_frames(grey, [2, 0]).shape
    (2, 2, 2, 3)
    """
    video = check_raw_video(video)
    if indices is None:
        indices = np.arange(count_frames(video))
    if len(indices) == 0:
        raise ValueError(f"no frame indices requested from {video_name(video)}.")
    if isinstance(video, np.ndarray):
        indices = _check_indices(video, indices, video.shape[0])
        frames = video[indices]
        if size is not None:
            frames = np.stack([resize_square(frame, size) for frame in frames])
        if frames.ndim == 3:
            frames = np.repeat(frames[..., None], 3, axis=-1)
        return frames
    if os.path.isdir(video):
        indices = _check_indices(video, indices, count_frames(video))
    else:
        # One sequential decode serves both the range check and the pixels: the frame
        # count is only needed up front when it is already known.
        key = file_identity(video)
        indices = _check_indices(video, indices, _COUNT_CACHE.get(key, np.inf))
    wanted = np.unique(indices)
    if os.path.isdir(video):
        by_index = _read_folder_frames(video, wanted, size)
    else:
        by_index, n_decoded, declared = _read_file_frames(video, wanted, size)
        if n_decoded is not None:  # the decoder reached the end of the file
            _check_indices(video, indices, _counted(video, key, declared, n_decoded))
        missing = [i for i in wanted if int(i) not in by_index]
        if missing:
            raise ValueError(f"{video_name(video)} could not decode frame {missing[0]} "
                             f"(the file is truncated or corrupt).")
    return _stack(video, by_index, indices)


def read_planned(video, plan, size=None):
    """Read the frames that ``plan`` picks from a video of as yet unknown length.

    ``plan(n_total)`` returns the frame indices to read from a video of ``n_total``
    frames (evenly spaced, RandDown ...).  For a file whose frame count is not yet known,
    the count the container declares is taken as a guess: the file is decoded once, to
    its end, keeping the frames the plan picks for that guess, and the decoded count
    checks the guess.  Only a file whose header is wrong is decoded a second time, for
    the plan of its true count.  The true count is memoised like :func:`count_frames`'.

    Parameters
    ----------
    video : str, path-like or ndarray
        Any raw video.
    plan : callable
        Maps a frame count to a 1-D sequence of frame indices.
    size : int or None, default=None
        As for :func:`read_frames`.

    Returns
    -------
    n_total : int
        The video's frame count, from decoding.
    indices : ndarray of int64
        ``plan(n_total)``.
    frames : ndarray of shape (len(indices), H, W, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io import evenly_spaced_indices, read_planned
    >>> video = np.arange(10, dtype=np.uint8)[:, None, None].repeat(2, 1).repeat(2, 2)
    >>> n, indices, frames = read_planned(video, lambda n: evenly_spaced_indices(n, 3))
    >>> n, indices.tolist(), frames[:, 0, 0, 0].tolist()
    (10, [1, 4, 8], [1, 4, 8])
    """
    video = check_raw_video(video)
    known = None
    if isinstance(video, np.ndarray):
        known = int(video.shape[0])
    elif os.path.isdir(video):
        known = count_frames(video)
    else:
        key = file_identity(video)
        known = _COUNT_CACHE.get(key)
    if known is not None:
        indices = np.asarray(plan(known), dtype=np.int64)
        return known, indices, read_frames(video, indices, size)
    planned = {}

    def guess(declared):  # the plan for the count the header declares
        planned["indices"] = np.asarray(plan(declared), dtype=np.int64) if declared > 0 \
            else np.empty(0, dtype=np.int64)
        return planned["indices"]
    by_index, n, declared = _read_file_frames(video, guess, size, to_end=True)
    _counted(video, key, declared, n)
    indices = planned["indices"]
    if n != declared or len(by_index) != len(set(indices.tolist())):  # a wrong header
        indices = np.asarray(plan(n), dtype=np.int64)                  # plan again
        return n, indices, read_frames(video, indices, size)
    return n, indices, _stack(video, by_index, indices)
