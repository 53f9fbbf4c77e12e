"""Reading a few frames of a long file by seeking to keyframes, when that is exact and cheaper.

A clip of 40 frames from a 10-minute video needs 40 frames, but a sequential decode
reads every frame up to the last one used.  Compressed video can only be decoded from
a keyframe on, so reading frame ``k`` costs the frames from the keyframe before it to
``k``.  This module decides, per file and per request, whether to seek:

* **the index**: PyAV's demuxer lists the video stream's packets, their presentation
  timestamps and keyframe flags, without decoding anything (milliseconds for
  thousands of frames).  It is trusted as the file's frame count only when it agrees
  with the count the container declares, lists no frame an edit list hides and the
  frame rate is constant; otherwise (no PyAV, a truncated or variable-frame-rate file,
  a header that disagrees, a container that declares no count) the file is counted and
  read by decoding as before.  Should a sequential decode later stop before the
  index's count (a damaged packet the demuxer lists but the decoder stops at), the
  index is dropped for that file and its decoded count is used from then on;
* **the cost**: frames decoded by seeking (from the keyframe at or before each wanted
  frame; a frame reachable by decoding forward is not seeked to) against a sequential
  decode up to the last wanted frame.  Seeking is chosen when it decodes at most half
  as many frames;
* **the check**: PyAV seeks and decodes to the frame carrying the timestamp the index
  gives for its number.  After every seek the decoder's first picture must be the
  keyframe aimed at, and a keyframe to the decoder too: a file whose listed keyframes
  a decoder cannot start from (periodic intra refresh; an MP4 without a sync-sample
  table) is never seeked in again.  The first frame must be pixel for pixel what
  OpenCV (the decoder and colour conversion of a sequential read) gives for that
  number, else the file is read by OpenCV's own seeking, each frame's timestamp
  checked.  A frame that is not where the index puts it abandons seeking for a
  sequential decode.  So a seek can cost time, never give another frame.
"""

import os
import threading
from collections import OrderedDict
from typing import NamedTuple

import cv2
import numpy as np

__all__ = ["SeekIndex", "distrust", "forget_indexes", "generation", "plan_cost", "read_by_seeking",
           "seek_index", "stored_count", "worth_seeking"]

_OPENCV_LOOKBACK = 16   # OpenCV seeks to the keyframe before frame k - 16, then decodes
_SEEK_OVERHEAD = 4      # a seek's own cost (demuxer seek, decoder flush), in frames
_TIMESTAMP_TOLERANCE_MS = 0.5
_INDEX_SIZE = 64
_INDEXES = OrderedDict()  # file identity -> SeekIndex or None, the latest files
_UNUSABLE = set()  # file identities whose index disagreed with decoding, this process
_UNSEEKABLE = set()  # file identities whose listed keyframes a decoder cannot start from
_NOT_A_KEYFRAME = object()
_LOCK = threading.Lock()  # the featurizer's loader and callers' threads share these
_GENERATION = 0  # indexes dropped so far


class SeekIndex(NamedTuple):
    """What the container lists for a video stream, in presentation order.

    Attributes
    ----------
    ms : ndarray of float64
        Each frame's presentation time in milliseconds from the stream's start (what
        OpenCV reports as ``CAP_PROP_POS_MSEC`` once it has grabbed that frame).
    keyframes : ndarray of int64
        Numbers of the frames a decoder can start from, ascending.
    pts : ndarray of int64
        Each frame's presentation timestamp in the stream's time base.
    """

    ms: np.ndarray
    keyframes: np.ndarray
    pts: np.ndarray

    @property
    def n_frames(self):
        return len(self.ms)


def _build_index(path):
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            declared = int(stream.frames or 0)
            if declared <= 0:  # no count to check the index against (MKV, TS ...)
                return None
            start = stream.start_time or 0
            time_base = stream.time_base
            packets = []
            for pts, keyframe, hidden in _listed_packets(container, stream):
                if hidden:
                    return None  # an edit list's pre-roll: not frames a decoder shows
                packets.append((pts, keyframe))
    except Exception:  # whatever a damaged file raises: not indexed, decoded instead
        return None
    if time_base is None or not packets or declared != len(packets):
        return None  # the header and the index disagree: a damaged or unusual file
    packets.sort()
    pts = np.array([p for p, _ in packets], dtype=np.int64)
    if np.any(np.diff(pts) <= 0):
        return None  # repeated timestamps: frame numbers would be ambiguous
    ms = (pts - start).astype(np.float64) * float(time_base) * 1000
    steps = np.diff(ms)
    if len(steps) and steps.max() - steps.min() > _TIMESTAMP_TOLERANCE_MS:
        return None  # variable frame rate: OpenCV seeks by frame rate, not by frame
    keyframes = np.flatnonzero([kf for _, kf in packets]).astype(np.int64)
    if len(keyframes) == 0 or keyframes[0] != 0:
        return None
    return SeekIndex(ms, keyframes, pts)


def _listed_packets(container, stream):
    """(pts, keyframe, hidden) of each packet of ``stream``, demuxed, not decoded;
    ``hidden``: a frame an edit list hides (a pre-roll, a trimmed clip's start)."""
    start = stream.start_time or 0
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue  # (the demuxer's closing empty packet)
        yield packet.pts, packet.is_keyframe, bool(packet.is_discard or packet.pts < start)


def stored_count(path, declared):
    """The frame count a file's container stores, for judging a decode that ended
    before ``declared`` (OpenCV's count, ``CAP_PROP_FRAME_COUNT``).

    With PyAV: 0 when the container stores no count (OpenCV's was an estimate from the
    duration: too high for variable-frame-rate video or audio that outlasts the
    video), else the stored count less the frames an edit list hides (a trimmed clip).
    Without PyAV, or for a file PyAV cannot open, ``declared`` itself.

    Parameters
    ----------
    path : str
        A checked video file path.
    declared : int

    Returns
    -------
    n_frames : int
    """
    try:
        import av
    except ImportError:
        return declared
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            stored = int(stream.frames or 0)
            if stored <= 0:
                return 0
            hidden = 0
            try:
                for _, _, frame_hidden in _listed_packets(container, stream):
                    hidden += frame_hidden
            except av.FFmpegError:
                pass  # damaged further on: the frames hidden before that
            return max(stored - hidden, 0)
    except Exception:  # whatever PyAV raises for a file it cannot read: OpenCV's count
        return declared


def seek_index(path, key=None):
    """The container's index of a video file, or None where seeking is not exact.

    Parameters
    ----------
    path : str
        A checked video file path.
    key : hashable or None, default=None
        The file's identity (:func:`skvideo_imb.io.file_identity`); the index is
        remembered under it for the latest files.

    Returns
    -------
    index : SeekIndex or None
        None without PyAV, for a file it cannot demux, whose packet count differs from
        the count it declares, whose frame rate varies, or that does not start with a
        keyframe.
    """
    if key is not None:
        with _LOCK:
            if key in _UNUSABLE:
                return None
            if key in _INDEXES:
                _INDEXES.move_to_end(key)
                return _INDEXES[key]
    index = _build_index(os.fspath(path))
    if key is not None:
        with _LOCK:
            if key in _UNUSABLE:
                return None
            _INDEXES[key] = index
            if len(_INDEXES) > _INDEX_SIZE:
                _INDEXES.popitem(last=False)
    return index


def distrust(key):
    """Never use this file's index again in this process (decoding found fewer frames:
    a damaged packet the demuxer lists but the sequential decoder stops at)."""
    global _GENERATION
    with _LOCK:
        _UNUSABLE.add(key)
        _INDEXES.pop(key, None)
        _GENERATION += 1


def generation():
    """How many indexes this process has dropped: a reader that planned frames on a
    count and failed may plan again when this changed meanwhile."""
    return _GENERATION


def forget_indexes():
    """Empty this process's indexes (as in a fresh process)."""
    with _LOCK:
        _INDEXES.clear()
        _UNUSABLE.clear()
        _UNSEEKABLE.clear()


def _start(index, k, lookback):
    """The keyframe a decoder seeking back from frame ``k - lookback`` starts at."""
    return int(index.keyframes[np.searchsorted(index.keyframes, max(k - lookback, 0),
                                               side="right") - 1])


def _seeks(index, k, position, lookback):
    """Whether reaching frame ``k`` from ``position`` is cheaper by seeking."""
    return not (position <= k and k - position <= k - _start(index, k, lookback)
                + _SEEK_OVERHEAD)


def plan_cost(index, wanted):
    """Frames decoded to read ``wanted`` (sorted, distinct) by seeking, and sequentially.

    A seek decodes from the keyframe at or before the wanted frame; a frame that is
    cheaper to reach by decoding forward from the previous one is not seeked to.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.io._seek import SeekIndex, plan_cost
    >>> index = SeekIndex(np.arange(4500) * 40.0, np.arange(0, 4500, 50),
    ...                   np.arange(4500) * 512)
    >>> plan_cost(index, [100, 2010, 4449])
    (74, 4450)
    """
    cost, position = 0, 0
    for k in wanted:
        k = int(k)
        if _seeks(index, k, position, 0):
            cost += k - _start(index, k, 0) + 1 + _SEEK_OVERHEAD
        else:
            cost += k - position + 1
        position = k + 1
    return cost, int(wanted[-1]) + 1 if len(wanted) else 0


def worth_seeking(index, wanted):
    """Whether seeking decodes at most half the frames a sequential decode would."""
    if index is None or len(wanted) == 0 or int(wanted[-1]) >= index.n_frames:
        return False
    by_seeking, sequential = plan_cost(index, wanted)
    return 2 * by_seeking <= sequential


def read_by_seeking(path, wanted, index, convert, key=None):
    """The frames ``wanted`` (sorted, distinct), each checked against the index.

    PyAV seeks to the keyframe at or before each frame and decodes forward to the frame
    whose timestamp the index gives.  After every seek, the first picture the decoder
    shows must be that keyframe, marked a keyframe by the decoder itself: a container
    may flag packets a decoder cannot start from (x264's periodic intra refresh, whose
    recovery points are P-frames; an MP4 without a sync-sample table, where every
    sample counts as a keyframe), and decoding from them gives broken pictures under
    the right timestamps.  Such a file is then never read by seeking (the caller
    decodes it sequentially).  The first frame is also compared with what OpenCV
    decodes for the same number (the decoder and colour conversion of a sequential
    read); should they differ in one pixel, the file is read by OpenCV's own seeking
    instead (which decodes from further back), each frame's timestamp checked.

    Parameters
    ----------
    path : str
    wanted : sequence of int
        Frame numbers, ascending, below ``index.n_frames``.
    index : SeekIndex
    convert : callable
        Maps a decoded BGR frame to the frame kept (as a sequential decode does).
    key : hashable or None, default=None
        The file's identity: a file whose keyframes failed the check is remembered
        under it (this process) and not seeked in again.

    Returns
    -------
    frames : dict or None
        Frame number → converted frame; None when a frame did not decode or was not
        where the index puts it (the caller then decodes sequentially).
    """
    wanted = [int(k) for k in wanted]
    if key is not None and key in _UNSEEKABLE:
        return None
    pyav = _pyav_frames(path, wanted, index, convert)
    if pyav is _NOT_A_KEYFRAME:  # keyframes a decoder cannot start from: never seek
        if key is not None:
            with _LOCK:
                _UNSEEKABLE.add(key)
        return None
    if pyav is not None:
        frames, first = pyav
        check = _opencv_frames(path, wanted[:1], index, lambda frame: frame)
        if check is not None and np.array_equal(check[wanted[0]], first):
            return frames
    return _opencv_frames(path, wanted, index, convert)


def _pyav_frames(path, wanted, index, convert):
    """(converted frames, the first frame as decoded) by PyAV; None when a frame is not
    where the index puts it; :data:`_NOT_A_KEYFRAME` when a seek did not start at the
    keyframe it aimed at, or that picture is not a keyframe to the decoder."""
    import av

    frames, first = {}, None
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            decoding, position = None, 0
            for k in wanted:
                aimed = None
                if decoding is None or _seeks(index, k, position, 0):
                    container.seek(int(index.pts[k]), stream=stream, backward=True,
                                   any_frame=False)
                    decoding = container.decode(stream)
                    aimed = int(index.pts[_start(index, k, 0)])
                for picture in decoding:
                    if picture.pts is None:
                        return None
                    if aimed is not None and picture.pts >= aimed:
                        # the first picture from the keyframe on (an open GOP's leading
                        # pictures, shown before it, are not wanted) must be the keyframe
                        if picture.pts != aimed or not picture.key_frame:
                            return _NOT_A_KEYFRAME
                        aimed = None
                    if picture.pts > index.pts[k]:
                        return None  # passed it: not where the index says
                    if picture.pts == index.pts[k]:
                        break
                else:
                    return None
                frame = picture.to_ndarray(format="bgr24")
                if first is None:
                    first = frame
                frames[k] = convert(frame)
                position = k + 1
    except Exception:  # a damaged stream: the caller decodes the file instead
        return None
    return frames, first


def _opencv_frames(path, wanted, index, convert):
    """The frames by OpenCV's seeking, each timestamp checked, or None."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        return None
    frames, position = {}, 0
    try:
        for k in wanted:
            if _seeks(index, k, position, _OPENCV_LOOKBACK):
                cap.set(cv2.CAP_PROP_POS_FRAMES, k)
                position = k
            while position < k:  # decode forward, keeping nothing
                if not cap.grab():
                    return None
                position += 1
            if not cap.grab():
                return None
            position = k + 1
            if abs(cap.get(cv2.CAP_PROP_POS_MSEC) - index.ms[k]) > _TIMESTAMP_TOLERANCE_MS:
                return None  # landed on another frame
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                return None
            frames[k] = convert(frame)
    finally:
        cap.release()
    return frames
