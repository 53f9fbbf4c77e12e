"""Tests of load_ucf101 on a fake UCF101 tree written with the real file formats."""

import os
from collections import Counter

import numpy as np
import pytest

from skvideo_imb.datasets import load_ucf101, make_imbalanced_subset
from skvideo_imb.io import count_frames

# (classInd name, the spelling used in its file names): UCF101 really has this quirk.
CLASSES = [("ApplyEyeMakeup", "ApplyEyeMakeup"), ("Biking", "Biking"),
           ("HandstandPushups", "HandStandPushups")]
GROUPS, CLIPS = (1, 2, 3), (1, 2)


def _relative(class_name, spelling, group, clip):
    return f"{class_name}/v_{spelling}_g{group:02d}_c{clip:02d}.avi"


@pytest.fixture
def ucf_root(tmp_path, tiny_video_bytes):
    """3 classes x 3 groups x 2 clips; split k tests on group k, trains on the others."""
    root = tmp_path / "ucf"
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    for class_name, spelling in CLASSES:
        (root / "UCF-101" / class_name).mkdir(parents=True)
        for group in GROUPS:
            for clip in CLIPS:
                path = root / "UCF-101" / _relative(class_name, spelling, group, clip)
                path.write_bytes(tiny_video_bytes)
    # the real files end lines with CRLF
    (lists / "classInd.txt").write_bytes("".join(
        f"{i} {name}\r\n" for i, (name, _) in enumerate(CLASSES, start=1)).encode())
    for split in (1, 2, 3):
        train, test = [], []
        for label, (class_name, spelling) in enumerate(CLASSES, start=1):
            for group in GROUPS:
                for clip in CLIPS:
                    relative = _relative(class_name, spelling, group, clip)
                    if group == split:
                        test.append(f"{relative}\r\n")
                    else:
                        train.append(f"{relative} {label}\r\n")
        (lists / f"trainlist0{split}.txt").write_bytes("".join(train).encode())
        (lists / f"testlist0{split}.txt").write_bytes("".join(test).encode())
    return root


@pytest.mark.parametrize("split", [1, 2, 3])
def test_splits(ucf_root, split):
    data = load_ucf101(ucf_root, split=split)
    assert data.split == split
    assert data.target_names.tolist() == [name for name, _ in CLASSES]
    assert len(data.train.videos) == 12 and len(data.test.videos) == 6
    assert not set(data.train.videos) & set(data.test.videos)
    every = {str(p) for p in (ucf_root / "UCF-101").glob("*/*.avi")}
    assert {os.path.realpath(v) for v in data.train.videos + data.test.videos} == \
        {os.path.realpath(v) for v in every}
    for subset, n in ((data.train, 4), (data.test, 2)):
        assert isinstance(subset.target, np.ndarray) and subset.target.dtype.kind == "U"
        assert Counter(subset.target.tolist()) == {name: n for name, _ in CLASSES}
        for video, label in zip(subset.videos, subset.target):
            assert os.path.isabs(video) and os.path.isfile(video)
            assert os.path.basename(os.path.dirname(video)) == label
    assert all(f"_g{split:02d}_" in v for v in data.test.videos)
    assert not any(f"_g{split:02d}_" in v for v in data.train.videos)
    assert count_frames(data.test.videos[0]) == 3


def test_order_follows_split_files(ucf_root):
    data = load_ucf101(ucf_root)
    lines = (ucf_root / "ucfTrainTestlist" / "trainlist01.txt").read_text().split()[::2]
    assert [os.path.relpath(v, ucf_root / "UCF-101").replace(os.sep, "/")
            for v in data.train.videos] == lines


def test_return_X_y(ucf_root):
    X_train, X_test, y_train, y_test = load_ucf101(ucf_root, split=2, return_X_y=True)
    data = load_ucf101(ucf_root, split=2)
    assert X_train == data.train.videos and X_test == data.test.videos
    assert np.array_equal(y_train, data.train.target)
    assert np.array_equal(y_test, data.test.target)


@pytest.mark.parametrize("split", [0, 4, "1", 1.5, True, None])
def test_bad_split(ucf_root, split):
    with pytest.raises(ValueError, match="split must be 1, 2 or 3"):
        load_ucf101(ucf_root, split=split)


def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent"):
        load_ucf101(tmp_path / "absent")


@pytest.mark.parametrize("folder", ["UCF-101", "ucfTrainTestlist"])
def test_missing_folder(ucf_root, folder):
    os.rename(ucf_root / folder, ucf_root / "moved")
    with pytest.raises(FileNotFoundError, match=folder):
        load_ucf101(ucf_root)


@pytest.mark.parametrize("name", ["classInd.txt", "trainlist02.txt", "testlist02.txt"])
def test_missing_split_file(ucf_root, name):
    (ucf_root / "ucfTrainTestlist" / name).unlink()
    with pytest.raises(FileNotFoundError, match=name):
        load_ucf101(ucf_root, split=2)


def test_missing_listed_video(ucf_root):
    missing = ucf_root / "UCF-101" / "Biking" / "v_Biking_g02_c01.avi"
    missing.unlink()
    with pytest.raises(FileNotFoundError, match="v_Biking_g02_c01.avi"):
        load_ucf101(ucf_root, split=1)
    data = load_ucf101(ucf_root, split=1, check_files=False)
    assert str(missing) in data.train.videos


@pytest.mark.parametrize("file, text, match", [
    ("classInd.txt", "1 ApplyEyeMakeup\n2\n", "line 2"),
    ("classInd.txt", "1 Biking\n2 Biking\n", "twice"),
    ("trainlist01.txt", "Biking/v_Biking_g02_c01.avi 1\n", "does not match"),
    ("trainlist01.txt", "Biking/v_Biking_g02_c01.avi\n", "expected"),
    ("testlist01.txt", "Surfing/v_Surfing_g01_c01.avi\n", "'Surfing'"),
    ("testlist01.txt", "Biking/v_Biking_g01_c01.avi 2\n", "expected"),
    ("testlist01.txt", "\n\n", "lists no videos"),
])
def test_malformed_split_files(ucf_root, file, text, match):
    (ucf_root / "ucfTrainTestlist" / file).write_text(text)
    with pytest.raises(ValueError, match=match):
        load_ucf101(ucf_root, split=1)


def test_imbalanced_training_set(ucf_root):
    full = load_ucf101(ucf_root)
    data = load_ucf101(ucf_root, imbalanced=True, min_per_class=1, random_state=0)
    again = load_ucf101(ucf_root, imbalanced=True, min_per_class=1, random_state=0)
    assert data.train.videos == again.train.videos
    assert set(data.train.videos) <= set(full.train.videos)
    counts = Counter(data.train.target.tolist())
    assert set(counts) == set(full.target_names) and all(1 <= n <= 4 for n in counts.values())
    assert sum(counts.values()) < len(full.train.videos)      # the protocol removed videos
    protocol, _ = make_imbalanced_subset(full.train.videos, full.train.target,
                                         min_per_class=1, random_state=0)
    assert data.train.videos == protocol                      # ... with its seed
    assert data.test.videos == full.test.videos  # the test set is never changed
    assert np.array_equal(data.test.target, full.test.target)
    # with the paper's minimum of 10, classes this small keep every video
    paper = load_ucf101(ucf_root, imbalanced=True, random_state=0)
    assert paper.train.videos == full.train.videos
