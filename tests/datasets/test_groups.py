"""video_groups, and the splits that keep a source video's clips on one side."""

import numpy as np
import pytest

from skvideo_imb._recipes import cross_validator, has_groups, hold_out
from skvideo_imb.datasets import video_groups


def _ucf101_names(classes=("Biking", "Diving"), n_groups=25, clips=4):
    paths = [f"UCF-101/{c}/v_{c}_g{g:02d}_c{k:02d}.avi" for c in classes
             for g in range(1, n_groups + 1) for k in range(1, clips + 1)]
    return paths, np.array([p.split("/")[1] for p in paths])


def test_ucf101_clips_of_one_group_share_it_and_others_are_their_own():
    groups = video_groups(["data/v_YoYo_g08_c03.avi", "data/v_YoYo_g08_c04/",
                           "data/v_Apply_Eye_Makeup_g08_c01.mp4", "data/clip.avi",
                           "data/clip.avi", np.zeros((2, 4, 4, 3), np.uint8)])
    assert groups[:3].tolist() == ["YoYo_g08", "YoYo_g08", "Apply_Eye_Makeup_g08"]
    assert len(set(groups[3:])) == 3        # the same name twice: still two videos
    assert has_groups(groups) and not has_groups(groups[2:])


@pytest.mark.parametrize("fraction", [0.2, 0.34])
def test_a_hold_out_never_splits_a_group_and_keeps_the_fraction(fraction):
    X, y = _ucf101_names()
    groups = video_groups(X)
    kept, held = hold_out(y, fraction, 0, groups)
    assert not set(groups[kept]) & set(groups[held])
    assert sorted(np.concatenate([kept, held])) == list(range(len(y)))
    assert abs(len(held) / len(y) - fraction) < 0.05
    for label in np.unique(y):          # stratified: each class held out in proportion
        share = np.mean(y[held] == label)
        assert abs(share - 0.5) < 0.1


def test_a_class_of_one_group_stays_in_training():
    X, y = _ucf101_names(("Biking",), n_groups=10)
    X += ["UCF-101/YoYo/v_YoYo_g01_c01.avi", "UCF-101/YoYo/v_YoYo_g01_c02.avi"]
    y = np.append(y, ["YoYo", "YoYo"])
    for seed in range(10):
        kept, held = hold_out(y, 0.3, seed, video_groups(X))
        assert "YoYo" in set(y[kept]) and "YoYo" not in set(y[held])


def test_without_groups_the_split_is_the_stratified_one_as_before():
    from sklearn.model_selection import StratifiedKFold, train_test_split
    y = np.array([0] * 10 + [1] * 6)
    kept, held = hold_out(y, 0.25, 3, video_groups([f"v{k}.avi" for k in range(16)]))
    expected = train_test_split(np.arange(16), test_size=0.25, stratify=y, random_state=3)
    np.testing.assert_array_equal(kept, expected[0])
    np.testing.assert_array_equal(held, expected[1])
    assert isinstance(cross_validator(3, 0, None), StratifiedKFold)


def test_grouped_folds_never_split_a_group():
    X, y = _ucf101_names(n_groups=6)
    groups = video_groups(X)
    folds = list(cross_validator(3, 0, groups).split(X, y, groups))
    assert len(folds) == 3
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert set(y[test]) == {"Biking", "Diving"}
