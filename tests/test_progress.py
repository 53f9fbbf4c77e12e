"""The progress policy: a bar on a terminal, plain lines in a log file, nothing when silent."""

import io
import pickle

import numpy as np
import pytest

from skvideo_imb._progress import command_log, progress, quiet, track, write_line


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _count(n, stream, **kwargs):
    with progress(n, "work", unit="frame", stream=stream, **kwargs) as bar:
        for _ in range(n):
            bar.update()
    return stream.getvalue()


def test_a_terminal_gets_a_redrawn_bar():
    out = _count(50, _Terminal())
    assert "\r" in out and "|" in out                      # tqdm redraws one bar in place
    assert "50/50" in out


def test_a_log_file_gets_lines_at_every_tenth_with_counts_rate_and_eta():
    out = _count(1000, io.StringIO())
    assert "\r" not in out and out.endswith("\n")
    lines = out.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"work: {100 * k}/1000 frames ({10 * k}%)" for k in range(1, 11)]
    assert all(" frames/s, " in line and " elapsed, ETA " in line for line in lines)


def test_a_slow_job_gets_a_line_every_interval(monkeypatch):
    clock = iter(range(0, 1000, 20))                      # 20 s per unit of work
    monkeypatch.setattr("skvideo_imb._progress.time.monotonic", lambda: next(clock))
    out = _count(5, io.StringIO(), interval=30, step=100)
    # 20 s, 40 s (a line: 40 s since the start), 60 s, 80 s (a line), 100 s (the end)
    assert [line.split(",")[0] for line in out.splitlines()] == [
        "work: 2/5 frames (40%)", "work: 4/5 frames (80%)", "work: 5/5 frames (100%)"]


def test_an_unknown_total_gets_counts_without_eta(monkeypatch):
    clock = iter(range(0, 1000, 40))
    monkeypatch.setattr("skvideo_imb._progress.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    list(track(iter(range(3)), "scan", unit="video", stream=stream, interval=30))
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["scan: 1 videos", "scan: 2 videos",
                                                      "scan: 3 videos"]
    assert not any("ETA" in line for line in lines)


@pytest.mark.parametrize("stream", [io.StringIO(), _Terminal()], ids=["file", "terminal"])
def test_verbose_0_and_quiet_write_nothing(stream):
    assert _count(20, stream, verbose=0) == ""
    with quiet():
        assert _count(20, stream) == ""
        write_line("summary", stream=stream)
    assert stream.getvalue() == ""
    write_line("summary", stream=stream)
    assert stream.getvalue() == "summary\n"


def test_the_command_log_is_chatter_on_stdout_and_travels_to_workers(capsys):
    log = pickle.loads(pickle.dumps(command_log()))
    log("fitting")
    command_log(quiet=True)("not shown")
    with quiet():
        log("not shown either")
    assert capsys.readouterr() == ("fitting\n", "")


def test_check_reports_progress_as_lines_in_a_log(avi_path, capsys):
    from skvideo_imb.io import scan_videos

    scan_videos([avi_path, avi_path])
    err = capsys.readouterr().err                         # pytest's stderr is no terminal
    assert "\r" not in err
    assert err.splitlines()[-1].startswith("checking: 2/2 videos (100%), ")
    scan_videos([avi_path], progress=False)
    assert capsys.readouterr().err == ""


def test_epoch_progress_writes_to_stderr_unless_quiet(capsys):
    from skvideo_imb.models import EpochProgress, ResBiLSTMClassifier

    X, y = np.random.RandomState(0).normal(size=(8, 3, 2)), [0, 1] * 4
    clf = ResBiLSTMClassifier(hidden_size=2, fc_size=2, max_epochs=2, random_state=0,
                              callbacks=[EpochProgress(every=1)])
    clf.fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and [line.split()[1] for line in err.splitlines()] == ["1/2", "2/2"]
    with quiet():
        clf.fit(X, y)
    assert capsys.readouterr() == ("", "")
