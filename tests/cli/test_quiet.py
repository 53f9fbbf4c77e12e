"""`--quiet` on every command: no progress and no chatter, the results and errors still out."""

import contextlib
import csv
import io

import pytest

from skvideo_imb.cli import main

SMALL = ["--profile", "smoke", "--weights", "none"]


@pytest.fixture(scope="module", autouse=True)
def _torch_engine():
    """Seconds, not the OpenVINO conversion: these tests are about what is printed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("skvideo_imb.features._engines.engine_available",
                      lambda engine, device: engine == "torch")
        yield


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quiet") / "videos"
    assert main(["make-data", "synthetic", str(folder), "--videos-per-class", "4",
                 "--frames", "4", "5", "--size", "16", "-q"]) == 0
    return folder


@pytest.fixture(scope="module")
def fitted(videos):
    """`fit --quiet` run once; its model and what it printed."""
    out = videos.parent / "model.skops"
    printed = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed[0]), contextlib.redirect_stderr(printed[1]):
        status = main(["fit", str(videos), "--out", str(out), *SMALL, "--n-frames", "2",
                       "--epochs", "1", "--validation-fraction", "0", "--quiet"])
    return status, out, printed[0].getvalue(), printed[1].getvalue()


def test_make_data_quiet_still_says_what_it_wrote(tmp_path, capsys):
    assert main(["make-data", "synthetic", str(tmp_path), "--videos-per-class", "1",
                 "--frames", "2", "2", "--size", "8", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"wrote 5 videos to {tmp_path}: ") and err == ""
    assert len(list(tmp_path.glob("*/*.avi"))) == 5


def test_fit_quiet_prints_nothing_and_writes_the_model(fitted):
    status, model, out, err = fitted
    # without --quiet: "skvideo-imb fit: ...", featurizer lines, epochs, "saved ..."
    assert status == 0 and (out, err) == ("", "")
    assert model.is_file() and model.with_name("model.skops.json").is_file()


def test_predict_quiet_silences_a_verbose_models_progress_not_its_table(fitted, videos,
                                                                       tmp_path, capsys,
                                                                       monkeypatch):
    from skvideo_imb import load_model

    def load_verbose(path, **kwargs):                   # a model that reports progress
        model = load_model(path, **kwargs)
        model.named_steps["frozenestimator"].estimator.verbose = 1
        return model

    monkeypatch.setattr("skvideo_imb._persistence.load_model", load_verbose)
    argv = ["predict", str(fitted[1]), str(videos / "darken"),
            "--csv", str(tmp_path / "rows.csv")]
    assert main(argv) == 0
    assert "InceptionFeaturizer: 8/8 frames (100%)" in capsys.readouterr().err
    assert main([*argv, "-q"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [line.split()[0] for line in out.splitlines()[1:]] == [
        str(videos / "darken" / f"darken_00{k}.avi") for k in range(4)]
    with open(tmp_path / "rows.csv") as f:
        assert len(list(csv.DictReader(f))) == 4


def test_inspect_and_check_quiet_print_their_reports(fitted, videos, capsys):
    assert main(["inspect", str(fitted[1]), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "load_model would load this file." in out and err == ""
    assert main(["check", str(videos)]) == 0
    assert "checking: 20/20 videos (100%)" in capsys.readouterr().err
    assert main(["check", str(videos), "-q"]) == 0
    assert capsys.readouterr() == ("checked 20 videos: 0 problems\n", "")


def test_reproduce_quiet_prints_the_report_only(videos, tmp_path, capsys, monkeypatch):
    from skvideo_imb.experiments import ROWS, run_reproduction

    monkeypatch.setitem(run_reproduction.__kwdefaults__, "rows", ROWS[:1])  # one row
    assert main(["reproduce", "--data", str(videos), *SMALL, "--seeds", "1",
                 "--no-ablations", "--out", str(tmp_path), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    # without --quiet: the settings, the split, the featurizer, each row's epochs
    assert "skvideo-imb reproduce:" not in out and "[seed" not in out
    assert "| CNN-LSTM |" in out and f"wrote {tmp_path / 'results.csv'}" in out
