"""`skvideo-imb reproduce` end to end on the built-in data, at smoke size."""

import csv
import json
import subprocess
import sys

import pytest

from skvideo_imb.cli import main
from skvideo_imb.experiments import ROWS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["reproduce", "--profile", "smoke", "--out", str(out)]) == 0
    return out


def test_every_row_is_reported_with_scores_in_range(report):
    with open(report / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == [row.name for row in ROWS]
    for r in rows:
        if r["error"]:  # only ADASYN may decline a data set, and it must say why
            assert "ADASYN" in r["model"] and r["accuracy"] == ""
            continue
        for key in ("accuracy", "f1_macro", "f1_weighted", "f1_order_only"):
            assert 0.0 <= float(r[key]) <= 1.0
        assert float(r["fit_time_s"]) > 0
    assert sum(bool(r["error"]) for r in rows) <= 1
    table = (report / "results.md").read_text()
    assert "| Model | Acc | F1 (macro) | Weighted F1 |" in table
    assert "Claims, as measured" in table


def test_run_json_records_settings_seeds_and_versions(report):
    record = json.loads((report / "run.json").read_text())
    assert record["seed"] == 0 and record["profile"] == "smoke"
    assert record["settings"]["n_frames"] == 4
    assert record["versions"]["torch"] and record["versions"]["scikit-learn"]
    assert len(record["rows"]) == len(ROWS)
    assert set(record["curves"]) == {"LSTM", "ResLSTM", "BiLSTM", "ResBiLSTM"}
    assert all(len(c["valid_loss"]) == 3 for c in record["curves"].values())
    assert {c["metric"] for c in record["claims"]} == {"f1_macro", "f1_order_only"}


def test_plots_are_valid_pngs(report):
    for name in ("validation_curves.png", "confusion_matrix.png"):
        data = (report / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000


def test_python_dash_m_help():
    out = subprocess.run([sys.executable, "-m", "skvideo_imb", "reproduce", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--profile" in out and "ucf101:ROOT" in out


def test_bad_data_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(["reproduce", "--data", str(tmp_path / "nowhere"), "--profile", "smoke",
              "--out", str(tmp_path / "out")])
