"""`skvideo-imb reproduce` end to end on the built-in data, at smoke size."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from skvideo_imb.cli import main
from skvideo_imb.datasets import ORDER_ONLY_PAIRS
from skvideo_imb.experiments import ROWS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["reproduce", "--profile", "smoke", "--out", str(out)]) == 0
    return out


def test_every_row_is_reported_with_the_scores_of_its_predictions(report):
    with open(report / "results.csv") as f:
        rows = list(csv.DictReader(f))
    record = json.loads((report / "run.json").read_text())
    predicted = {r["name"]: r for r in record["rows"]}
    y_test = np.array(record["y_test"])
    order_only = sorted(c for pair in ORDER_ONLY_PAIRS for c in pair)
    assert [r["model"] for r in rows] == [row.name for row in ROWS]
    for r in rows:
        if r["error"]:  # only a neighbour-based sampler may decline, and it says why
            assert ("ADASYN" in r["model"] or "SMOTE" in r["model"]) and r["accuracy"] == ""
            continue
        y_pred = np.array(predicted[r["model"]]["y_pred"])
        assert len(y_pred) == len(y_test) == record["n_test"]
        expected = {
            "accuracy": accuracy_score(y_test, y_pred),
            "f1_macro": f1_score(y_test, y_pred, average="macro", zero_division=0),
            "f1_weighted": f1_score(y_test, y_pred, average="weighted", zero_division=0),
            "f1_order_only": f1_score(y_test, y_pred, labels=order_only, average="macro",
                                      zero_division=0)}
        for key, value in expected.items():
            assert float(r[key]) == pytest.approx(value, abs=1e-6), (r["model"], key)
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


def test_bad_data_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "--data", str(tmp_path / "nowhere"), "--profile", "smoke",
              "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert "nowhere" in capsys.readouterr().err


def _scored_rows(out):
    with open(out / "results.csv") as f:
        return [r for r in csv.DictReader(f) if not r["error"]]


def test_class_per_folder_data(tmp_path):
    from skvideo_imb.datasets import make_synthetic_videos
    sizes = {"brighten": 8, "darken": 4, "move_right": 6, "move_left": 4, "checkerboard": 5}
    make_synthetic_videos(sizes, n_frames=(6, 8), directory=tmp_path / "videos")
    out = tmp_path / "out"
    assert main(["reproduce", "--data", str(tmp_path / "videos"), "--profile", "smoke",
                 "--weights", "none", "--no-ablations", "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["data_name"].startswith("folder:") and record["n_test"] == 9
    assert len(_scored_rows(out)) >= len(ROWS) - 1


def test_ucf101_layout_with_the_imbalance_protocol(tmp_path):
    """``--data ucf101:ROOT`` on a tree in UCF101's own layout and split-file formats."""
    from _videos import gradient_video, write_video
    root = tmp_path / "ucf"
    classes = ["ApplyEyeMakeup", "Basketball", "YoYo"]
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    (lists / "classInd.txt").write_text(
        "".join(f"{i} {c}\r\n" for i, c in enumerate(classes, 1)))
    train, test = [], []
    for label, name in enumerate(classes, 1):
        (root / "UCF-101" / name).mkdir(parents=True)
        for group in range(1, 8):
            rel = f"{name}/v_{name}_g{group:02d}_c01.avi"
            frames = gradient_video(n_frames=6 + group % 3, height=16, width=16)
            write_video(root / "UCF-101" / rel, frames if label != 2 else frames[::-1])
            (train if group > 2 else test).append((rel, label))
    for split in (1, 2, 3):
        (lists / f"trainlist0{split}.txt").write_text(
            "".join(f"{rel} {label}\r\n" for rel, label in train))
        (lists / f"testlist0{split}.txt").write_text("".join(f"{rel}\r\n" for rel, _ in test))
    out = tmp_path / "out"
    assert main(["reproduce", "--data", f"ucf101:{root}", "--profile", "smoke",
                 "--weights", "none", "--no-ablations", "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["data_name"] == "ucf101-imbalanced-split1" and record["n_test"] == 6
    assert sum(record["train_class_counts"].values()) <= 15  # the protocol only removes
    assert len(_scored_rows(out)) >= len(ROWS) - 1
