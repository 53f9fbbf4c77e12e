"""Inference engines: choice, agreement with torch, conversion once, cache keys, pickling."""

import importlib.util
import json
import pickle
import threading

import numpy as np
import pytest
import torch

from skvideo_imb.features import InceptionFeaturizer
from skvideo_imb.features import _engines

HAS_OPENVINO = importlib.util.find_spec("openvino") is not None
needs_openvino = pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def videos(make_videos):
    return make_videos(n=3, t=6, seed=2)


@pytest.fixture(scope="module")
def reference(videos):
    """A network fitted in fp32 with the torch engine, and its features."""
    featurizer = InceptionFeaturizer(n_frames=3, weights=None, image_size=75, batch_size=4,
                                     precision="fp32", engine="torch",
                                     random_state=0).fit(videos)
    return featurizer, featurizer.transform(videos).reshape(-1, 2048)


def _cosines(a, b, width=2048):
    a, b = a.reshape(-1, width), b.reshape(-1, width)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module")
def well_conditioned(videos):
    """A randomly initialised ResNet-18 (BatchNorm recalibrated) in fp32, and its features.

    A randomly initialised InceptionV3 amplifies rounding: its bf16 features differ from
    its fp32 ones (cosine about 0.6 at 75 px) in torch itself, whatever the engine; a
    residual network does not, so bf16 agreement is checked on this one.
    """
    featurizer = InceptionFeaturizer(n_frames=3, backbone="resnet18", weights=None,
                                     image_size=64, precision="fp32", engine="torch",
                                     random_state=0).fit(videos)
    return featurizer, featurizer.transform(videos).reshape(-1, 512)


def test_auto_is_openvino_on_cpu_when_installed_else_torch(monkeypatch):
    expected = "openvino" if HAS_OPENVINO else "torch"
    assert _engines.resolve_engine("auto", CPU) == expected
    monkeypatch.setattr(_engines.importlib.util, "find_spec", lambda name: None)
    assert _engines.resolve_engine("auto", CPU) == "torch"
    with pytest.raises(ValueError, match="openvino package is not installed"):
        _engines.resolve_engine("openvino", CPU)


def test_auto_is_torch_on_cuda():
    assert _engines.resolve_engine("auto", torch.device("cuda")) == "torch"
    with pytest.raises(ValueError, match="runs on the CPU only"):
        _engines.resolve_engine("openvino", torch.device("cuda"))


def test_unknown_engine_is_an_error(videos):
    with pytest.raises(ValueError, match="engine"):
        InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                            engine="tensorrt").fit(videos)


def _as_engine(fitted, engine, precision=None):
    """The same fitted network, run by another engine (and precision)."""
    twin = pickle.loads(pickle.dumps(fitted))
    twin.engine_ = engine
    if precision is not None:
        twin.precision_ = precision
    return twin


@needs_openvino
def test_openvino_fp32_features_agree_with_torch_fp32(reference, videos):
    fitted, expected = reference
    out = _as_engine(fitted, "openvino", "fp32").transform(videos)
    assert _cosines(out, expected).min() >= 0.99


@pytest.mark.parametrize("engine", [
    "torch", pytest.param("openvino", marks=needs_openvino)])
def test_bf16_features_agree_with_torch_fp32(well_conditioned, videos, engine):
    fitted, expected = well_conditioned
    out = _as_engine(fitted, engine, "bf16").transform(videos)
    assert _cosines(out, expected, 512).min() >= 0.99


@pytest.mark.slow
@needs_openvino
def test_a_network_is_converted_once_per_process(reference, videos, monkeypatch, tmp_path):
    fitted, _ = reference
    calls = []
    convert = _engines._convert
    monkeypatch.setattr(_engines, "_convert",
                        lambda *args: calls.append(1) or convert(*args))
    monkeypatch.setattr(_engines, "_CONVERTED", type(_engines._CONVERTED)())
    featurizer = _as_engine(fitted, "openvino")
    featurizer.set_params(cache=str(tmp_path))
    first = featurizer.transform(videos)
    featurizer.transform(videos[:1])
    assert len(calls) == 1
    copy = pickle.loads(pickle.dumps(featurizer))          # the same network, refitted or
    assert copy._in_process.engine is None                  # unpickled in this process
    np.testing.assert_array_equal(copy.set_params(cache=None).transform(videos), first)
    assert len(calls) == 1
    _engines._CONVERTED.clear()                             # as in a new process ...
    again = pickle.loads(pickle.dumps(featurizer))
    np.testing.assert_array_equal(again.transform(videos), first)
    assert len(calls) == 1                                  # ... which reads the cache
    assert list(tmp_path.rglob("openvino-75px/model.xml"))
    _engines._CONVERTED.clear()
    fresh = pickle.loads(pickle.dumps(featurizer)).set_params(cache=None)
    np.testing.assert_array_equal(fresh.transform(videos), first)
    assert len(calls) == 2                                  # no memo, no cache: converted


@needs_openvino
def test_engine_is_part_of_the_cache_key(reference, videos, tmp_path):
    fitted, _ = reference
    torch_run = _as_engine(fitted, "torch").set_params(cache=str(tmp_path))
    torch_run.transform(videos)
    openvino_run = _as_engine(fitted, "openvino").set_params(cache=str(tmp_path))
    openvino_run.transform(videos)
    assert openvino_run.cache_stats() == (0, 9)
    folders = sorted(p.parent.name for p in tmp_path.glob("*/model.json"))
    assert len(folders) == 2 and any("-openvino-" in f for f in folders)


@needs_openvino
def test_a_pickle_from_a_machine_with_openvino_loads_without_it(reference, videos,
                                                                monkeypatch):
    fitted, expected = reference
    pickled = pickle.dumps(_as_engine(fitted, "openvino"))
    monkeypatch.setattr(_engines.importlib.util, "find_spec", lambda name: None)
    with pytest.warns(RuntimeWarning, match="engine 'openvino'.*not available here; "
                                            "using 'torch'"):
        restored = pickle.loads(pickled)                    # decided once, on loading
    assert restored.engine_ == "torch"
    out = restored.transform(videos)
    np.testing.assert_allclose(out.reshape(-1, 2048), expected, rtol=1e-5, atol=1e-5)


def test_fit_resolves_the_engine(videos):
    featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                     random_state=0).fit(videos)
    assert featurizer.engine_ in (("openvino", "torch") if HAS_OPENVINO else ("torch",))
    assert featurizer.get_params()["engine"] == "auto"


def _store(tmp_path):
    (store,) = tmp_path.rglob("openvino-75px")
    return store


@pytest.mark.slow
@needs_openvino
def test_a_damaged_engine_store_is_detected_rebuilt_and_never_used(reference, videos,
                                                                   tmp_path, monkeypatch):
    """200 flipped bytes in the cached network: warned, converted again, same features."""
    fitted, _ = reference
    featurizer = _as_engine(fitted, "openvino").set_params(cache=str(tmp_path / "c"))
    first = featurizer.transform(videos)
    weights = _store(tmp_path) / "model.bin"
    data = bytearray(weights.read_bytes())
    for k in range(200):
        data[len(data) // 3 + k] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(_engines, "_CONVERTED", type(_engines._CONVERTED)())  # new process
    again = pickle.loads(pickle.dumps(featurizer))
    for feat in (tmp_path / "c").rglob("*.feat"):  # no feature may come from the cache
        feat.unlink()
    with pytest.warns(RuntimeWarning, match="OpenVINO store .* is damaged \\(its files do "
                                            "not match their checksums\\)"):
        np.testing.assert_array_equal(again.transform(videos), first)
    manifest = json.loads((_store(tmp_path) / "manifest.json").read_text())
    assert manifest["bin"] == _engines._file_digest(weights)      # replaced by a good one
    assert not [p for p in (tmp_path / "c").rglob(".tmp-*")]


@pytest.mark.slow
@needs_openvino
def test_an_engine_store_that_cannot_be_written_degrades_with_one_warning(
        reference, videos, tmp_path, monkeypatch):
    fitted, _ = reference
    import openvino as ov

    def full(*args, **kwargs):
        raise RuntimeError("basic_ios::clear: iostream error")
    monkeypatch.setattr(ov, "save_model", full)
    monkeypatch.setattr(_engines, "_CONVERTED", type(_engines._CONVERTED)())
    featurizer = _as_engine(fitted, "openvino").set_params(cache=str(tmp_path))
    with pytest.warns(RuntimeWarning, match="could not be stored in .*RuntimeError: "
                                            "basic_ios::clear"):
        out = featurizer.transform(videos)
    assert out.shape == (len(videos), 3 * 2048)
    assert not list(tmp_path.rglob("openvino-75px")) and not list(tmp_path.rglob(".tmp-*"))


@pytest.mark.parametrize("engine, cached", [
    ("torch", False), ("torch", True), pytest.param("openvino", False, marks=needs_openvino)])
@pytest.mark.slow
def test_threads_sharing_one_featurizer_get_the_serial_result(reference, videos, engine,
                                                              cached, tmp_path):
    """Dask workers run threads; FrozenEstimator hands every fit the same featurizer."""
    fitted, _ = reference
    chunks = [videos[0:2], videos[1:3], videos[2:3], videos[0:3]] * 2
    serial = [_as_engine(fitted, engine).set_params(
        cache=str(tmp_path / f"serial{k}") if cached else None).transform(chunk)
        for k, chunk in enumerate(chunks)]
    shared = _as_engine(fitted, engine)
    if cached:
        shared.set_params(cache=str(tmp_path / "shared"))
    results, errors = [None] * len(chunks), []
    start = threading.Barrier(len(chunks))

    def work(k):
        try:
            start.wait()
            results[k] = shared.transform(chunks[k])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(chunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)
    assert not list(tmp_path.rglob("*.claim"))


@pytest.mark.slow
def test_torch_compile_compiles_once_and_agrees_with_torch(videos):
    """The network is compiled (one graph, whatever the last batch) and gives torch's
    features."""
    import torch._dynamo
    small = dict(n_frames=2, backbone="resnet18", weights=None, image_size=64,
                 precision="fp32", batch_size=4, random_state=0)
    eager = InceptionFeaturizer(engine="torch", **small).fit(videos)
    compiled = _as_engine(eager, "torch-compile")
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    sizes = [3, 2, 1]  # 6, 4 and 2 frames: batches of 4+2, 4, 2
    outs = [compiled.transform(videos[:n]) for n in sizes]
    assert isinstance(compiled._get_engine(), _engines.TorchCompileEngine)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    assert graphs == 1, dict(torch._dynamo.utils.counters["stats"])  # 0: nothing compiled
    for n, out in zip(sizes, outs):
        np.testing.assert_allclose(out, eager.transform(videos[:n]), rtol=1e-3, atol=1e-3)


# --------------------------------------------------------------------------- int8

HAS_NNCF = HAS_OPENVINO and importlib.util.find_spec("nncf") is not None
needs_nncf = pytest.mark.skipif(not HAS_NNCF, reason="openvino or nncf is not installed")


def test_int8_needs_nncf_and_says_which_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(_engines.importlib.util, "find_spec",
                        lambda name: None if name == "nncf" else real(name))
    assert not _engines.engine_available("openvino-int8", CPU)
    with pytest.raises(ValueError, match=r"nncf packages are not installed .*\[int8\]"):
        _engines.resolve_engine("openvino-int8", CPU)
    # never chosen automatically, even where it is installed
    monkeypatch.undo()
    assert _engines.resolve_engine("auto", CPU) != "openvino-int8"


@pytest.fixture(scope="module")
def int8(videos):
    """The well-conditioned ResNet-18 fitted for the int8 engine, and its features."""
    featurizer = InceptionFeaturizer(n_frames=3, backbone="resnet18", weights=None,
                                     image_size=64, precision="fp32", engine="openvino-int8",
                                     n_quantization_frames=8, random_state=0).fit(videos)
    return featurizer, featurizer.transform(videos).reshape(-1, 512)


@needs_nncf
@pytest.mark.slow
def test_int8_features_are_close_to_the_float_networks(int8, well_conditioned):
    featurizer, features = int8
    reference, expected = well_conditioned
    assert featurizer.model_digest_ == reference.model_digest_   # the same float network
    assert featurizer.engine_ == "openvino-int8"
    cosines = _cosines(features, expected, 512)
    assert cosines.min() > 0.9 and cosines.mean() > 0.95
    assert not np.array_equal(features, expected)                # ... but quantized


@needs_nncf
def test_int8_keeps_its_calibration_frames_and_keys_the_cache_with_them(int8, videos):
    featurizer, _ = int8
    frames = featurizer._quantization_frames
    assert frames.dtype == np.uint8 and frames.shape == (8, 3, 64, 64)
    setting = featurizer._network_setting()
    assert setting["engine"] == "openvino-int8"
    assert setting["quantization"] == featurizer.quantization_digest_
    # other frames, another quantized network: another cache key
    other = InceptionFeaturizer(**{**featurizer.get_params(), "n_quantization_frames": 4})
    other.fit(videos)
    assert other.model_digest_ == featurizer.model_digest_
    assert other._network_key() != featurizer._network_key()
    # the float engines' keys carry no quantization field
    assert "quantization" not in InceptionFeaturizer(
        n_frames=3, backbone="resnet18", weights=None, image_size=64, engine="torch",
        random_state=0).fit(videos)._network_setting()


@needs_nncf
def test_int8_quantizes_the_same_way_in_every_process(int8, videos, monkeypatch):
    featurizer, features = int8
    restored = pickle.loads(pickle.dumps(featurizer))
    _engines._CONVERTED.clear()   # as in a new process: nothing remembered
    np.testing.assert_array_equal(restored.transform(videos).reshape(-1, 512), features)


@needs_nncf
def test_int8_network_is_kept_in_the_cache_and_not_quantized_again(videos, tmp_path,
                                                                    monkeypatch):
    import nncf
    params = dict(n_frames=3, backbone="resnet18", weights=None, image_size=64,
                  precision="fp32", engine="openvino-int8", n_quantization_frames=8,
                  cache=str(tmp_path), random_state=0)
    first = InceptionFeaturizer(**params).fit(videos)
    expected = first.transform(videos)
    stores = [p for p in tmp_path.rglob("manifest.json") if "-int8-" in str(p.parent)]
    assert len(stores) == 1
    _engines._CONVERTED.clear()
    monkeypatch.setattr(nncf, "quantize", lambda *a, **k: pytest.fail("quantized again"))
    again = InceptionFeaturizer(**{**params, "cache": None}).fit(videos)
    again.cache = str(tmp_path)   # the stored network is read and runs
    engine = again._get_engine(again._feature_cache())
    frames = torch.randint(0, 256, (5, 3, 64, 64), dtype=torch.uint8)
    np.testing.assert_array_equal(engine(frames), first._get_engine()(frames))
    np.testing.assert_array_equal(again.transform(videos), expected)


@needs_nncf
@pytest.mark.parametrize("damage", ["pixels", "missing"])
def test_int8_calibration_frames_that_do_not_match_are_refused(int8, damage):
    featurizer, _ = int8
    state = dict(featurizer.__getstate__())
    if damage == "pixels":
        state["_quantization_frames"] = state["_quantization_frames"].copy()
        state["_quantization_frames"][0, 0, 0, 0] ^= 1
    else:
        state["_quantization_frames"] = None
    with pytest.raises(ValueError, match="damaged or crafted"):
        InceptionFeaturizer.__new__(InceptionFeaturizer).__setstate__(state)
