"""`skvideo-imb reproduce` end to end on the built-in data, at smoke size."""

import csv
import json
import numpy as np
import pytest
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from skvideo_imb.cli import main
from skvideo_imb.datasets import ORDER_ONLY_PAIRS
from skvideo_imb.experiments import ROWS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["reproduce", "--profile", "smoke", "--seeds", "2", "--out", str(out)]) == 0
    return out


def _metric(row, key, stat="mean"):
    return float(row[f"{key}_{stat}"])


def _recomputed(y_test, y_pred):
    order_only = sorted(c for pair in ORDER_ONLY_PAIRS for c in pair)
    return {"accuracy": accuracy_score(y_test, y_pred),
            "f1_macro": f1_score(y_test, y_pred, average="macro", zero_division=0),
            "f1_weighted": f1_score(y_test, y_pred, average="weighted", zero_division=0),
            # recomputed from imbalanced-learn and scikit-learn, not skvideo_imb.metrics
            "balanced_accuracy": balanced_accuracy_score(y_test, y_pred),
            "gmean": geometric_mean_score(y_test, y_pred, labels=sorted(set(y_test)),
                                          correction=0.001),
            "f1_order_only": f1_score(y_test, y_pred, labels=order_only, average="macro",
                                      zero_division=0)}


@pytest.mark.slow
def test_every_row_is_reported_with_the_scores_of_its_predictions(report):
    """Each cell is mean and sd over the seeds of scores recomputed from run.json."""
    with open(report / "results.csv") as f:
        rows = list(csv.DictReader(f))
    record = json.loads((report / "run.json").read_text())
    assert [r["model"] for r in rows] == [row.name for row in ROWS]
    for r in rows:
        per_seed = []
        for run in record["runs"]:
            (result,) = [x for x in run["rows"] if x["name"] == r["model"]]
            if "error" in result:  # only a neighbour-based sampler may decline, and says so
                assert "ADASYN" in r["model"] or "SMOTE" in r["model"]
                assert f"seed {run['seed']}: " in r["error"]
                continue
            assert len(result["y_pred"]) == len(run["y_test"]) == run["n_test"]
            per_seed.append(_recomputed(np.array(run["y_test"]), np.array(result["y_pred"])))
            assert result["fit_time_s"] > 0
        assert int(r["n_seeds"]) == len(per_seed)
        for key in per_seed[0] if per_seed else ():
            values = [scores[key] for scores in per_seed]
            assert _metric(r, key) == pytest.approx(np.mean(values), abs=1e-6)
            sd = np.std(values, ddof=1) if len(values) > 1 else 0.0
            assert _metric(r, key, "std") == pytest.approx(sd, abs=1e-6)
    assert sum(bool(r["error"]) for r in rows) <= 1
    table = (report / "results.md").read_text()
    assert "| Model | Acc | F1 (macro) | Weighted F1 | Balanced acc | G-mean |" in table
    assert "Claims, as measured" in table and " ± " in table


def test_run_json_records_settings_seeds_and_versions(report):
    record = json.loads((report / "run.json").read_text())
    assert record["seed"] == 0 and record["seeds"] == [0, 1] and record["profile"] == "smoke"
    assert record["settings"]["n_frames"] == 4
    assert record["versions"]["torch"] and record["versions"]["scikit-learn"]
    assert record["device_used"] == {"featurizer": ["cpu"], "classifier": ["cpu"]}
    assert [run["seed"] for run in record["runs"]] == [0, 1]   # 2 per-seed results per row
    assert all(len(run["rows"]) == len(ROWS) for run in record["runs"])
    assert len(record["summary"]) == len(ROWS)
    ablations = {"LSTM", "ResLSTM", "BiLSTM", "ResBiLSTM"}
    assert set(record["curves"]) == ablations
    for run in record["runs"]:
        assert set(run["curves"]) == ablations
        assert all(len(c["valid_loss"]) == 3 for c in run["curves"].values())
    for name, curve in record["curves"].items():   # the plotted mean is the seeds' mean
        per_seed = np.array([run["curves"][name]["valid_loss"] for run in record["runs"]])
        np.testing.assert_allclose(curve["valid_loss"]["mean"], per_seed.mean(axis=0))
    assert {c["metric"] for c in record["claims"]} == {"f1_macro", "f1_order_only"}
    for claim in record["claims"]:          # decided from the seeds, not from one run
        assert claim["n_seeds"] == len(claim["per_seed"]) == 2
        assert claim["mean_difference"] == pytest.approx(np.mean(list(claim["per_seed"].values())))


def test_plots_are_valid_pngs(report):
    for name in ("validation_curves.png", "confusion_matrix.png"):
        data = (report / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000


def test_help_names_the_data_forms_and_the_profiles(capsys):
    # (`python -m skvideo_imb` is run in a fresh process by test_fit_predict.py)
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    out = capsys.readouterr().out
    assert "--profile {smoke,quick,paper}" in out and "ucf101:ROOT" in out


def test_bad_data_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "--data", str(tmp_path / "nowhere"), "--profile", "smoke",
              "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert "nowhere" in capsys.readouterr().err


def _scored_rows(out):
    with open(out / "results.csv") as f:
        return [r for r in csv.DictReader(f) if not r["error"]]


@pytest.mark.slow
def test_class_per_folder_data(tmp_path):
    from skvideo_imb.datasets import make_synthetic_videos
    sizes = {"brighten": 8, "darken": 4, "move_right": 6, "move_left": 4, "checkerboard": 5}
    make_synthetic_videos(sizes, n_frames=(6, 8), directory=tmp_path / "videos")
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert main(["reproduce", "--data", str(tmp_path / "videos"), "--profile", "smoke",
                 "--weights", "none", "--no-ablations", "--seeds", "1", "--seed", "5",
                 "--cache", str(cache), "--device", "cpu", "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["data_name"].startswith("folder:") and record["n_test"] == 9
    assert len(_scored_rows(out)) >= len(ROWS) - 1
    # the options: weights none (the default would download ImageNet's), the seed, the
    # cache folder (instead of OUT/feature_cache), the device of every estimator
    assert record["weights"] is None and "weights=None" in record["runs"][0]["rows"][0][
        "pipeline"]
    assert record["seed"] == 5 and [run["seed"] for run in record["runs"]] == [5]
    assert any(cache.rglob("*.feat")) and not (out / "feature_cache").exists()
    assert record["device"] == "cpu"
    lstm_rows = [r for r in record["runs"][0]["rows"]
                 if r["row"]["model"] != "frames" and "error" not in r]
    assert all(r["pipeline"].count("device='cpu'") == 2            # featurizer, LSTM
               and r["pipeline"].count("random_state=5") >= 2 for r in lstm_rows)


@pytest.mark.slow
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
        for group in range(1, 15 if name == "YoYo" else 8):   # YoYo: 12 training videos
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
                 "--weights", "none", "--no-ablations", "--seeds", "1",
                 "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["data_name"] == "ucf101-imbalanced-split1" and record["n_test"] == 6
    # the protocol (classes shrunk at random to no fewer than 10) with the run's seed
    from skvideo_imb.datasets import load_ucf101
    protocol = load_ucf101(root, split=1, imbalanced=True, random_state=0).train.target
    assert record["train_class_counts"] == dict(zip(*np.unique(protocol, return_counts=True)))
    assert record["train_class_counts"]["YoYo"] < 12          # ... removed videos
    assert len(_scored_rows(out)) >= len(ROWS) - 1


@pytest.mark.slow
def test_a_local_dask_cluster_reports_the_same_scores(report, tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    # the rows depend neither on the ablations nor on the other seeds: compare seed 0's
    assert main(["reproduce", "--profile", "smoke", "--seeds", "1", "--scheduler", "local:2",
                 "--no-ablations", "--out", str(out)]) == 0
    # (the rows' progress lines are printed by the workers, to the terminal, not here)
    assert "scheduler: Dask at tcp://" in capsys.readouterr().out

    def seed_0(folder):
        (run,) = [r for r in json.loads((folder / "run.json").read_text())["runs"]
                  if r["seed"] == 0]
        return [{k: v for k, v in row.items() if k not in ("fit_time_s", "pipeline")}
                for row in run["rows"]]          # (the pipeline names its cache folder)
    on_cluster, in_process = seed_0(out), seed_0(report)
    assert [r["name"] for r in on_cluster] == [row.name for row in ROWS]
    assert on_cluster == in_process            # predictions and scores, row by row
    record = json.loads((out / "run.json").read_text())
    assert record["scheduler"] == "local:2"


def test_a_bad_scheduler_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "--scheduler", "cluster", "--out", str(tmp_path)])
    assert info.value.code == 2 and "--scheduler must be" in capsys.readouterr().err
