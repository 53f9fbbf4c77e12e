"""Tests of load_video_folder: what counts as a video, ordering, errors."""

import os

import numpy as np
import pytest

from skvideo_imb.datasets import load_video_folder
from skvideo_imb.io import count_frames


@pytest.fixture
def tree(tmp_path, tiny_video_bytes, write_frame_images):
    root = tmp_path / "videos"
    (root / "walk").mkdir(parents=True)
    (root / "run").mkdir()
    for name in ("b.avi", "a.avi", "c.MP4"):
        (root / "walk" / name).write_bytes(tiny_video_bytes)
    (root / "walk" / "notes.txt").write_text("not a video")
    (root / "walk" / "poster.png").write_bytes(b"an image lying in a class folder")
    (root / "walk" / ".hidden.avi").write_bytes(tiny_video_bytes)
    (root / "walk" / "no_frames").mkdir()  # a subfolder without images: not a video
    (root / "walk" / "no_frames" / "info.json").write_text("{}")
    write_frame_images(root / "run" / "clip_01", n_frames=3)  # a frame folder is a video
    (root / "run" / "x.mkv").write_bytes(tiny_video_bytes)
    (root / "README.txt").write_text("files in root are ignored")
    (root / ".cache").mkdir()  # hidden folders are not classes
    (root / ".cache" / "z.avi").write_bytes(tiny_video_bytes)
    return root


def test_layout(tree):
    data = load_video_folder(tree)
    relative = [os.path.relpath(v, tree) for v in data.videos]
    assert relative == [os.path.join("run", "clip_01"), os.path.join("run", "x.mkv"),
                        os.path.join("walk", "a.avi"), os.path.join("walk", "b.avi"),
                        os.path.join("walk", "c.MP4")]
    assert all(isinstance(v, str) for v in data.videos)
    assert data.target.tolist() == ["run", "run", "walk", "walk", "walk"]
    assert data.target_names.tolist() == ["run", "walk"]
    assert data.root == str(tree)
    assert [count_frames(v) for v in data.videos] == [3, 3, 3, 3, 3]


def test_return_X_y_and_path_types(tree):
    videos, target = load_video_folder(str(tree), return_X_y=True)
    data = load_video_folder(tree)
    assert videos == data.videos and np.array_equal(target, data.target)


def test_deterministic_order(tree):
    assert load_video_folder(tree).videos == load_video_folder(tree).videos


def test_missing_root(tmp_path):
    root = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_video_folder(root)


def test_root_is_a_file(tmp_path):
    path = tmp_path / "file.avi"
    path.write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="file.avi"):
        load_video_folder(path)


def test_empty_root(tmp_path):
    (tmp_path / "stray.avi").write_bytes(b"")
    with pytest.raises(ValueError, match=f"{tmp_path.name}.*no class subfolders"):
        load_video_folder(tmp_path)


def test_class_folder_without_videos(tree):
    (tree / "jump").mkdir()
    (tree / "jump" / "readme.md").write_text("nothing here")
    with pytest.raises(ValueError, match=r"\['jump'\].*hold no videos"):
        load_video_folder(tree)


def test_a_broken_link_is_listed_like_check_lists_it(tree):
    from skvideo_imb.io import find_videos
    gone = tree / "run" / "gone.avi"
    os.symlink(tree / "run" / "missing.avi", gone)
    assert str(gone) in load_video_folder(tree).videos
    assert str(gone) in find_videos([tree / "run"])
    with pytest.raises(FileNotFoundError, match="gone.avi"):
        count_frames(gone)
