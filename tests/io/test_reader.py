import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

import _children
from _videos import write_video
from skvideo_imb.io import count_frames, read_frames, video_name
from skvideo_imb.io import _disk


def _brightness(frames):
    return frames.reshape(len(frames), -1).mean(axis=1)


@pytest.mark.parametrize("fixture", ["avi_path", "mp4_path"])
def test_read_file_counts_and_rgb_order(request, fixture, video_frames):
    path = request.getfixturevalue(fixture)
    assert count_frames(path) == len(video_frames)
    frames = read_frames(path)
    assert frames.dtype == np.uint8 and frames.shape == video_frames.shape
    # Lossy codecs: compare brightness, and that red (tinted) is channel 0, i.e. RGB.
    np.testing.assert_allclose(_brightness(frames), _brightness(video_frames), atol=6)
    assert (frames[..., 0].astype(int) - frames[..., 2].astype(int)).mean() > 4


def test_read_selected_indices_in_requested_order(avi_path, video_frames):
    all_frames = read_frames(avi_path)
    some = read_frames(avi_path, [7, 2, 2, 11])
    np.testing.assert_array_equal(some, all_frames[[7, 2, 2, 11]])


def test_only_requested_frames_are_converted(avi_path, monkeypatch):
    calls = []
    real = _disk.bgr_to_rgb
    monkeypatch.setattr(_disk, "bgr_to_rgb", lambda f: calls.append(1) or real(f))
    read_frames(avi_path, [3, 5])
    assert len(calls) == 2


def test_count_comes_from_decoding_not_header(avi_path, monkeypatch):
    real_capture = cv2.VideoCapture

    class LyingCapture:
        def __init__(self, path):
            self._cap = real_capture(path)

        def get(self, prop):  # the header claims 1000 frames
            return 1000 if prop == cv2.CAP_PROP_FRAME_COUNT else self._cap.get(prop)

        def __getattr__(self, name):
            return getattr(self._cap, name)

    monkeypatch.setattr(_disk.cv2, "VideoCapture", LyingCapture)
    _disk.forget_counts()
    assert count_frames(avi_path) == 12


def test_frame_count_is_memoised_per_file_identity(avi_path, monkeypatch):
    _disk.forget_counts()
    count_frames(avi_path)
    monkeypatch.setattr(_disk, "decode_to_end", lambda *a, **k: pytest.fail("decoded twice"))
    assert count_frames(avi_path) == 12
    assert count_frames(avi_path, decode=False) == 12


def test_frame_folder_natural_order(tmp_path, video_frames):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(video_frames):
        cv2.imwrite(str(folder / f"frame{i}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    (folder / "notes.txt").write_text("not a frame")
    assert count_frames(folder) == len(video_frames)
    np.testing.assert_array_equal(read_frames(folder), video_frames)  # png is lossless
    np.testing.assert_array_equal(read_frames(str(folder), [10, 2]), video_frames[[10, 2]])


def test_arrays_rgb_and_grey():
    rgb = np.random.RandomState(0).randint(0, 256, (5, 4, 6, 3)).astype(np.uint8)
    np.testing.assert_array_equal(read_frames(rgb, [4, 0]), rgb[[4, 0]])
    grey = rgb[..., 0].copy()
    out = read_frames(grey)
    assert out.shape == (5, 4, 6, 3)
    np.testing.assert_array_equal(out[..., 1], grey)
    assert count_frames(grey) == 5


# ---------------------------------------------------------------- bad input, named


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.avi")
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        read_frames(path)


def test_not_a_video(tmp_path):
    path = tmp_path / "notes.avi"
    path.write_bytes(b"this is plain text, not a video" * 100)
    with pytest.raises(ValueError, match="notes.avi"):
        count_frames(path)


def test_truncated_file(tmp_path, video_frames):
    path = write_video(tmp_path / "cut.mp4", video_frames, "mp4v")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.mp4"):
        read_frames(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.avi"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.avi"):
        count_frames(path)


def test_video_with_zero_frames(tmp_path):
    path = tmp_path / "zero.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    writer.release()
    with pytest.raises(ValueError, match="zero.avi"):
        read_frames(path)


def test_index_out_of_range_names_video(avi_path):
    with pytest.raises(ValueError, match="gradient.avi.*12 frames"):
        read_frames(avi_path, [12])
    with pytest.raises(ValueError, match="out of range"):
        read_frames(np.zeros((3, 4, 4), np.uint8), [-1])


def test_empty_folder(tmp_path):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match="nothing.*no frame images"):
        read_frames(tmp_path / "nothing")


def test_corrupt_frame_image(tmp_path, video_frames):
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "0001.png"), video_frames[0])
    (folder / "0002.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="0002.png"):
        read_frames(folder)


def test_folder_frames_of_different_sizes(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    cv2.imwrite(str(folder / "1.png"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(folder / "2.png"), np.zeros((9, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="'2.png' is 8x9 while '1.png' is 8x8"):
        read_frames(folder)
    # reading one frame, resized, is refused too: a frame folder holds frames of one size
    with pytest.raises(ValueError, match="frames of one size"):
        read_frames(folder, [0], size=4)
    (folder / ".hidden.png").write_bytes(b"not an image")  # hidden files are no frames
    (folder / "2.png").unlink()
    assert read_frames(folder).shape == (1, 8, 8, 3)


def test_folder_frames_are_read_as_stored_whatever_their_exif_orientation(tmp_path):
    """A phone photo's EXIF orientation tag would turn one frame alone (and make it
    another size than the one-size check measured): frames are read as stored."""
    from PIL import Image
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.RandomState(0)
    stored = rng.randint(0, 256, (3, 40, 60, 3), dtype=np.uint8)
    for k, frame in enumerate(stored):
        exif = Image.Exif()
        if k == 1:
            exif[0x0112] = 6  # "rotate 90° clockwise to display"
        Image.fromarray(frame).save(folder / f"{k}.png", exif=exif)
    frames = read_frames(folder)
    assert frames.shape == (3, 40, 60, 3)
    np.testing.assert_array_equal(frames, stored)          # (PNG: lossless)
    np.testing.assert_array_equal(read_frames(folder, [1]), stored[[1]])


@pytest.mark.parametrize("array, match", [
    (np.zeros((4, 8, 8, 3), dtype=np.float32), "dtype uint8"),
    (np.zeros((8, 8), dtype=np.uint8), "got 2 dimensions"),
    (np.zeros((2, 4, 8, 8, 3), dtype=np.uint8), "got 5 dimensions"),
    (np.zeros((4, 8, 8, 4), dtype=np.uint8), "3 \\(RGB\\) channels"),
    (np.zeros((0, 8, 8, 3), dtype=np.uint8), "no frames"),
])
def test_bad_arrays_named(array, match):
    with pytest.raises(ValueError, match=match) as info:
        read_frames(array)
    assert "array video of shape" in str(info.value)


def test_video_name_forms(tmp_path):
    assert "frame folder" in video_name(tmp_path)
    assert video_name(os.path.join("x", "a.avi")).startswith("video file")


def test_reading_an_uncounted_file_decodes_it_once(avi_path, monkeypatch):
    _disk.forget_counts()
    opened = []
    real_open = _disk._open_capture
    monkeypatch.setattr(_disk, "_open_capture", lambda p: opened.append(p) or real_open(p))
    assert read_frames(avi_path, [1, 4]).shape[0] == 2
    assert len(opened) == 1  # no separate counting pass
    with pytest.raises(ValueError, match="gradient.avi', which has 12 frames"):
        read_frames(avi_path, [3, 40])  # runs to the end, learns the count
    assert count_frames(avi_path, decode=False) == 12


@pytest.mark.parametrize("make", [lambda p: p, lambda p: np.zeros((3, 4, 4), np.uint8)])
def test_no_indices_is_an_error_for_every_form(avi_path, make):
    with pytest.raises(ValueError, match="no frame indices"):
        read_frames(make(avi_path), [])


# ---------------------------------------------------------------- hostile paths

FIFO_SCRIPT = """
import sys
from skvideo_imb.io import count_frames, read_frames
for call in (lambda p: count_frames(p), lambda p: read_frames(p, [0])):
    try:
        call(sys.argv[1])
    except ValueError as exc:
        print(exc)
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "x.mp4"
    os.mkfifo(fifo)
    # in another process, which a test can kill if opening the FIFO blocks it
    stdout, _ = _children.start(FIFO_SCRIPT, [fifo]).communicate(timeout=60)
    out = stdout.splitlines()
    assert len(out) == 2
    assert all("x.mp4' is a FIFO, not a regular file or a folder" in line for line in out)


def test_an_unreadable_file_is_a_permission_error(avi_path, monkeypatch):
    if os.geteuid() == 0:  # root reads anything: make the open fail as it would
        real_open = open

        def denying_open(path, *args, **kwargs):
            if os.fspath(path) == avi_path:
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr(_disk, "open", denying_open, raising=False)
    else:
        os.chmod(avi_path, 0)
    for call in (count_frames, read_frames):
        with pytest.raises(PermissionError, match="gradient.avi' cannot be read"):
            call(avi_path)


def test_a_symlink_loop_is_a_clear_error(tmp_path):
    loop = tmp_path / "loop.avi"
    os.symlink(loop, loop)
    with pytest.raises(ValueError, match="loop.avi' cannot be read"):
        count_frames(str(loop))


def test_a_truncated_file_warns_once_with_both_counts(tmp_path, video_frames):
    path = write_video(tmp_path / "long.avi", np.concatenate([video_frames] * 3), "MJPG")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    with pytest.warns(RuntimeWarning, match=r"long.avi' declares 36 frames but only \d+ "
                                            r"could be decoded") as record:
        n = count_frames(path)
    assert 0 < n < 36 and len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # the same file is not reported twice
        assert read_frames(path).shape[0] == n


def test_reading_to_the_end_also_checks_the_declared_count(tmp_path, video_frames):
    path = write_video(tmp_path / "cut.avi", np.concatenate([video_frames] * 3), "MJPG")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    with pytest.warns(RuntimeWarning, match="cut.avi' declares 36 frames"):
        with pytest.raises(ValueError, match="out of range"):
            read_frames(path, [35])           # decodes to the end, learns the count


def test_complete_files_do_not_warn(avi_path, mp4_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in (avi_path, mp4_path):
            assert count_frames(path) == 12 and read_frames(path, [11]).shape[0] == 1


# ---------------------------------------------------------------- one pass

def test_read_planned_decodes_an_unknown_file_once(tmp_path, video_frames, monkeypatch):
    from skvideo_imb.io import evenly_spaced_indices, read_planned
    path = write_video(tmp_path / "v.avi", video_frames, "MJPG")
    _disk.forget_counts()
    opened = []
    real_open = _disk._open_capture
    monkeypatch.setattr(_disk, "_open_capture", lambda p: opened.append(p) or real_open(p))
    n, indices, frames = read_planned(path, lambda n: evenly_spaced_indices(n, 4), size=8)
    assert (n, indices.tolist(), frames.shape) == (12, [1, 4, 7, 10], (4, 8, 8, 3))
    assert len(opened) == 1                               # counted and read in one pass
    np.testing.assert_array_equal(frames, read_frames(path, [1, 4, 7, 10], size=8))
    assert count_frames(path, decode=False) == 12


def test_read_planned_replans_when_the_header_lies(tmp_path, video_frames, monkeypatch):
    from skvideo_imb.io import evenly_spaced_indices, read_planned
    path = write_video(tmp_path / "v.avi", video_frames, "MJPG")
    _disk.forget_counts()
    monkeypatch.setattr(_disk, "_declared_count", lambda cap: 30)   # a wrong header
    monkeypatch.setattr(_disk, "stored_count", lambda path, declared: declared)  # stored
    monkeypatch.setattr(_disk, "seek_index", lambda path, key=None: None)  # (and no index)
    with pytest.warns(RuntimeWarning, match="declares 30 frames but only 12"):
        n, indices, frames = read_planned(path, lambda n: evenly_spaced_indices(n, 4))
    assert (n, indices.tolist()) == (12, [1, 4, 7, 10])
    np.testing.assert_array_equal(frames, read_frames(path, [1, 4, 7, 10]))


def test_sized_reading_resizes_each_frame_with_one_rule(avi_path):
    from skvideo_imb.io import resize_square
    full = read_frames(avi_path, [0, 5])
    small = read_frames(avi_path, [0, 5], size=16)
    np.testing.assert_array_equal(small, np.stack([resize_square(f, 16) for f in full]))
    big = read_frames(avi_path, [0], size=64)              # enlarged: bilinear
    assert big.shape == (1, 64, 64, 3)
