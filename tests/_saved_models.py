"""Every model configuration the toolkit supports, fitted small and saved with save_model.

Used to derive the loader's allow-list from real files (tests/test_model_audit.py) and
to check that each configuration loads in a fresh process and predicts the same
probabilities (tests/test_persistence.py).
"""

import json
import time

import numpy as np

N_FRAMES = 2


def data():
    """12 tiny array videos of 4 frames, classes of 6, 4 and 2."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (12, 4, 32, 32, 3), dtype=np.uint8)
    for k, label in enumerate([0] * 6 + [1] * 4 + [2] * 2):  # learnable: brightness
        X[k] = np.clip(X[k].astype(int) // 2 + 60 * label, 0, 255)
    return list(X), np.array(["run"] * 6 + ["walk"] * 4 + ["fall"] * 2)


def configurations(cache):
    """``{name: unfitted estimator}`` for every configuration save_model must support."""
    from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline as imb_make_pipeline
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline

    from skvideo_imb import (InceptionFeaturizer, ResBiLSTMClassifier,
                             SpatioTemporalOverSampler, make_video_pipeline)
    import torch

    from skvideo_imb._progress import command_log
    from skvideo_imb.features._engines import engine_available
    from skvideo_imb.models import LOSSES, EpochProgress

    small = dict(backbone="mobilenet_v3_small", weights=None, image_size=32, batch_size=8,
                 engine="torch", n_calibration_frames=None, random_state=0)
    net = dict(hidden_size=4, fc_size=4, max_epochs=2, batch_size=4, random_state=0,
               device="cpu")

    def video(featurizer=None, classifier=None, sampler="spatiotemporal"):
        return make_video_pipeline(sampler, n_frames=N_FRAMES,
                                   featurizer={**small, **(featurizer or {})},
                                   classifier={**net, **(classifier or {})}, random_state=0)

    def frozen(pipeline_maker, before=()):
        featurizer = InceptionFeaturizer(N_FRAMES, **small)
        return pipeline_maker(*before, FrozenEstimator(featurizer),
                              ResBiLSTMClassifier(N_FRAMES, **net)), featurizer

    configs = {
        "paper, InceptionV3": video({"backbone": "inception_v3", "image_size": 75}),
        "ResBiLSTM, readout last": video(classifier={"readout": "last"}),
        "ResBiLSTM, readout mean": video(classifier={"readout": "mean"}),
        "LSTM": video(classifier={"num_layers": 1, "bidirectional": False,
                                  "residual": False}),
        "ResLSTM": video(classifier={"bidirectional": False}),
        "BiLSTM": video(classifier={"residual": False}),
        "class weights, early stopping": video(classifier={
            "class_weight": "balanced", "early_stopping": True, "patience": 1,
            "validation_fraction": 0.3}),
        "classifier bf16": video(classifier={"precision": "bf16"}),
        "featurizer fp32": video({"precision": "fp32"}),
        "featurizer bf16": video({"precision": "bf16"}),
        "openvino": video({"engine": "openvino"}),
        # ResNet-18 compiles twice as fast as the small MobileNet
        "torch-compile": video({"engine": "torch-compile", "backbone": "resnet18"}),
        "cache on": video({"cache": str(cache)}),
        "SMOTE": video(sampler=SMOTE(k_neighbors=1, random_state=0)),
        "ADASYN": video(sampler=ADASYN(n_neighbors=1, random_state=0)),
        "RandomOverSampler": video(sampler=RandomOverSampler(random_state=0)),
        "no oversampler": video(sampler=None),
        "command line callbacks": video(classifier={"callbacks": [
            ("progress", EpochProgress(command_log()))]}),
        "classifier alone": ResBiLSTMClassifier(N_FRAMES, **net),
    }
    # each long-tail option (issue 22) on features: what it saves is the classifier's
    for options in ([{"loss": loss} for loss in LOSSES if loss != "cross_entropy"]
                    + [{"posthoc_tau": 1.0}, {"sampler": "class_balanced"}]):
        (key, value), = options.items()
        configs[f"classifier alone, {key}={value}"] = ResBiLSTMClassifier(
            N_FRAMES, **net, **options)
    if engine_available("openvino-int8", torch.device("cpu")):  # the [int8] extra
        configs["openvino-int8"] = video({"engine": "openvino-int8",
                                          "n_quantization_frames": 8})
    configs["FrozenEstimator, imblearn make_pipeline"] = frozen(
        imb_make_pipeline, [SpatioTemporalOverSampler(n_frames=N_FRAMES, random_state=0)])
    configs["FrozenEstimator, sklearn make_pipeline"] = frozen(make_pipeline)
    return configs


def fit_and_save(folder, names=None):
    """Fit each configuration (or those in ``names``) and save it under ``folder``.

    Returns ``{name: (path, X, probabilities)}``: the file, the videos (or features, for
    the classifier alone) it predicts and its probabilities in this process.
    """
    from skvideo_imb import InceptionFeaturizer, save_model

    X, y = data()
    saved = {}
    features = None
    for k, (name, config) in enumerate(configurations(folder / "cache").items()):
        if names is not None and name not in names:
            continue
        if isinstance(config, tuple):
            config, featurizer = config
            featurizer.fit(X)
        inputs, targets = X, y
        alone = name.startswith("classifier alone")
        if alone or name == "RandomOverSampler":  # integer labels
            targets = np.unique(y, return_inverse=True)[1]
        if alone:  # on features
            if features is None:
                features = InceptionFeaturizer(
                    N_FRAMES, backbone="mobilenet_v3_small", weights=None, image_size=32,
                    engine="torch", random_state=0).fit(X).transform(X)
            inputs = features
        start = time.perf_counter()
        config.fit(inputs, targets)
        print(f"{name}: fitted in {time.perf_counter() - start:.1f}s")
        path = folder / f"model{k}.skops"
        save_model(config, path, card={"configuration": name})
        saved[name] = (path, inputs, config.predict_proba(inputs))
    return saved


def shared_fit_and_save(folder, timeout=900):
    """:func:`fit_and_save` into ``folder`` once for all the processes of a test run.

    The first process to take the lock fits and saves, then writes ``index.json`` (the
    names, files and arrays); the others wait for the lock (at most ``timeout``
    seconds) and read what it wrote.
    """
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.json"
    with FileLock(str(folder / ".lock"), timeout=timeout):
        if not index.exists():
            saved = fit_and_save(folder)
            arrays = {}
            for k, (_, inputs, probabilities) in enumerate(saved.values()):
                arrays[f"x{k}"], arrays[f"p{k}"] = np.asarray(inputs), probabilities
            np.savez(folder / "arrays.npz", **arrays)
            index.write_text(json.dumps([[name, path.name] for name, (path, _, _)
                                         in saved.items()]))
    # every process, the one that wrote them too, tests what was written
    arrays = np.load(folder / "arrays.npz")
    return {name: (folder / path, _inputs(arrays[f"x{k}"]), arrays[f"p{k}"])
            for k, (name, path) in enumerate(json.loads(index.read_text()))}


def _inputs(array):
    """Videos as the list :func:`data` gives (features stay one array)."""
    return list(array) if array.ndim == 5 else array
