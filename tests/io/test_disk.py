"""What a video on disk is: one frame-folder rule, one decoding loop, one count choice."""

import os
import threading

import cv2
import numpy as np
import pytest

from skvideo_imb.datasets import load_video_folder
from skvideo_imb.io import (count_frames, decode_to_end, file_identity, find_videos,
                            read_frames, scan_videos)
from skvideo_imb.io import _disk, _seek


def _png(path, value, size=(8, 8)):
    cv2.imwrite(str(path), np.full(size + (3,), value, np.uint8))


@pytest.fixture
def hidden_tree(tmp_path):
    """root/walk/clip: 3 frames and a hidden image of another size; root/walk/ghost:
    only a hidden image (no video)."""
    root = tmp_path / "videos"
    clip, ghost = root / "walk" / "clip", root / "walk" / "ghost"
    clip.mkdir(parents=True)
    ghost.mkdir()
    for k in range(3):
        _png(clip / f"f{k}.png", 40 * k)
    _png(clip / ".thumb.png", 255, size=(5, 7))
    _png(ghost / ".thumb.png", 255)
    return root, str(clip)


def test_every_path_skips_hidden_images_alike(hidden_tree):
    root, clip = hidden_tree
    assert count_frames(clip) == 3
    frames = read_frames(clip)                    # one size: the hidden one is no frame
    assert frames.shape == (3, 8, 8, 3) and frames[:, 0, 0, 0].tolist() == [0, 40, 80]
    assert decode_to_end(clip, verify=True).n_frames == 3
    (check,) = scan_videos([clip], progress=False)
    assert (check.status, check.n_frames) == ("ok", 3)
    assert find_videos([root]) == [clip]          # ghost holds no frame: no video
    assert load_video_folder(root).videos == [clip]
    before = file_identity(clip)
    _png(os.path.join(clip, ".thumb.png"), 0, size=(9, 9))  # another size and time
    os.utime(os.path.join(clip, ".thumb.png"), ns=(before[2] + 10**9,) * 2)
    assert file_identity(clip) == before


class Store:
    """An on-disk tier of counts as the feature cache offers it, recording its calls."""

    def __init__(self, counts=None):
        self.counts, self.calls = dict(counts or {}), []

    def get_count(self, identity):
        self.calls.append("get")
        return self.counts.get(identity)

    def put_count(self, identity, n):
        self.calls.append("put")
        self.counts[identity] = n


def _no_decoding(monkeypatch):
    monkeypatch.setattr(_disk, "_open_capture", lambda p: pytest.fail("decoded " + p))


def test_a_count_comes_from_the_container_index_without_decoding(avi_path, monkeypatch):
    pytest.importorskip("av")
    _disk.forget_counts()
    _seek._INDEXES.clear()
    store = Store()
    with monkeypatch.context() as patch:
        _no_decoding(patch)
        assert count_frames(avi_path, store=store, decode=False) == 12   # demuxed only
    assert store.counts == {}              # the store holds decoded counts only


def test_a_count_comes_from_the_memo_then_the_store_then_decoding(avi_path, monkeypatch):
    monkeypatch.setattr(_disk, "seek_index", lambda path, key=None: None)  # no index
    _disk.forget_counts()
    store = Store()
    assert count_frames(avi_path, store=store, decode=False) is None
    assert count_frames(avi_path, store=store) == 12            # decoded, written
    assert store.counts == {file_identity(avi_path): 12}
    _disk.forget_counts()                                       # a fresh process
    store.calls.clear()
    with monkeypatch.context() as patch:
        _no_decoding(patch)
        assert count_frames(avi_path, store=store) == 12        # from the store
        assert store.calls == ["get"]
        assert count_frames(avi_path, store=Store(), decode=False) == 12  # memo first
    store.counts[file_identity(avi_path)] = 7                   # the memo wins
    assert count_frames(avi_path, store=store) == 12


def test_decode_to_end_keeps_only_what_is_asked(avi_path, video_frames):
    decoded = decode_to_end(avi_path, keep=[0, 5], size=16)
    assert (decoded.n_frames, decoded.declared, sorted(decoded.frames)) == (12, 12, [0, 5])
    np.testing.assert_array_equal(decoded.frames[5], read_frames(avi_path, [5], size=16)[0])
    assert decode_to_end(avi_path, keep=[2], stop_after=2).n_frames is None
    assert sorted(decode_to_end(avi_path, keep=lambda declared: [declared - 1]).frames) == [11]


def test_kept_frames_are_resized_off_the_decoding_thread_with_the_same_pixels(avi_path,
                                                                             monkeypatch):
    threads, real = set(), _disk.converted_frame

    def spy(frame, size):
        threads.add(threading.current_thread().name)
        return real(frame, size)
    monkeypatch.setattr(_disk, "converted_frame", spy)
    monkeypatch.setattr(_disk, "_PENDING", 2)  # more kept frames than may wait
    decoded = decode_to_end(avi_path, keep=range(12), size=16)
    assert threads and all(name.startswith("skvideo_imb-resize") for name in threads)
    cap, expected = cv2.VideoCapture(avi_path), []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        expected.append(real(frame, 16))
    cap.release()
    assert sorted(decoded.frames) == list(range(12))
    np.testing.assert_array_equal(np.stack([decoded.frames[i] for i in range(12)]),
                                  np.stack(expected))
    threads.clear()  # no resizing: converted at once, on the caller's thread
    decode_to_end(avi_path, keep=[1])
    assert threads == {threading.current_thread().name}


def test_a_failed_resize_is_raised_by_the_decoding_call(avi_path, monkeypatch):
    def broken(frame, size):
        raise MemoryError("no room for the frame")
    monkeypatch.setattr(_disk, "converted_frame", broken)
    with pytest.raises(MemoryError, match="no room"):
        decode_to_end(avi_path, keep=[0, 3], size=16)


def test_verify_decodes_every_frame_image(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(3):
        _png(folder / f"{k}.png", 10)
    data = (folder / "1.png").read_bytes()
    (folder / "1.png").write_bytes(data[:len(data) - 20])   # header intact, pixels cut
    assert count_frames(folder) == 3 and decode_to_end(str(folder)).n_frames == 3
    with pytest.raises(ValueError, match="'1.png' could not be decoded"):
        decode_to_end(str(folder), verify=True)
    (check,) = scan_videos([folder], progress=False)
    assert check.status == "unreadable" and "1.png" in check.reason
