"""Reading a few frames of a long file from their keyframes: exact, or not at all."""

import fractions

import numpy as np
import pytest

from _videos import mux_frames
from skvideo_imb.io import (_disk, _reader, _seek, count_frames, decode_to_end,
                            file_identity, read_frames)

av = pytest.importorskip("av")


def _frames(n, height=48, width=64, seed=0):
    """Frames that differ from one another everywhere (a moving bar, a changing level)."""
    rng = np.random.RandomState(seed)
    frames = np.empty((n, height, width, 3), dtype=np.uint8)
    for t in range(n):
        frames[t] = (t * 5) % 200 + 20
        frames[t, 8:20, (t * 3) % (width - 12):(t * 3) % (width - 12) + 12] = 250
        frames[t, -6:] = rng.randint(0, 256, (6, width, 3))
    return frames


def _write(path, n, codec, gop, *, bframes=True, vfr=False):
    frames = _frames(n)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], \
            "yuv420p"
        stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                              "preset": "veryfast", **({} if bframes else {"bf": "0"})}
        if vfr:
            stream.codec_context.time_base = fractions.Fraction(1, 1000)
        steps = np.random.RandomState(1).choice([20, 40, 80], n)
        mux_frames(container, stream, frames, steps.tolist() if vfr else None)
    return str(path)


FILES = {  # name: (codec, keyframe interval, B-frames)
    "h264_gop50": ("libx264", 50, True),
    "h264_gop12_no_b": ("libx264", 12, False),
    "mpeg4_gop30": ("mpeg4", 30, False),       # (PyAV's MPEG-4 encoder: no B-frames)
}
N = 600


@pytest.fixture(scope="module", params=sorted(FILES))
def long_file(request, tmp_path_factory):
    codec, gop, bframes = FILES[request.param]
    return _write(tmp_path_factory.mktemp("seek") / f"{request.param}.mp4", N, codec, gop,
                  bframes=bframes)


@pytest.fixture
def seeks(monkeypatch):
    """The results of every read_by_seeking call (None: abandoned for a full decode)."""
    calls, real = [], _seek.read_by_seeking

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]
    monkeypatch.setattr(_reader, "read_by_seeking", spy)
    _disk.forget_counts()
    _seek.forget_indexes()
    return calls


def _sequential(path, wanted, size=None):
    decoded = decode_to_end(path, wanted, size=size)
    return np.stack([decoded.frames[int(k)] for k in wanted])


def test_a_few_frames_of_a_long_file_are_read_by_seeking_and_identical(long_file, seeks):
    wanted = np.linspace(3, N - 2, 5).astype(int)
    index = _seek.seek_index(long_file)
    assert index is not None and index.n_frames == N == count_frames(long_file)
    assert _seek.worth_seeking(index, wanted)
    for size in (None, 32):
        frames = read_frames(long_file, wanted[::-1], size=size)   # any order
        np.testing.assert_array_equal(frames, _sequential(long_file, wanted, size)[::-1])
    assert len(seeks) == 2 and all(result is not None for result in seeks)


def test_many_frames_are_read_sequentially(long_file, seeks):
    wanted = np.arange(0, N, 3)
    frames = read_frames(long_file, wanted)
    np.testing.assert_array_equal(frames, _sequential(long_file, wanted))
    assert seeks == []           # seeking would decode more than half as many: not tried


def test_the_keyframe_spacing_decides(tmp_path):
    index = _seek.SeekIndex(np.arange(4500) * 40.0, np.arange(0, 4500, 50),
                            np.arange(4500) * 512)
    wanted = np.linspace(0, 4499, 40).astype(int)
    by_seeking, sequential = _seek.plan_cost(index, wanted)
    # from the keyframe at or before each frame: about 30 frames per wanted frame at
    # this spacing, 27% of a sequential decode (4500 frames)
    assert sequential == 4500 and 0.2 * sequential < by_seeking < 0.3 * sequential
    # all-intra (every frame a keyframe): a seek costs its overhead only
    intra = _seek.SeekIndex(index.ms, np.arange(4500), index.pts)
    assert _seek.plan_cost(intra, wanted)[0] <= 40 * (1 + _seek._SEEK_OVERHEAD)
    # one keyframe: seeking decodes from the start for every frame
    single = _seek.SeekIndex(index.ms, np.array([0]), index.pts)
    assert not _seek.worth_seeking(single, wanted)


def test_variable_frame_rate_is_never_seeked(tmp_path, seeks):
    path = _write(tmp_path / "vfr.mp4", 300, "libx264", 25, vfr=True)
    assert _seek.seek_index(path) is None
    wanted = np.array([5, 150, 290])
    np.testing.assert_array_equal(read_frames(path, wanted), _sequential(path, wanted))
    assert seeks == []


def test_a_seek_that_lands_elsewhere_falls_back_to_decoding(long_file, seeks, monkeypatch):
    index = _seek.seek_index(long_file)
    # every timestamp one frame off: PyAV stops a frame late, OpenCV's check refuses it
    step = int(index.pts[1] - index.pts[0])
    shifted = _seek.SeekIndex(index.ms + 40.0, index.keyframes, index.pts + step)
    monkeypatch.setattr(_reader, "seek_index", lambda path, key=None: shifted)
    wanted = np.array([100, 400, 590])
    np.testing.assert_array_equal(read_frames(long_file, wanted),
                                  _sequential(long_file, wanted))
    assert seeks == [None]       # tried, refused, decoded


def test_without_pyav_or_with_a_header_that_disagrees_files_are_decoded(
        long_file, seeks, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_av(name, *args, **kwargs):
        if name == "av":
            raise ImportError("no PyAV here")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_av)
    assert _seek._build_index(long_file) is None
    wanted = np.array([100, 590])
    np.testing.assert_array_equal(read_frames(long_file, wanted),
                                  _sequential(long_file, wanted))
    assert count_frames(long_file) == N                       # counted by decoding
    assert seeks == []


def _mjpeg(path, n=300):
    from _videos import write_video
    return write_video(path, _frames(n), "MJPG", fps=25)


def test_all_intra_files_seek_every_frame(tmp_path, seeks):
    path = _mjpeg(tmp_path / "intra.avi")
    index = _seek.seek_index(path)
    assert index is not None and len(index.keyframes) == index.n_frames == 300
    wanted = np.array([7, 150, 299])
    np.testing.assert_array_equal(read_frames(path, wanted), _sequential(path, wanted))
    assert len(seeks) == 1 and seeks[0] is not None


def test_a_truncated_file_is_not_indexed(tmp_path):
    data = open(_mjpeg(tmp_path / "whole.avi"), "rb").read()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with av.open(str(cut)) as container:                     # it still opens ...
        assert container.streams.video[0].frames == 300
    assert _seek._build_index(str(cut)) is None              # ... but lists ~200 packets
    _disk.forget_counts()
    _seek.forget_indexes()
    with pytest.warns(RuntimeWarning, match="declares 300 frames"):
        assert count_frames(str(cut)) < 300                  # counted by decoding


def test_a_damaged_packet_the_decoder_stops_at_replaces_the_index(tmp_path, seeks):
    from skvideo_imb.io import read_planned
    path = _mjpeg(tmp_path / "damaged.avi")
    with av.open(path) as container:
        packets = [p for p in container.demux(container.streams.video[0]) if p.size]
        at, size = packets[100].pos, packets[100].size
    data = bytearray(open(path, "rb").read())
    data[at:at + size] = bytes(size)                         # frame 100's JPEG zeroed
    open(path, "wb").write(bytes(data))
    assert count_frames(path) == 300                         # the index: 300 packets
    with pytest.warns(RuntimeWarning, match="declares 300 frames but only 100"), \
            pytest.raises(ValueError, match="could not decode frame 100"):
        read_frames(path)                                    # every frame: decoding stops
    assert count_frames(path) == 100
    assert _seek.seek_index(path, file_identity(path)) is None    # dropped for this file
    # a planned read that meets the damage plans again on the decoded count
    _disk.forget_counts()
    _seek.forget_indexes()
    n, indices, frames = read_planned(path, lambda n: np.arange(n)[n // 3:])
    assert n == 100 and indices.tolist() == list(range(33, 100)) and len(frames) == 67


def test_when_pyav_and_opencv_disagree_opencv_seeks(long_file, seeks, monkeypatch):
    real = _seek._pyav_frames

    def tinted(path, wanted, index, convert):   # a decoder that converts colours otherwise
        frames, first = real(path, wanted, index, convert)
        return frames, first ^ 1
    monkeypatch.setattr(_seek, "_pyav_frames", tinted)
    opencv = []
    monkeypatch.setattr(_seek, "_opencv_frames", lambda *a: opencv.append(a[1]) or
                        _opencv_frames(*a))
    wanted = np.array([100, 400, 590])
    np.testing.assert_array_equal(read_frames(long_file, wanted),
                                  _sequential(long_file, wanted))
    assert seeks[0] is not None and opencv == [[100], [100, 400, 590]]


_opencv_frames = _seek._opencv_frames


def _intra_refresh(path, n=300):
    """H.264 with x264's periodic intra refresh: no IDR after the first frame; the
    container's "keyframes" are recovery points, P-frames a decoder cannot start from."""
    frames = _frames(n)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], \
            "yuv420p"
        stream.options = {"x264-params": "intra-refresh=1:keyint=30", "bf": "0",
                          "preset": "veryfast"}
        mux_frames(container, stream, frames)
    return str(path)


def _without_sync_samples(path, n=300):
    """An MPEG-4 file (a keyframe every 12 frames) whose MP4 has no sync-sample table
    ('stss' renamed 'free'): every sample then counts as a keyframe."""
    import cv2
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    for frame in _frames(n):
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    data = path.read_bytes()
    assert data.count(b"stss") == 1
    path.write_bytes(data.replace(b"stss", b"free"))
    return str(path)


@pytest.mark.parametrize("make", [_intra_refresh, _without_sync_samples])
def test_keyframes_a_decoder_cannot_start_from_are_never_seeked(make, tmp_path, seeks,
                                                                monkeypatch):
    path = make(tmp_path / "video.mp4")
    index = _seek.seek_index(path)
    wanted = np.array([0, 250])
    # the container lists keyframes after frame 0, so seeking looks worth it ...
    assert index is not None and len(index.keyframes) > 1
    assert _seek.worth_seeking(index, wanted)
    # ... but a decoder started there gives broken pictures under the right timestamps
    np.testing.assert_array_equal(read_frames(path, wanted), _sequential(path, wanted))
    assert seeks == [None]
    tried = []
    monkeypatch.setattr(_seek, "_pyav_frames", lambda *a: tried.append(a))
    for k in (100, 200, 290):  # every later read of this file decodes sequentially
        np.testing.assert_array_equal(read_frames(path, [0, k]), _sequential(path, [0, k]))
    assert tried == [] and seeks == [None] * 4
