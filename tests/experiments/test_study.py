"""The long-tail study: its rows, its per-seed claims, its data and its command."""

import csv
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score

from skvideo_imb import InceptionFeaturizer
from skvideo_imb.cli import main
from skvideo_imb.experiments import (LONG_TAIL_ROWS, PROFILES, SYNTHETIC_SKEWS, Row,
                                     build_row_pipeline, check_long_tail_claims,
                                     load_experiment_data)
from skvideo_imb.models import LOSSES


def test_the_rows_cover_every_loss_with_and_without_video_oversampling():
    by_loss = {}
    for row in LONG_TAIL_ROWS:
        assert row.model == "resbilstm" and not row.class_weight
        by_loss.setdefault(row.loss, set()).add(row.sampler)
    assert set(by_loss) == set(LOSSES)
    assert all(samplers == {"none", "video"} for samplers in by_loss.values())
    assert {row.sampler for row in LONG_TAIL_ROWS if row.posthoc_tau} == {"none", "video"}
    assert [row.batch_sampler for row in LONG_TAIL_ROWS].count("class_balanced") == 1


@pytest.mark.parametrize("row", LONG_TAIL_ROWS, ids=lambda row: row.name)
def test_every_study_row_builds_the_classifier_it_names(row):
    featurizer = InceptionFeaturizer(n_frames=4, weights=None, image_size=75)
    pipe = build_row_pipeline(row, featurizer, PROFILES["smoke"], np.array([0, 0, 1]))
    classifier = pipe[-1]
    assert (classifier.loss, classifier.posthoc_tau, classifier.sampler) == (
        row.loss, row.posthoc_tau, row.batch_sampler)
    assert ("spatiotemporaloversampler" in pipe.named_steps) == (row.sampler == "video")


def test_a_row_with_an_unknown_loss_or_a_loss_on_the_frame_baseline_is_an_error():
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of"):
        Row("mine", loss="hinge")
    with pytest.raises(ValueError, match="frame-only baseline takes no sampler and no loss"):
        Row("mine", model="frames", loss="focal")


def test_claims_are_decided_seed_by_seed_against_cross_entropy():
    rows = {row.name: row.__dict__ for row in LONG_TAIL_ROWS}
    rows["post-hoc, video last"] = {**rows["cross-entropy + video oversampling + post-hoc "
                                          "adjustment (tau=1)"]}
    del rows["cross-entropy + video oversampling + post-hoc adjustment (tau=1)"]

    def run(seed, scores):
        return {"seed": seed, "rows": [{"name": name, "row": rows[name], "f1_macro": value}
                                       for name, value in scores.items()]}
    names = ["cross-entropy", "focal", "cross-entropy + video oversampling",
             "cross-entropy + post-hoc adjustment (tau=1)", "post-hoc, video last"]
    runs = [run(0, dict(zip(names, [0.5, 0.6, 0.4, 0.5, 0.6]))),
            run(1, dict(zip(names, [0.5, 0.7, 0.45, 0.5, 0.6]))),
            run(2, dict(zip(names, [0.5, 0.4, 0.6, 0.5, 0.4])))]
    claims = {c["claim"]: c for c in check_long_tail_claims(runs)}
    focal = claims["focal raises macro F1 over cross-entropy"]
    assert focal["holds"] and (focal["n_above"], focal["n_below"]) == (2, 1)
    video = claims["video oversampling raises macro F1 with cross-entropy"]
    assert not video["holds"] and video["n_below"] == 2
    # twins are found by their settings, not their names
    posthoc = claims["video oversampling raises macro F1 with cross-entropy + post-hoc "
                     "adjustment (tau=1)"]
    assert posthoc["better"] == "post-hoc, video last" and posthoc["n_above"] == 2
    assert len(claims) == 4 + 2


@pytest.mark.parametrize("skew", sorted(SYNTHETIC_SKEWS))
def test_synthetic_skews_have_the_stated_smallest_classes(skew):
    data = load_experiment_data(f"synthetic:{skew}", random_state=0)
    counts = np.unique(data["y_train"], return_counts=True)[1]
    assert data["name"] == f"synthetic:{skew}"
    assert (counts.min(), counts.max()) == {"moderate": (10, 28), "severe": (4, 42)}[skew]
    with pytest.raises(ValueError, match="unknown synthetic skew 'steep'"):
        load_experiment_data("synthetic:steep")


@pytest.mark.slow
def test_reproduce_study_long_tail_writes_the_table_and_the_claims(tmp_path, capsys):
    out = tmp_path / "lt"
    assert main(["reproduce", "--study", "long-tail", "--data", "synthetic:severe",
                 "--profile", "smoke", "--seeds", "1", "--out", str(out), "--quiet"]) == 0
    text = (out / "long_tail.md").read_text()
    assert "## synthetic:severe" in text and "Claims, as measured" in text
    assert "video oversampling raises macro F1 with ldam" in text
    with open(out / "long_tail_synthetic_severe.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == [row.name for row in LONG_TAIL_ROWS]
    record = json.loads((out / "long_tail.json").read_text())
    study = record["studies"]["synthetic:severe"]
    assert study["seeds"] == [0] and record["study"] == "long-tail"
    for r in rows:  # each cell is the mean over the seeds of scores of the predictions
        values = []
        for run in study["runs"]:
            (result,) = [x for x in run["rows"] if x["name"] == r["model"]]
            values.append(f1_score(run["y_test"], result["y_pred"], average="macro",
                                   zero_division=0))
        assert float(r["f1_macro_mean"]) == pytest.approx(np.mean(values), abs=1e-6)
        assert r["balanced_accuracy_mean"] and r["gmean_mean"]
    assert (out / "long_tail_f1.png").read_bytes()[:4] == b"\x89PNG"
    assert "| cross-entropy + class-balanced batches |" in capsys.readouterr().out


def test_help_names_the_study_and_its_default_seeds(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    out = capsys.readouterr().out
    assert "--study" in out and "long-tail" in out and "5 for" in out
