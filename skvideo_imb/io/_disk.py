"""Videos on disk: which paths are videos, what identifies them, how many frames they have.

The one definition of each of these lives here:

* a *video file* is a visible file with an extension in :data:`VIDEO_EXTENSIONS`;
* a *frame folder* is a folder whose visible files with an extension in
  :data:`IMAGE_EXTENSIONS` are its frames, in natural order (``frame2`` before
  ``frame10``), all of one size; hidden files (names starting with ``"."``) are never
  frames (:func:`frame_files`, :func:`is_frame_folder`);
* discovery (:func:`list_folder`, :func:`find_videos`) and a file's identity (path, size,
  modification time; :func:`file_identity`) follow those rules;
* decoding a video from its first frame to its end (:func:`decode_to_end`), which
  counting, ``check`` and the reader share;
* frame counts (:func:`frame_count`): a memo of this process, then an optional on-disk
  store (the featurizer's cache, decoded counts only), then the container's packet
  index where it is exact (``_seek``), then decoding.  Never the container header
  alone (headers of real-world files are often wrong); an index that decoding
  contradicts is dropped for the decoded count (:func:`index_disagrees`).
"""

import os
import re
import stat
import warnings
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ._pixels import bgr_to_rgb, resize_square
from ._seek import distrust, seek_index, stored_count

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "Decoded", "check_path", "count_decoded",
           "decode_to_end", "file_identity", "find_videos", "forget_counts", "frame_count",
           "frame_files", "frame_rate", "is_frame_folder", "is_hidden", "is_path",
           "list_folder", "video_name"]

VIDEO_EXTENSIONS = frozenset({
    ".avi", ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".wmv", ".flv",
    ".3gp", ".ogv", ".ts",
})
"""File extensions (compared in lower case) that make a visible file a video file, which
OpenCV then decodes; a folder's files with other extensions are not videos."""
IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
})
"""File extensions (compared in lower case) of the frames of a frame folder: its visible
files with one of them, read in natural order (``frame2`` before ``frame10``)."""

_COUNTS = OrderedDict()  # file identity -> frame count (and frame folders' checked sizes)
_COUNTS_SIZE = 100_000
_WARNED_SHORT = set()  # file identities whose short decode was already reported
_FROM_INDEX = set()  # file identities whose memoised count is the container index's


def is_path(video):
    """Whether ``video`` is given as a path (``str`` or path-like)."""
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
    if is_path(video):
        kind = "frame folder" if os.path.isdir(video) else "video file"
        return f"{kind} {os.fspath(video)!r}"
    if isinstance(video, np.ndarray):
        return f"array video of shape {video.shape}"
    return f"video of type {type(video).__name__}"


def check_path(path):
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


# ---------------------------------------------------------------- frame folders

def is_hidden(name):
    """Hidden entries (names starting with ".") are neither videos, frames nor classes."""
    return name.startswith(".")


def _has_extension(name, extensions):
    return not is_hidden(name) and os.path.splitext(name)[1].lower() in extensions


def _frame_images(folder):
    """The frame-folder rule: the visible files of ``folder`` with an image extension
    (in the order the file system lists them)."""
    with os.scandir(folder) as entries:
        return [Path(e.path) for e in entries
                if _has_extension(e.name, IMAGE_EXTENSIONS) and e.is_file()]


def _natural_key(name):
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def is_frame_folder(path):
    """Whether ``path`` is a folder that directly holds at least one frame image."""
    try:
        return os.path.isdir(path) and bool(_frame_images(path))
    except OSError:
        return False


def frame_files(folder):
    """The frame images of a folder in natural order, all of one size (else ValueError).

    The sizes are read from the image headers (no decoding) and remembered per folder
    identity, so that the reader, ``check`` and training agree on what a readable frame
    folder is whichever frames they read.
    """
    files = sorted(_frame_images(folder), key=lambda p: _natural_key(p.name))
    if not files:
        raise ValueError(f"{video_name(folder)} contains no frame images "
                         f"(looked for {', '.join(sorted(IMAGE_EXTENSIONS))}).")
    key = ("folder",) + file_identity(folder)
    if _COUNTS.get(key) != len(files):
        _check_one_size(folder, files)
        _remember(key, len(files))
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


def file_identity(path):
    """(absolute path, size in bytes, modification time in ns) of a file or folder.

    A frame folder's size and time are those of its frame images, so that it changes
    when any frame changes.

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
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "v.avi")
    >>> _ = open(path, "wb").write(b"0123")
    >>> file_identity(path)[1]
    4
    >>> tmp.cleanup()
    """
    st = os.stat(path)
    size = st.st_size
    mtime = st.st_mtime_ns
    if stat.S_ISDIR(st.st_mode):
        stats = [p.stat() for p in _frame_images(path)]
        size = sum(s.st_size for s in stats)
        mtime = max([mtime] + [s.st_mtime_ns for s in stats])
    return (os.path.abspath(path), int(size), int(mtime))


# ---------------------------------------------------------------- discovery

def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop ...
        return False


def list_folder(folder):
    """The videos directly in ``folder``, and the subfolders to search further.

    Hidden entries (names starting with ``"."``) are skipped.

    Parameters
    ----------
    folder : str or path-like

    Returns
    -------
    video_files : list of str
        Entries that are no folder and have a video extension (broken links, FIFOs ...
        included: reading them says what is wrong).
    frame_folders : list of str
        Subfolders that are frame folders.
    subfolders : list of str
        The other subfolders, symbolic links to folders excepted (no loops).

    Each list is sorted by name.

    Raises
    ------
    OSError
        If ``folder`` cannot be listed.
    """
    video_files, frame_folders, subfolders = [], [], []
    with os.scandir(folder) as entries:
        entries = sorted((e for e in entries if not is_hidden(e.name)),
                         key=lambda e: e.name)
    for entry in entries:
        if not _is_dir(entry):
            if _has_extension(entry.name, VIDEO_EXTENSIONS):
                video_files.append(entry.path)
        elif is_frame_folder(entry.path):
            frame_folders.append(entry.path)
        elif not entry.is_symlink():
            subfolders.append(entry.path)
    return video_files, frame_folders, subfolders


def _walk(folder):
    try:
        video_files, frame_folders, subfolders = list_folder(folder)
    except OSError:
        return []
    found = video_files + frame_folders
    for sub in subfolders:
        found += _walk(sub)
    return found


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
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> os.makedirs(os.path.join(root, "walk"))
    >>> for name in ("walk/a.avi", "walk/notes.txt", "b.mp4"):
    ...     open(os.path.join(root, name), "w").close()
    >>> [os.path.relpath(p, root) for p in find_videos([root])]
    ['b.mp4', 'walk/a.avi']
    >>> tmp.cleanup()
    """
    videos = []
    for path in map(os.fspath, paths):
        if not os.path.isdir(path) or is_frame_folder(path):
            videos.append(path)  # named explicitly: checked whatever it is
            continue
        videos += _walk(path) or [path]  # a folder named with nothing in it: its own row
    return videos


# ---------------------------------------------------------------- decoding

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
    if not is_path(video) or os.path.isdir(video):
        return None
    cap = _open_capture(os.fspath(video))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
    finally:
        cap.release()
    return float(fps) if np.isfinite(fps) and fps > 0 else None


def _declared_count(cap):
    """The frame count OpenCV gives for a file (0 when it gives none).

    A guess to plan with: where the container stores no count (Matroska, WebM, MPEG-TS)
    OpenCV estimates one from the duration and the frame rate, and in an MP4 it counts
    the frames an edit list hides.  :func:`stored_count` judges a decode that ends
    before it.
    """
    declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(declared) if np.isfinite(declared) and declared > 0 else 0


class Decoded(NamedTuple):
    """What :func:`decode_to_end` found.

    Attributes
    ----------
    frames : dict
        Frame index → RGB uint8 frame, for the frames asked for that decoded.
    n_frames : int or None
        Frames the video has, from decoding (``None`` when decoding stopped early).
    declared : int
        Frames the container declares (0 for frame folders and when it declares none).
    """

    frames: dict
    n_frames: int | None
    declared: int


def decode_to_end(path, keep=(), *, size=None, verify=False, stop_after=None):
    """Decode a video file or frame folder from its first frame to its end.

    The one decoding loop: counting frames, ``check`` and the reader use it.  A file is
    decoded sequentially and only the frames in ``keep`` are converted and kept, so
    memory is bounded by the number of frames asked for, not by the video's length.  A
    frame folder's frames are its images: only those in ``keep`` are read (all of them
    with ``verify``).

    Parameters
    ----------
    path : str
        A checked path (:func:`check_path`).
    keep : collection of int or callable, default=()
        Indices of the frames to keep, or a callable mapping the count the container
        declares (0 when it declares none) to them.
    size : int or None, default=None
        Resize each kept frame to ``size`` × ``size`` as soon as it is decoded.
    verify : bool, default=False
        Convert every frame and raise ValueError at the first that does not decode or
        differs in size from the first (``check``); otherwise a frame that fails to
        decode is skipped.
    stop_after : int or None, default=None
        Stop after this frame index instead of at the end (``n_frames`` is then None
        unless the video ended first).

    Returns
    -------
    decoded : Decoded

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skvideo_imb.io import decode_to_end
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> for k in range(3):
    ...     Image.fromarray(np.full((4, 4, 3), 50 * k, np.uint8)).save(f"{folder}/{k}.png")
    >>> decoded = decode_to_end(folder, keep=[2], verify=True)
    >>> decoded.n_frames, sorted(decoded.frames), decoded.frames[2][0, 0].tolist()
    (3, [2], [100, 100, 100])
    >>> tmp.cleanup()
    """
    if os.path.isdir(path):
        return _decode_folder(path, keep, size, verify)
    cap = _open_capture(path)
    n_frames, shape = None, None
    converting = _Converting(size)
    try:
        declared = _declared_count(cap)
        wanted = {int(i) for i in (keep(declared) if callable(keep) else keep)}
        pos = 0
        while stop_after is None or pos <= stop_after:
            if not cap.grab():
                n_frames = pos
                break
            if verify or pos in wanted:
                ok, frame = cap.retrieve()
                if verify:
                    shape = _verified(frame if ok else None, shape, f"frame {pos}")
                if ok and frame is not None and pos in wanted:
                    converting.add(pos, frame)
            pos += 1
        frames = converting.result()
    finally:
        converting.close()
        cap.release()
    return Decoded(frames, n_frames, declared)


class _Converting:
    """Kept frames converted (resized, to RGB) on one helper thread while the capture
    decodes the next ones.

    OpenCV releases the GIL in both, so a decode that keeps frames costs the decoder's
    time instead of the decoder's plus the resizing's (area-averaging a 720p frame to
    299 px takes as long as decoding several frames).  At most :data:`_PENDING` frames
    wait at full size; a frame that needs no resizing is converted at once.
    """

    def __init__(self, size):
        self.size, self.frames, self.pending, self.pool = size, {}, deque(), None

    def add(self, pos, frame):
        if self.size is None or frame.shape[:2] == (self.size, self.size):
            self.frames[pos] = converted_frame(frame, self.size)
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="skvideo_imb-resize")
        if len(self.pending) >= _PENDING:
            self._collect_oldest()
        self.pending.append((pos, self.pool.submit(converted_frame, frame, self.size)))

    def _collect_oldest(self):
        pos, future = self.pending.popleft()
        self.frames[pos] = future.result()

    def result(self):
        while self.pending:
            self._collect_oldest()
        return self.frames

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


_PENDING = 4


def _decode_folder(folder, keep, size, verify):
    files = frame_files(folder)
    wanted = {int(i) for i in (keep(0) if callable(keep) else keep)}
    frames, shape = {}, None
    for i in (range(len(files)) if verify else sorted(wanted)):
        # the pixels as stored, as the one-size check measures them: an EXIF
        # orientation tag (a phone photo's) would turn one frame of the video alone
        image = cv2.imread(str(files[i]), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if image is None:
            raise ValueError(f"{video_name(folder)}: frame image {files[i].name!r} "
                             "could not be decoded.")
        if verify:
            shape = _verified(image, shape, f"frame image {files[i].name!r}")
        if i in wanted:
            frames[i] = converted_frame(image, size)
    return Decoded(frames, len(files), 0)


def _verified(frame, shape, name):
    """``frame``'s shape, after checking that it decoded and has the first frame's."""
    if frame is None:
        raise ValueError(f"{name} could not be decoded")
    if shape is not None and frame.shape != shape:
        raise ValueError(f"{name} is {frame.shape[1]}x{frame.shape[0]} while the first is "
                         f"{shape[1]}x{shape[0]}")
    return frame.shape


def converted_frame(frame, size):
    """A decoded BGR (or grey) frame as RGB, resized first when ``size`` is given."""
    return bgr_to_rgb(frame if size is None else resize_square(frame, size))


# ---------------------------------------------------------------- frame counts

def _remember(key, n):
    _COUNTS[key] = n
    if len(_COUNTS) > _COUNTS_SIZE:
        _COUNTS.popitem(last=False)


def forget_counts():
    """Empty this process's memo of frame counts (as in a fresh process)."""
    _COUNTS.clear()
    _FROM_INDEX.clear()


def index_disagrees(path, decoded, key):
    """Whether a sequential decode ended before the count the container's index gave.

    Then (a packet the demuxer lists but the decoder stops at) the index is never used
    for this file again in this process, and the decoded count replaces it, with the
    warning of a short file.  Returns whether the count changed.
    """
    if key not in _FROM_INDEX or decoded.n_frames is None or \
            decoded.n_frames >= _COUNTS.get(key, 0):
        return False
    if decoded.n_frames > 0:
        count_decoded(path, decoded, None, key)  # drops the index, remembers the count
    else:
        _drop_index(key)
        _COUNTS.pop(key, None)
    return True


def _drop_index(key):
    """This file's count no longer comes from its container index, in this process."""
    _FROM_INDEX.discard(key)
    distrust(key)


def frame_count(path, store=None, decode=True, key=None):
    """The frame count of a checked video file or frame folder.

    The one place where a count is chosen: a frame folder has as many frames as frame
    images; a file's count is taken from this process's memo, else from ``store``, else
    from the container's packet index where it is exact (PyAV's demuxer, no decoding:
    the packets agree with the declared count and the frame rate is constant, see
    :mod:`skvideo_imb.io._seek`), else from decoding the file to its end
    (:func:`count_decoded`).

    Parameters
    ----------
    path : str
    store : object or None, default=None
        An on-disk tier with ``get_count(identity)`` (the count or None) and
        ``put_count(identity, n)``, such as the featurizer's feature cache.
    decode : bool, default=True
        When False, return None instead of decoding a file whose count is not known.
    key : tuple or None, default=None
        The file's identity (:func:`file_identity`) when the caller already took it.

    Returns
    -------
    n_frames : int or None
    """
    if os.path.isdir(path):
        return len(frame_files(path))
    key = file_identity(path) if key is None else key
    n = _COUNTS.get(key)
    if n is None and store is not None:
        n = store.get_count(key)
        if n is not None:
            _remember(key, n)
    if n is None:
        index = seek_index(path, key)
        if index is not None:  # (not written to ``store``: it holds decoded counts)
            n = index.n_frames
            _remember(key, n)
            _FROM_INDEX.add(key)
    if n is None and decode:
        n = count_decoded(path, decode_to_end(path), store, key)
    return n


def count_decoded(path, decoded, store=None, key=None):
    """The frame count of a file decoded to its end, remembered in the memo and in
    ``store``; refused when 0, warned about (once per file) when below the count the
    container stores (:func:`stored_count`).  ``key`` is the file's identity from
    before decoding (taken now if None)."""
    n, declared = decoded.n_frames, decoded.declared
    if n == 0:
        raise ValueError(f"{video_name(path)} has no decodable frames "
                         "(empty, truncated or corrupt).")
    key = file_identity(path) if key is None else key
    if key in _FROM_INDEX and n < _COUNTS.get(key, 0):  # the index listed more
        _drop_index(key)
    if 0 < n < declared and key not in _WARNED_SHORT:
        declared = stored_count(path, declared)  # OpenCV's count may be an estimate
        if n < declared:
            _WARNED_SHORT.add(key)
            warnings.warn(f"{video_name(path)} declares {declared} frames but only {n} "
                          f"could be decoded (a truncated or damaged file); its first "
                          f"{n} frames are used.", RuntimeWarning, stacklevel=4)
    _remember(key, n)
    if store is not None:
        store.put_count(key, n)
    return n
