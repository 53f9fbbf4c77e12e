"""load_experiment_data: the train/test split of a folder keeps a source video's clips
together."""

import numpy as np

from skvideo_imb.datasets import video_groups
from skvideo_imb.experiments import load_experiment_data


def test_a_folder_of_ucf101_clips_is_split_by_source_video(tmp_path):
    for label in ("Biking", "Diving"):
        (tmp_path / label).mkdir()
        for g in range(1, 11):
            for c in range(1, 4):  # (listed, not decoded)
                (tmp_path / label / f"v_{label}_g{g:02d}_c{c:02d}.avi").write_bytes(b"")
    for seed in range(3):
        data = load_experiment_data(str(tmp_path), random_state=seed)
        train, test = set(video_groups(data["X_train"])), set(video_groups(data["X_test"]))
        assert train and test and not train & test
        assert set(data["y_test"]) == {"Biking", "Diving"}
        assert abs(len(data["X_test"]) / 60 - 0.3) < 0.05
        assert np.array_equal(np.unique(data["y_train"]), ["Biking", "Diving"])
