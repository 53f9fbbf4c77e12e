"""`skvideo-imb make-data`, `fit` and `predict` on real video files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _videos import write_video
from skvideo_imb import load_model
from skvideo_imb.cli import main
from skvideo_imb.datasets import make_synthetic_videos
from skvideo_imb.io import read_frames

FIT = ["--profile", "smoke", "--weights", "none", "--n-frames", "6", "--epochs", "25"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A class-per-folder tree of real AVI files, written by `make-data`."""
    folder = tmp_path_factory.mktemp("data") / "videos"
    assert main(["make-data", "synthetic", str(folder), "--videos-per-class", "6",
                 "--frames", "10", "14"]) == 0
    return folder


@pytest.fixture(scope="module")
def model(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "model.skops"
    assert main(["fit", str(videos), "--out", str(out), *FIT]) == 0
    return out


def test_make_data_writes_a_class_per_folder_tree(videos):
    assert sorted(p.name for p in videos.iterdir()) == [
        "brighten", "checkerboard", "darken", "move_left", "move_right"]
    assert len(list(videos.rglob("*.avi"))) == 30


def test_fit_saves_the_model_its_card_and_the_validation_report(model, capsys):
    card = json.loads(Path(str(model) + ".json").read_text())
    assert card["classes"] == ["brighten", "checkerboard", "darken", "move_left",
                               "move_right"]
    assert sum(card["train_class_counts"].values()) == 24          # 20% held out
    assert sum(card["validation_class_counts"].values()) == 6
    assert card["versions"]["skvideo-imb"] and card["versions"]["torch"]
    assert card["settings"]["oversampler"] == "video" and card["train_time_s"] > 0
    assert 0 <= card["validation"]["f1_macro"] <= 1
    assert set(card["validation"]["per_class"]) == set(card["classes"])
    assert Path(str(model) + ".validation.txt").read_text().startswith("validation on 6")
    assert Path(str(model) + ".confusion.png").read_bytes().startswith(b"\x89PNG")


def test_predict_files_and_a_folder_with_a_corrupt_video(model, videos, tmp_path, capsys):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF, but not a video")
    good = str(next((videos / "checkerboard").glob("*.avi")))
    status = main(["predict", str(model), good, str(broken), str(videos / "darken"),
                   "--json", str(tmp_path / "out.json"), "--csv", str(tmp_path / "out.csv")])
    assert status == 1
    rows = json.loads((tmp_path / "out.json").read_text())
    assert [Path(r["path"]).name for r in rows][:2] == [Path(good).name, "broken.avi"]
    assert len(rows) == 2 + 6
    assert "broken.avi" in rows[1]["error"] and "label" not in rows[1]
    assert rows[1]["error"].startswith("ValueError: video file")   # no "sample 0: "
    for row in rows[:1] + rows[2:]:
        assert row["label"] in row["probabilities"]
        assert sum(row["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    printed = capsys.readouterr()
    assert "ERROR" in printed.out and "1 of 8 videos could not be classified" in printed.err
    assert (tmp_path / "out.csv").read_text().splitlines()[0].startswith(
        "path,label,probability,p_brighten")


def test_a_saved_model_gives_the_same_probabilities_in_a_fresh_process(model, videos,
                                                                       tmp_path):
    paths = sorted(str(p) for p in videos.rglob("*.avi"))[:5]
    here = load_model(model).predict_proba(paths)
    done = subprocess.run([sys.executable, "-m", "skvideo_imb", "predict", str(model), *paths,
                           "--json", str(tmp_path / "fresh.json")], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    fresh = json.loads((tmp_path / "fresh.json").read_text())
    classes = [str(c) for c in load_model(model).classes_]
    np.testing.assert_array_equal(
        np.array([[r["probabilities"][c] for c in classes] for r in fresh]),
        here.astype(float))


def test_the_same_data_in_another_folder_gives_the_same_model(model, videos, tmp_path):
    import shutil
    copy = shutil.copytree(videos, tmp_path / "elsewhere" / "videos")
    out = tmp_path / "copy.skops"
    assert main(["fit", str(copy), "--out", str(out), *FIT]) == 0
    paths = sorted(str(p) for p in videos.rglob("*.avi"))[::3]
    np.testing.assert_array_equal(load_model(out).predict_proba(paths),
                                  load_model(model).predict_proba(paths))


def test_search_chooses_among_the_values(videos, tmp_path):
    out = tmp_path / "searched.skops"
    assert main(["fit", str(videos), "--out", str(out), *FIT, "--search",
                 "hidden_size=4,12", "--cv", "2", "--validation-fraction", "0"]) == 0
    card = json.loads(Path(str(out) + ".json").read_text())
    assert card["search"]["grid"] == {"resbilstmclassifier__hidden_size": [4, 12]}
    best = card["search"]["best_params"]["resbilstmclassifier__hidden_size"]
    assert best in (4, 12) and card["validation"] is None
    scores = card["search"]["cv_f1_macro"]
    assert card["search"]["best_cv_f1_macro"] == max(scores)
    assert load_model(out)[-1].hidden_size == best


def test_a_timeline_switches_label_where_two_videos_join(tmp_path):
    """Two classes that any single frame tells apart, joined into one long video."""
    data = tmp_path / "two"
    X, y = make_synthetic_videos({"brighten": 8, "checkerboard": 8}, n_frames=(12, 12),
                                 directory=data)
    out = tmp_path / "two.skops"
    assert main(["fit", str(data), "--out", str(out), "--weights", "none", "--n-frames",
                 "6", "--epochs", "30"]) == 0   # the quick profile's 64-wide layers
    first = read_frames(str(data / "brighten" / "brighten_000.avi"))
    second = read_frames(str(data / "checkerboard" / "checkerboard_000.avi"))
    long_video = write_video(tmp_path / "long.avi", np.concatenate([first] * 3 + [second] * 3))
    assert main(["predict", str(out), long_video, "--window", "12", "--stride", "12",
                 "--json", str(tmp_path / "t.json"), "--plot", str(tmp_path / "t.png")]) == 0
    windows = json.loads((tmp_path / "t.json").read_text())
    assert [(w["start_frame"], w["end_frame"]) for w in windows] == [
        (0, 11), (12, 23), (24, 35), (36, 47), (48, 59), (60, 71)]
    assert [w["label"] for w in windows] == ["brighten"] * 3 + ["checkerboard"] * 3
    assert windows[3]["start_s"] == pytest.approx(36 / 10)                 # 10 frames/s
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("argv, message", [
    (["fit", "{missing}", "--out", "{tmp}/m.skops"], "does not exist"),
    (["fit", "{flat}", "--out", "{tmp}/m.skops"], "has no class subfolders"),
    (["predict", "{corrupt}", "{tmp}"], "is not a readable skvideo-imb model file"),
    (["predict", "{missing}", "{tmp}"], "does not exist"),
])
def test_expected_failures_print_one_line_and_exit_non_zero(argv, message, tmp_path, capsys):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.avi").write_bytes(b"x")
    (tmp_path / "corrupt.skops").write_bytes(b"PK\x03\x04 damaged")
    names = {"missing": tmp_path / "nowhere", "flat": tmp_path / "flat",
             "corrupt": tmp_path / "corrupt.skops", "tmp": tmp_path}
    argv = [a.format(**names) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    with pytest.raises(Exception):
        main(["--debug", *argv])                  # --debug shows the real exception


def test_offline_default_weights_is_one_line_not_a_traceback(videos, tmp_path, monkeypatch):
    import urllib.error

    import torch

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    done = main(["fit", str(videos), "--out", str(tmp_path / "m.skops"), "--profile", "smoke"])
    assert done == 1


@pytest.mark.parametrize("command", ["fit", "predict", "make-data", "check", "reproduce"])
def test_help_documents_every_option(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    options = {"fit": ["--out", "--profile", "--weights", "--oversampler", "--class-weight",
                       "--cache", "--validation-fraction", "--search", "--cv", "--n-frames",
                       "--epochs", "--device", "--seed"],
               "predict": ["--csv", "--json", "--window", "--stride", "--plot"],
               "make-data": ["--format", "--videos-per-class", "--frames", "--size",
                             "--seed"],
               "check": ["--min-frames", "--json", "--quiet"],
               "reproduce": ["--data", "--profile", "--seeds", "--scheduler"]}[command]
    for option in options:
        assert option in out, option
