"""Windows of a long video and the timeline of their predictions."""

import numpy as np
import pytest

from _videos import gradient_video, write_video
from skvideo_imb import TimelineWindow, predict_timeline, window_clips
from skvideo_imb.io import to_frames


class BrightnessModel:
    """Predicts 'bright' for clips whose mean pixel is above 127: no training needed."""

    classes_ = np.array(["dark", "bright"])
    n_frames = 3

    def __init__(self):
        self.seen = []

    def predict_proba(self, clips):
        self.seen.extend(clips)
        means = np.array([to_frames(c).mean() for c in clips]) / 255
        return np.column_stack([1 - means, means])


def test_windows_cover_the_video_and_the_last_ends_at_its_last_frame():
    video = np.zeros((11, 4, 4, 3), np.uint8)
    clips, starts, n_total = window_clips(video, window=4, stride=3, n_frames=2)
    assert n_total == 11
    assert starts == [0, 3, 6, 7]               # 7 + 4 = 11: the tail is covered
    for start, clip in zip(starts, clips):
        assert all(start <= i < start + 4 for i in clip.indices)
        assert len(clip.indices) == 2


def test_a_video_shorter_than_one_window_is_one_window():
    clips, starts, n_total = window_clips(np.zeros((5, 4, 4, 3), np.uint8), 40, 20, 3)
    assert (starts, n_total, len(clips)) == ([0], 5, 1)
    assert list(clips[0].indices) == sorted(clips[0].indices)


def test_windows_shorter_than_n_frames_repeat_frames_in_order():
    clips, _, _ = window_clips(np.zeros((8, 4, 4, 3), np.uint8), 2, 2, 4)
    assert [list(c.indices) for c in clips] == [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5],
                                                [6, 6, 7, 7]]


@pytest.mark.parametrize("window, stride", [(0, 1), (4, 0), (-1, 2)])
def test_a_window_or_stride_below_one_frame_is_an_error(window, stride):
    with pytest.raises(ValueError, match="at least 1 frame"):
        window_clips(np.zeros((8, 4, 4, 3), np.uint8), window, stride, 2)


def test_a_bad_video_is_an_error_that_names_it(tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"not a video")
    with pytest.raises((OSError, ValueError), match="broken.avi"):
        predict_timeline(BrightnessModel(), str(broken), 4, 4)


def test_the_timeline_follows_the_content_in_frames_and_seconds(tmp_path):
    dark, bright = np.full((10, 24, 32, 3), 30, np.uint8), np.full((10, 24, 32, 3), 220,
                                                                   np.uint8)
    path = write_video(tmp_path / "long.avi", np.concatenate([dark, bright, dark]), fps=5)
    timeline = predict_timeline(BrightnessModel(), path, window=5, stride=5)
    assert [w.label for w in timeline] == ["dark"] * 2 + ["bright"] * 2 + ["dark"] * 2
    assert [(w.start_frame, w.end_frame) for w in timeline][2] == (10, 14)
    assert (timeline[2].start_s, timeline[2].end_s) == pytest.approx((2.0, 3.0))  # 5 fps
    for w in timeline:
        assert isinstance(w, TimelineWindow) and isinstance(w.label, str)
        assert w.probability == pytest.approx(max(w.probabilities.values()))
        assert sum(w.probabilities.values()) == pytest.approx(1)
        assert set(w.as_dict()) >= {"start_frame", "end_s", "label", "probabilities"}


def test_arrays_have_no_seconds_and_clips_take_the_models_n_frames():
    model = BrightnessModel()
    timeline = predict_timeline(model, gradient_video(12), window=6, stride=6)
    assert [w.start_s for w in timeline] == [None, None]
    assert [len(c.indices) for c in model.seen] == [3, 3]
    assert [w.label for w in timeline] == ["dark", "bright"]   # brightness grows


def test_a_model_that_does_not_say_its_n_frames_needs_it():
    model = BrightnessModel()
    model.n_frames = None
    with pytest.raises(ValueError, match="pass n_frames"):
        predict_timeline(model, gradient_video(8), 4, 4)
    assert len(predict_timeline(model, gradient_video(8), 4, 4, n_frames=2)) == 2
