"""`skvideo-imb make-data`, `fit` and `predict` on real video files."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

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
    validation = card["validation"]
    assert set(validation["per_class"]) == set(card["classes"])
    assert validation["f1_macro"] == pytest.approx(     # macro: the classes' plain mean
        np.mean([validation["per_class"][c]["f1-score"] for c in card["classes"]]))
    recalls = [validation["per_class"][c]["recall"] for c in card["classes"]]
    assert validation["balanced_accuracy"] == pytest.approx(np.mean(recalls))
    assert validation["gmean"] == pytest.approx(
        np.prod([max(r, 0.001) for r in recalls]) ** (1 / len(recalls)))
    text = Path(str(model) + ".validation.txt").read_text()
    assert text.startswith("validation on 6") and (
        f"accuracy {validation['accuracy']:.3f}, macro F1 {validation['f1_macro']:.3f}, "
        f"balanced accuracy {validation['balanced_accuracy']:.3f}, G-mean "
        f"{validation['gmean']:.3f}" in text)
    header = next(line for line in text.splitlines() if "pre" in line and "rec" in line)
    assert header.split() == ["pre", "rec", "spe", "f1", "geo", "iba", "sup"]  # imblearn's
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_same_data_in_another_folder_gives_the_same_model(model, videos, tmp_path):
    import shutil
    copy = shutil.copytree(videos, tmp_path / "elsewhere" / "videos")
    out = tmp_path / "copy.skops"
    assert main(["fit", str(copy), "--out", str(out), *FIT]) == 0
    paths = sorted(str(p) for p in videos.rglob("*.avi"))[::3]
    np.testing.assert_array_equal(load_model(out).predict_proba(paths),
                                  load_model(model).predict_proba(paths))


@pytest.fixture(scope="module")
def variant(videos, tmp_path_factory):
    """Every training option away from its default, on an imbalanced copy of the tree."""
    import shutil
    folder = tmp_path_factory.mktemp("variant")
    data = shutil.copytree(videos, folder / "videos")
    for path in sorted((data / "darken").glob("*.avi"))[4:]:
        path.unlink()                                   # darken: 4 videos, the others 6
    out, cache = folder / "variant.skops", folder / "cache"
    argv = ["fit", str(data), "--out", str(out), *FIT[:-1], "7", "--oversampler", "smote",
            "--class-weight", "balanced", "--cache", str(cache), "--device", "cpu",
            "--seed", "1", "--validation-fraction", "0", "--search", "hidden_size=4,12",
            "--cv", "2", "--loss", "logit_adjusted", "--posthoc-tau", "0.5",
            "--sampler", "class_balanced"]
    assert main(argv) == 0
    card = json.loads(Path(str(out) + ".json").read_text())
    return {"argv": argv, "data": data, "out": out, "cache": cache, "card": card,
            "model": load_model(out)}


@pytest.mark.slow
def test_fit_oversampler_smote_sizes_its_neighbourhood_to_the_smallest_fold(variant):
    pipe, card = variant["model"], variant["card"]
    assert [name for name, _ in pipe.steps] == ["frozenestimator", "smote",
                                                "resbilstmclassifier"]
    assert card["train_class_counts"]["darken"] == 4 and card["settings"]["oversampler"] == \
        "smote"
    # fewer than the 2 darken videos of a training fold of the 2-fold search
    assert pipe.named_steps["smote"].k_neighbors == 1


def _parts(variant):
    pipe = variant["model"]
    return pipe, pipe[-1], pipe.named_steps["frozenestimator"].estimator, \
        variant["card"]["settings"]


def test_fit_class_weight_balanced_reaches_the_loss(variant):
    pipe, classifier, _, settings = _parts(variant)
    assert classifier.class_weight == settings["class_weight"] == "balanced"
    assert settings["classifier"]["class_weight"] == "balanced"
    # the labels the classifier saw: the training videos and SMOTE's synthetic ones
    train = Counter(variant["card"]["train_class_counts"])
    seen = train + Counter(pipe.named_steps["smote"].sampling_strategy_)
    classes = classifier.classes_
    expected = compute_class_weight("balanced", classes=classes,
                                    y=np.repeat(list(seen), list(seen.values())))
    np.testing.assert_allclose(classifier.class_weight_, expected)
    np.testing.assert_allclose(classifier.criterion_.weight.numpy(), expected, rtol=1e-6)
    # SMOTE balanced the classes, so these weights are uniform: not those of the videos
    unresampled = compute_class_weight("balanced", classes=classes,
                                       y=np.repeat(list(train), list(train.values())))
    assert not np.allclose(unresampled, expected)


def test_fit_long_tail_options_reach_the_classifier(variant):
    from skvideo_imb.models._losses import LogitAdjustedLoss

    pipe, classifier, _, settings = _parts(variant)
    assert (classifier.loss, classifier.posthoc_tau, classifier.sampler) == \
        ("logit_adjusted", 0.5, "class_balanced")
    assert {k: settings["classifier"][k] for k in ("loss", "posthoc_tau", "sampler")} == \
        {"loss": "logit_adjusted", "posthoc_tau": 0.5, "sampler": "class_balanced"}
    assert isinstance(classifier.criterion_, LogitAdjustedLoss)
    # the counts after SMOTE: what the loss and the post-hoc prior are made of
    train = Counter(variant["card"]["train_class_counts"])
    seen = train + Counter(pipe.named_steps["smote"].sampling_strategy_)
    np.testing.assert_array_equal(classifier.class_counts_,
                                  [seen[c] for c in classifier.classes_])


def test_fit_device_reaches_the_featurizer_and_the_classifier(variant):
    _, classifier, featurizer, settings = _parts(variant)
    assert classifier.device == featurizer.device == settings["classifier"]["device"] == "cpu"
    assert settings["device"] == "cpu"
    # the fitted devices, as the loaded model runs
    assert featurizer.device_ == "cpu" and classifier.device_ == torch.device("cpu")
    assert {p.device for p in classifier.module_.parameters()} == {torch.device("cpu")}


def test_fit_seed_reaches_every_step(variant):
    pipe, classifier, featurizer, settings = _parts(variant)
    assert settings["seed"] == 1
    assert (classifier.random_state, featurizer.random_state,
            pipe.named_steps["smote"].random_state) == (1, 1, 1)


def test_fit_epochs_is_the_length_of_the_training_history(variant):
    _, classifier, _, settings = _parts(variant)
    assert len(classifier.history_) == 7 == settings["classifier"]["max_epochs"]


def test_fit_search_keeps_the_best_of_cv_folds(variant):
    search = variant["card"]["search"]
    assert search["grid"] == {"resbilstmclassifier__hidden_size": [4, 12]}
    assert search["n_splits"] == 2 and variant["card"]["validation"] is None
    scores = search["cv_f1_macro"]
    best = search["best_params"]["resbilstmclassifier__hidden_size"]
    assert best == [4, 12][int(np.argmax(scores))]
    assert search["best_cv_f1_macro"] == max(scores)
    assert variant["model"][-1].hidden_size == best


def test_fit_cache_keeps_the_features_for_the_next_run(variant, tmp_path, capsys):
    files = {p: p.stat().st_mtime_ns for p in variant["cache"].rglob("*.feat")}
    assert files
    out = tmp_path / "again.skops"
    argv = [str(out) if a == str(variant["out"]) else a for a in variant["argv"]]
    capsys.readouterr()
    assert main([*argv[:argv.index("--search")], "--epochs", "1"]) == 0
    assert "0 frames computed" in capsys.readouterr().err      # every frame was a hit
    assert {p: p.stat().st_mtime_ns for p in variant["cache"].rglob("*.feat")} == files


@pytest.mark.slow
def test_fit_keeps_the_clips_of_a_source_video_on_one_side(videos, tmp_path, monkeypatch,
                                                           capsys):
    """UCF101-named clips (v_<Class>_g<NN>_c<MM>: one group, one source video): the
    validation hold-out and every search fold keep a group on one side, else the
    scores measure how well the model recognises a recording it was trained on."""
    import shutil

    from skvideo_imb.cli import _fit
    data = tmp_path / "videos"
    for folder in sorted(videos.iterdir()):
        (data / folder.name).mkdir(parents=True)
        for k, path in enumerate(sorted(folder.glob("*.avi"))):  # 6 clips: 3 groups of 2
            shutil.copy(path, data / folder.name / f"v_{folder.name}_g{k // 2:02d}_c{k % 2}.avi")
    splits, held, real_cv, real_split = [], [], _fit.cross_validator, _fit._split

    def cross_validator(n_splits, seed, groups):
        cv = real_cv(n_splits, seed, groups)
        classes = np.array([g.split("_g")[0] for g in groups])
        splits.extend((set(groups[train]), set(groups[test]))
                      for train, test in cv.split(groups, classes, groups))
        return cv

    def split(*args):
        result = real_split(*args)
        held.append({Path(p).stem.rsplit("_c", 1)[0][2:] for p in result[2]})
        return result
    monkeypatch.setattr(_fit, "cross_validator", cross_validator)
    monkeypatch.setattr(_fit, "_split", split)
    assert main(["fit", str(data), "--out", str(tmp_path / "m.skops"), *FIT[:-1], "1",
                 "--quiet", "--validation-fraction", "0.34", "--search", "hidden_size=4,8",
                 "--cv", "2"]) == 0
    (validation,) = held
    assert len(splits) == 2 and validation
    for train, test in splits:
        assert not train & test                        # no group on both sides of a fold
        assert not (train | test) & validation         # nor of the hold-out


@pytest.mark.slow
def test_fit_seed_decides_the_model(tmp_path):
    """Another seed, another model (tiny data; the same seed gives the same model:
    test_the_same_data_in_another_folder_gives_the_same_model)."""
    data = tmp_path / "tiny"
    assert main(["make-data", "synthetic", str(data), "--videos-per-class", "2",
                 "--frames", "6", "6", "--size", "16"]) == 0
    paths = sorted(str(p) for p in data.rglob("*.avi"))
    proba = []
    for seed in ("0", "1"):
        out = tmp_path / f"{seed}.skops"
        assert main(["fit", str(data), "--out", str(out), "--profile", "smoke", "--weights",
                     "none", "--epochs", "2", "--validation-fraction", "0",
                     "--seed", seed]) == 0
        proba.append(load_model(out).predict_proba(paths))
    assert not np.allclose(proba[0], proba[1])


@pytest.mark.slow
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
    # before anything is featurized or trained
    (["fit", "{flat}", "--out", "{tmp}/no/m.skops"], "the folder {tmp}/no does not exist"),
    (["fit", "{few}", "--out", "{tmp}/m.skops", "--search", "hidden_size=4,8", "--cv", "3",
      "--validation-fraction", "0"], "--cv 3 needs at least 3 training videos per class; "
     "b has 2. Lower --cv or add videos."),
    (["predict", "{corrupt}", "{tmp}"], "is refused: not a skops model file"),
    (["predict", "{tmp}", "{tmp}"], "is a directory, not a model file"),
    (["predict", "{missing}", "{tmp}"], "does not exist"),
])
def test_expected_failures_print_one_line_and_exit_non_zero(argv, message, tmp_path, capsys):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.avi").write_bytes(b"x")
    (tmp_path / "corrupt.skops").write_bytes(b"PK\x03\x04 damaged")
    for label, n in (("a", 3), ("b", 2)):  # (listed, never decoded: refused before)
        (tmp_path / "few" / label).mkdir(parents=True)
        for k in range(n):
            (tmp_path / "few" / label / f"{k}.avi").write_bytes(b"x")
    names = {"missing": tmp_path / "nowhere", "flat": tmp_path / "flat",
             "few": tmp_path / "few",
             "corrupt": tmp_path / "corrupt.skops", "tmp": tmp_path}
    argv, message = [a.format(**names) for a in argv], message.format(**names)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    with pytest.raises((OSError, ValueError)) as raised:
        main(["--debug", *argv])                  # --debug shows the real exception
    assert message in str(raised.value)


def test_offline_default_weights_is_one_line_not_a_traceback(videos, tmp_path, monkeypatch,
                                                             capsys):
    import urllib.error

    import torch

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    done = main(["fit", str(videos), "--out", str(tmp_path / "m.skops"), "--profile", "smoke"])
    assert done == 1
    line = _one_error_line(capsys)
    assert line.startswith("skvideo-imb fit: error: could not load torchvision's")
    assert "Temporary failure in name resolution" in line and "weights=None" in line


@pytest.mark.parametrize("command", ["fit", "predict", "make-data", "check", "reproduce",
                                     "inspect"])
def test_help_documents_every_option(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    options = {"fit": ["--out", "--profile", "--weights", "--oversampler", "--class-weight",
                       "--cache", "--validation-fraction", "--search", "--cv", "--n-frames",
                       "--epochs", "--device", "--seed", "--loss", "--posthoc-tau",
                       "--sampler"],
               "predict": ["--csv", "--json", "--window", "--stride", "--plot", "--cache"],
               "inspect": ["--json"],
               "make-data": ["--format", "--videos-per-class", "--frames", "--size",
                             "--seed"],
               "check": ["--min-frames", "--json", "--quiet"],
               "reproduce": ["--data", "--profile", "--seeds", "--scheduler"]}[command]
    for option in options:
        assert option in out, option


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("card, message", [
    ("[1, 2]", "is not a JSON object"),
    ('{"versions": null}', "'versions' is not an object"),
    ("{damaged", "is damaged"),
])
def test_predict_with_a_damaged_card_says_so_in_one_line(model, videos, tmp_path, capsys,
                                                         card, message):
    import shutil
    copy = tmp_path / "m.skops"
    shutil.copy(model, copy)
    Path(str(copy) + ".json").write_text(card)
    good = str(next((videos / "darken").glob("*.avi")))
    assert main(["predict", str(copy), good]) == 1
    assert message in _one_error_line(capsys)


def test_predict_refuses_a_file_holding_no_model(tmp_path, avi_path, capsys):
    import skops.io as sio
    sio.dump({"classes": [1, 2]}, tmp_path / "dict.skops")
    assert main(["predict", str(tmp_path / "dict.skops"), avi_path]) == 1
    assert "holds a dict, not a model" in _one_error_line(capsys)


def test_predict_accounts_for_every_argument(model, videos, tmp_path, capsys):
    """An empty folder named like a video and a frame folder of mixed sizes get rows."""
    import cv2
    empty = tmp_path / "x.avi"
    empty.mkdir()
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "0.png"), np.zeros((32, 32, 3), np.uint8))
    cv2.imwrite(str(mixed / "1.png"), np.zeros((40, 32, 3), np.uint8))
    good = str(next((videos / "darken").glob("*.avi")))
    args = [good, str(empty), str(mixed)]
    assert main(["predict", str(model), *args, "--json", str(tmp_path / "o.json")]) == 1
    rows = json.loads((tmp_path / "o.json").read_text())
    assert [r["path"] for r in rows] == args
    assert "label" in rows[0]
    assert "contains no frame images" in rows[1]["error"]
    assert "is 32x40 while '0.png' is 32x32" in rows[2]["error"]
    capsys.readouterr()
    # check and training agree on both
    assert main(["check", str(empty), str(mixed), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "2 problems (2 unreadable)" in out
    from skvideo_imb import InceptionFeaturizer
    with pytest.raises(ValueError, match="a frame folder holds frames of one size"):
        InceptionFeaturizer(2, weights=None, image_size=75, engine="torch").fit([str(mixed)])


@pytest.mark.parametrize("options, message", [
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--n-frames", "-1"], "--n-frames must be at least 1, got -1"),
    (["--cv", "1"], "--cv must be at least 2, got 1")])
def test_impossible_fit_options_are_usage_errors_before_any_work(options, message, tmp_path,
                                                                 capsys, monkeypatch):
    from skvideo_imb.cli import _fit
    monkeypatch.setattr(_fit, "_load", lambda data: pytest.fail("loaded the data"))
    with pytest.raises(SystemExit) as done:
        main(["fit", str(tmp_path), "--out", str(tmp_path / "m.skops"), *options])
    assert done.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    (["--window", "0"], "--window must be at least 1 frame, got 0"),
    (["--window", "4", "--stride", "0"], "--stride must be at least 1 frame, got 0"),
    (["--stride", "4"], "--stride needs --window"),
    (["--plot", "t.png"], "--plot draws timelines"),
])
def test_impossible_predict_options_are_usage_errors(model, avi_path, capsys, options,
                                                     message):
    with pytest.raises(SystemExit) as done:
        main(["predict", str(model), avi_path, *options])
    assert done.value.code == 2 and message in capsys.readouterr().err


def test_predict_uses_a_cache_only_when_asked(model, videos, tmp_path):
    good = [str(p) for p in sorted((videos / "darken").glob("*.avi"))[:2]]
    card = json.loads(Path(str(model) + ".json").read_text())
    assert main(["predict", str(model), *good, "--json", str(tmp_path / "a.json")]) == 0
    assert card["settings"]["engine"]  # the model was fitted with a (temporary) cache
    cache = tmp_path / "cache"
    assert main(["predict", str(model), *good, "--cache", str(cache),
                 "--json", str(tmp_path / "b.json")]) == 0
    assert any(cache.rglob("*.feat"))
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert [r["probabilities"] for r in a] == [r["probabilities"] for r in b]


def test_inspect_lists_the_names_of_a_good_model_and_loads_nothing(model, capsys):
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "skvideo_imb.models._classifier.ResBiLSTMClassifier" in out
    assert "load_model would load this file." in out and " NO" not in out
    assert main(["inspect", str(model), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] and report["card"]["classes"][0] == "brighten"
    assert all(n["trusted"] for n in report["names"])
