"""Hostile model files: each is refused before anything is built, and nothing runs.

Every crafted file carries a payload that would create a sentinel file if it ran; the
tests check the refusal's reason, that the sentinel does not exist, and the same for
``skvideo-imb predict`` and ``inspect`` (exit 1, one line, no traceback).
"""

import io
import json
import pickle
import zipfile
from collections import Counter

import numpy as np
import pytest
import skops.io as sio
from skops.io._protocol import PROTOCOL

from skvideo_imb import ResBiLSTMClassifier, load_model, save_model
from skvideo_imb._model_audit import (LIMITS, TRUSTED_NODES, audit_model_file,
                                      json_depth)
from skvideo_imb.cli import main


# ---------------------------------------------------------------- building blocks
def node(loader, module, cls, **extra):
    return {"__class__": cls, "__module__": module, "__loader__": loader, **extra}


def text(value):
    return node("JsonNode", "builtins", "str", content=json.dumps(value), is_json=True)


def sequence(*items, kind="tuple"):
    return node(f"{kind.title()}Node", "builtins", kind, content=list(items))


def call(module, name, *args):
    """A node that skops builds by calling ``module.name(*args)``."""
    return node("ConstructorFromReduceNode", module, name, content=sequence(*args))


def write_zip(path, schema, members=None, protocol=PROTOCOL):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps({**schema, "protocol": protocol}))
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


def npy(array=None, header=None):
    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, array, allow_pickle=array.dtype == object)
        return buffer.getvalue()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + b"\0" * 16


@pytest.fixture(scope="module")
def classifier_file(tmp_path_factory):
    """A real saved classifier: its tree is the base of the crafted states."""
    X = np.random.RandomState(0).normal(size=(12, 3, 4)).astype(np.float32)
    clf = ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=1, random_state=0,
                              device="cpu").fit(X, [0, 1, 2] * 4)
    path = tmp_path_factory.mktemp("real") / "clf.skops"
    save_model(clf, path)
    return path, clf, X


def mutated(classifier_file, path, change):
    """The real classifier file with ``change(state_dict_content)`` applied to its tree."""
    with zipfile.ZipFile(classifier_file[0]) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = {n: archive.read(n) for n in archive.namelist() if n != "schema.json"}
    change(schema["content"]["content"], schema)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# ---------------------------------------------------------------- the hostile files
def _setting(filename, **values):
    """A builder that sets attributes of the real classifier's state to crafted nodes."""
    def build(tmp, sentinel, classifier_file):
        return mutated(classifier_file, tmp / filename, lambda state, _: state.update(values))
    return build


def _payload(sentinel):
    return f"open({str(sentinel)!r}, 'w').write('ran')"


def _exec(tmp, sentinel, _):
    return write_zip(tmp / "exec.skops", call("builtins", "exec", text(_payload(sentinel))))


def _eval(tmp, sentinel, _):
    return write_zip(tmp / "eval.skops", call("builtins", "eval", text(_payload(sentinel))))


def _getattr(tmp, sentinel, _):
    inner = call("builtins", "__import__", text("os"))
    return write_zip(tmp / "getattr.skops", call("builtins", "getattr", inner, text("system")))


def _import(tmp, sentinel, _):
    return write_zip(tmp / "import.skops", call("builtins", "__import__", text("os")))


def _partial_os_system(tmp, sentinel, classifier_file):
    def change(state, _):
        state["virtual_params_"]["content"]["lr"] = node(
            "PartialNode", "functools", "partial", content={
                "func": node("FunctionNode", "os", "system"),
                "args": sequence(text(f"touch {sentinel}")),
                "kwds": node("DictNode", "builtins", "dict", content={},
                             key_types=sequence(kind="list")),
                "namespace": text(None)})
    return mutated(classifier_file, tmp / "partial.skops", change)


def _savetxt(tmp, sentinel, _):
    array = node("NdArrayNode", "numpy", "ndarray", type="numpy", file="a.npy")
    return write_zip(tmp / "savetxt.skops", call("numpy", "savetxt", text(str(sentinel)), array),
                     {"a.npy": npy(np.zeros(2))})


def _numpy_load(tmp, sentinel, _):
    evil = tmp / "evil.npy"
    np.save(evil, np.array([_Sentinel(sentinel)], dtype=object), allow_pickle=True)
    return write_zip(tmp / "npload.skops",
                     call("numpy", "load", text(str(evil)), text(None), text(True)))


def _torch_load(tmp, sentinel, _):
    return write_zip(tmp / "torchload.skops", call("torch", "load", text(str(sentinel))))


def _skorch_pickle(tmp, sentinel, classifier_file):
    def change(state, _):
        del state["_component_states"]
        state["__cuda_dependent_attributes__"] = node(
            "NdArrayNode", "numpy", "ndarray", type="numpy", file="pickle.npy")
    path = mutated(classifier_file, tmp / "skorch_pickle.skops", change)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("pickle.npy", npy(np.frombuffer(pickle.dumps(_Sentinel(sentinel)),
                                                         dtype=np.uint8)))
    return path


def _pickled_bytes(tmp, sentinel, classifier_file):
    def change(state, _):
        state["payload_"] = node("BytesNode", "builtins", "bytes", file="p.bin")
    path = mutated(classifier_file, tmp / "bytes.skops", change)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("p.bin", pickle.dumps(_Sentinel(sentinel)))
    return path


def _module_callable(tmp, sentinel, classifier_file):
    def change(state, _):
        state["module"] = node("FunctionNode", "os", "system")
        state["module__command"] = text(f"touch {sentinel}")
    return mutated(classifier_file, tmp / "module.skops", change)


def _dict_key_type(tmp, sentinel, classifier_file):
    def change(state, schema):
        content = schema["content"]
        content["key_types"]["content"][0] = node("FunctionNode", "builtins", "exec")
        first = next(iter(content["content"]))
        content["content"] = {_payload(sentinel): content["content"].pop(first),
                              **content["content"]}
    return mutated(classifier_file, tmp / "keytype.skops", change)


def _dict_key_type_by_id(tmp, sentinel, classifier_file):
    """A str-looking key type whose id points at an exec node built earlier."""
    def change(state, schema):
        exec_node = call("builtins", "exec", text("pass"))
        exec_node["__id__"] = 424242
        items = list(state.items())
        state.clear()
        state.update([("aa_", exec_node)] + items)
        params = state["virtual_params_"]
        params["key_types"]["content"][0] = node("TypeNode", "builtins", "str", __id__=424242)
        first = next(iter(params["content"]))
        params["content"] = {_payload(sentinel): params["content"].pop(first),
                             **params["content"]}
    return mutated(classifier_file, tmp / "keytype_id.skops", change)


def _method_node(tmp, sentinel, classifier_file):
    def change(state, schema):
        state["hook_"] = node("MethodNode", schema["__module__"], schema["__class__"],
                              content={"obj": node("ObjectNode", schema["__module__"],
                                                   schema["__class__"]), "func": "fit"})
    return mutated(classifier_file, tmp / "method.skops", change)


def _huge_array(tmp, sentinel, classifier_file):
    def change(state, _):
        state["huge_"] = node("NdArrayNode", "numpy", "ndarray", type="numpy", file="huge.npy")
    path = mutated(classifier_file, tmp / "huge.skops", change)
    header = {"descr": "<f8", "fortran_order": False, "shape": (10 ** 6, 10 ** 6)}
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("huge.npy", npy(header=header))
    return path


def _lying_array(tmp, sentinel, classifier_file):
    """An array that declares less than the limit but more than its member holds."""
    def change(state, _):
        state["lie_"] = node("NdArrayNode", "numpy", "ndarray", type="numpy", file="lie.npy")
    path = mutated(classifier_file, tmp / "lie.skops", change)
    header = {"descr": "<f8", "fortran_order": False, "shape": (1000, 1000)}
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("lie.npy", npy(header=header))
    return path


def _object_array(tmp, sentinel, classifier_file):
    def change(state, _):
        state["objects_"] = node("NdArrayNode", "numpy", "ndarray", type="numpy",
                                 file="objects.npy")
    path = mutated(classifier_file, tmp / "objects.skops", change)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("objects.npy", npy(np.array([_Sentinel(sentinel)], dtype=object)))
    return path


def _deep_nesting(tmp, sentinel, _):
    deep = text(None)
    for _ in range(LIMITS["max_json_depth"] + 50):
        deep = sequence(deep, kind="list")
    return write_zip(tmp / "deep.skops", deep)


def _deep_json_value(tmp, sentinel, classifier_file):
    def change(state, _):
        state["deep_"] = node("JsonNode", "builtins", "str", is_json=True,
                              content="[" * 5000 + "]" * 5000)
    return mutated(classifier_file, tmp / "deepjson.skops", change)


def _traversal_member(tmp, sentinel, classifier_file):
    path = mutated(classifier_file, tmp / "traversal.skops", lambda *_: None)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../../evil.py", _payload(sentinel))
    return path


def _extra_member(tmp, sentinel, classifier_file):
    path = mutated(classifier_file, tmp / "extra.skops", lambda *_: None)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("payload.pkl", pickle.dumps(_Sentinel(sentinel)))
    return path


def _plain_dict(tmp, sentinel, _):
    path = tmp / "dict.skops"
    sio.dump({"classes": [0, 1]}, path)
    return path


def _plain_list(tmp, sentinel, _):
    path = tmp / "list.skops"
    sio.dump([1, 2], path)
    return path


def _truncated(tmp, sentinel, classifier_file):
    data = classifier_file[0].read_bytes()
    path = tmp / "truncated.skops"
    path.write_bytes(data[: len(data) // 3])
    return path


def _not_a_zip(tmp, sentinel, _):
    path = tmp / "pickle.skops"
    path.write_bytes(pickle.dumps(_Sentinel(sentinel)))
    return path


def _featurizer_without_network(tmp, sentinel, _):
    state = node("DictNode", "builtins", "dict", content={
        "backbone": text("inception_v3"), "weights": text(str(sentinel)),
        "model_digest_": text("x"), "_build_kwargs": node(
            "DictNode", "builtins", "dict", content={}, key_types=sequence(kind="list"))},
        key_types=sequence(*[node("TypeNode", "builtins", "str")] * 4, kind="list"))
    return write_zip(tmp / "featurizer.skops", node(
        "ObjectNode", "skvideo_imb.features._featurizer", "InceptionFeaturizer",
        content=state))


def _other_protocol(tmp, sentinel, classifier_file):
    def change(state, schema):
        schema["protocol"] = 0
    return mutated(classifier_file, tmp / "protocol.skops", change)


def _compile_options(tmp, sentinel, classifier_file):
    """torch.compile's cpp.cxx runs as a shell command when the model is fitted again."""
    def change(state, _):
        state["compile"] = text(True)
        state["compile__options"] = node(
            "DictNode", "builtins", "dict", content={"cpp.cxx": text(f"touch {sentinel}")},
            key_types=sequence(node("TypeNode", "builtins", "str"), kind="list"))
    return mutated(classifier_file, tmp / "compile.skops", change)


def _falsy_id(tmp, sentinel, classifier_file):
    """skops memoizes only truthy ids: a second node with id 0 is built, never reused."""
    def change(state, _):
        state["aa_"] = text(0)
        state["aa_"]["__id__"] = 0
        state["bb_"] = call("builtins", "print", text("hidden"))
        state["bb_"]["__id__"] = 0
    return mutated(classifier_file, tmp / "falsy_id.skops", change)


def _component_keys(tmp, sentinel, classifier_file):
    def change(state, _):
        state["_component_states"] = node("DictNode", "builtins", "dict", content={},
                                          key_types=sequence(kind="list"))
    return mutated(classifier_file, tmp / "components.skops", change)


def _repeated_member(tmp, sentinel, classifier_file):
    """One compressed member loaded once per node that names it."""
    def change(state, _):
        for k in range(40):
            state[f"copy{k}_"] = node("NdArrayNode", "numpy", "ndarray", type="numpy",
                                      file="big.npy")
    path = mutated(classifier_file, tmp / "repeated.skops", change)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.npy", npy(np.zeros(2 ** 27, dtype=np.uint8)))
    return path


def _featurizer_state_null(tmp, sentinel, featurizer_file):
    def change(state, _):
        state["_model_state"] = text(None)
        state["weights"] = text(str(sentinel))
    return mutated(featurizer_file, tmp / "featurizer_null.skops", change)


def _featurizer_huge_frames(tmp, sentinel, featurizer_file):
    def change(state, _):
        state["image_size"] = text(10 ** 6)
    return mutated(featurizer_file, tmp / "featurizer_huge.skops", change)


class _Sentinel:
    """Unpickling this creates the sentinel file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (exec, (_payload(self.path),))


HOSTILE = {
    # name: (builder, what the refusal must say)
    "exec": (_exec, r"builtins\.exec"),
    "eval": (_eval, r"builtins\.eval"),
    "getattr": (_getattr, r"builtins\.getattr"),
    "__import__": (_import, r"builtins\.__import__"),
    "partial of os.system": (_partial_os_system, r"os\.system"),
    "numpy.savetxt": (_savetxt, r"numpy\.savetxt"),
    "numpy.load": (_numpy_load, r"numpy\.load"),
    "torch.load": (_torch_load, r"torch\.load"),
    "skorch pickle bytes": (_skorch_pickle, r"__cuda_dependent_attributes__"),
    "pickled bytes": (_pickled_bytes, r"builtins\.bytes \(as BytesNode\)"),
    "file-named module": (_module_callable, r"os\.system"),
    "file-named criterion": (_setting("criterion.skops", criterion=node(
        "TypeNode", "subprocess", "Popen")), r"subprocess\.Popen"),
    "callable dict key type": (_dict_key_type, r"dict key 0 would be rebuilt by calling "
                                               r"builtins\.exec"),
    "key type by id": (_dict_key_type_by_id, r"dict key 0 would be rebuilt by calling "
                                             r"builtins\.exec"),
    "bound method": (_method_node, r"MethodNode"),
    "huge declared array": (_huge_array, r"declares shape \(1000000, 1000000\).*over "
                                         r"the limit"),
    "array larger than its member": (_lying_array, r"declares 8000000 bytes of data but "
                                                   r"holds 16"),
    "object array": (_object_array, r"holds Python objects"),
    "deep nesting": (_deep_nesting, r"nests 30\d levels deep, over the limit of 100"),
    "deep JSON value": (_deep_json_value, r"a JSON value nests deeper than 100"),
    "path traversal member": (_traversal_member, r"unexpected names.*\.\./\.\./evil\.py"),
    "extra member": (_extra_member, r"members the model never refers to: payload\.pkl"),
    "plain dict": (_plain_dict, r"holds a dict, not a model"),
    "plain list": (_plain_list, r"holds a list, not a model"),
    "truncated": (_truncated, r"not a skops model file|damaged"),
    "pickle, not a zip": (_not_a_zip, r"not a skops model file \(not a zip archive\)"),
    "featurizer without its network": (_featurizer_without_network,
                                       r"does not carry its network"),
    "other skops format": (_other_protocol, r"skops format version 0"),
    "compile options (a shell command)": (_compile_options, r"routes arguments to its "
                                                            r"components \(compile__options"),
    "compile on": (_setting("compile_on.skops", compile=text(True)),
                   r"classifier's compile is True; save_model writes False"),
    "falsy object id": (_falsy_id, r"object id that is not a positive integer \(0\)"),
    "criterion is a network": (_setting("criterion_net.skops", criterion=node(
        "TypeNode", "skvideo_imb.models._module", "ResBiLSTM")),
        r"criterion must be torch\.nn\.modules"),
    "loader workers": (_setting("workers.skops", iterator_valid__num_workers=text(64)),
                       r"routes arguments .*iterator_valid__num_workers"),
    "a function as nonlinearity": (_setting("nonlinearity.skops", predict_nonlinearity=node(
        "TypeNode", "builtins", "print")), r"'predict_nonlinearity' must be a plain value, "
                                           r"found a TypeNode"),
    "no components while fitted": (_component_keys, r"_component_states must hold exactly"),
    "one member, many arrays": (_repeated_member, r"more than 2147483648 bytes once loaded"),
    "featurizer state null": (_featurizer_state_null, r"does not carry its network"),
    "featurizer asks for huge frames": (_featurizer_huge_frames,
                                        r"image_size=1000000 is not an integer in \[1, 4096\]"),
}


@pytest.fixture(scope="module")
def featurizer_file(tmp_path_factory):
    """A real saved featurizer (a small backbone): the base of crafted featurizer states."""
    from skvideo_imb import InceptionFeaturizer
    X = np.random.RandomState(0).randint(0, 256, (4, 3, 32, 32, 3), dtype=np.uint8)
    featurizer = InceptionFeaturizer(2, backbone="mobilenet_v3_small", weights=None,
                                     image_size=32, engine="torch", random_state=0).fit(X)
    path = tmp_path_factory.mktemp("real") / "featurizer.skops"
    save_model(featurizer, path)
    return path, featurizer, X


@pytest.fixture(params=sorted(HOSTILE))
def hostile(request, tmp_path, classifier_file, featurizer_file):
    builder, reason = HOSTILE[request.param]
    sentinel = tmp_path / "sentinel"
    base = featurizer_file if "featurizer" in builder.__name__ else classifier_file
    return builder(tmp_path, sentinel, base), reason, sentinel


def test_a_hostile_file_is_refused_and_nothing_runs(hostile):
    path, reason, sentinel = hostile
    with pytest.raises(ValueError, match=reason):
        load_model(path)
    assert not sentinel.exists()


def test_predict_refuses_a_hostile_file_in_one_line(hostile, avi_path, capsys):
    path, reason, sentinel = hostile
    assert main(["predict", str(path), avi_path]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("skvideo-imb predict: error: ")
    assert not sentinel.exists()


def test_inspect_names_what_a_hostile_file_holds_without_loading_it(hostile, capsys):
    path, reason, sentinel = hostile
    assert main(["inspect", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "would be refused" in out and "Traceback" not in out + err
    assert not sentinel.exists()


def test_the_payloads_are_real(tmp_path, classifier_file):
    """Without the audit, skops itself runs the exec payload: the suite tests something."""
    sentinel = tmp_path / "sentinel"
    path = _exec(tmp_path, sentinel, classifier_file)
    sio.load(path, trusted=["builtins.exec"])
    assert sentinel.read_text() == "ran"


# ---------------------------------------------------------------- the allow-list
@pytest.mark.slow
def test_the_allow_list_is_exactly_what_save_model_writes(saved_models):
    """Derived from real files of every supported configuration: it cannot drift."""
    written = Counter()
    for name, (path, _, _) in saved_models.items():
        audit = audit_model_file(path.read_bytes())
        assert audit.problems == [], name
        written.update(audit.nodes)
    assert set(written) == TRUSTED_NODES
    assert not any(name.endswith(("exec", "eval", "system")) for _, name in TRUSTED_NODES)


def test_trusted_opts_in_to_more_names(classifier_file, tmp_path):
    import fractions

    _, clf, X = classifier_file
    clf = pickle.loads(pickle.dumps(clf))
    clf.note_ = fractions.Fraction(1, 3)
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    with pytest.raises(ValueError, match="does not trust: fractions.Fraction; pass "
                                         r"trusted=\[\.\.\.\] only"):
        load_model(path)
    restored = load_model(path, trusted=["fractions.Fraction"])
    assert restored.note_ == fractions.Fraction(1, 3)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_limits_can_be_tightened(classifier_file):
    data = classifier_file[0].read_bytes()
    assert audit_model_file(data).problems == []
    problems = audit_model_file(data, limits={"max_array_bytes": 64}).problems
    assert len(problems) == 1 and "over the limit of 64" in problems[0]
    problems = audit_model_file(data, limits={"max_json_depth": 5}).problems
    assert problems and "over the limit of 5" in problems[0]


def test_json_depth_skips_brackets_inside_strings():
    assert json_depth(b'{"a": "[[[[{{{{", "b": [[]]}') == 3
    assert json_depth(b'"\\"[["') == 0
    assert json_depth(b"[]" * 1000) == 1


def test_a_featurizer_saved_before_its_sizes_were_fitted_attributes_loads(featurizer_file,
                                                                          tmp_path):
    """Files written before ``n_frames_``/``image_size_`` existed: the parameters stand in
    for them, as they do for pickles, and the features are the same."""
    path, featurizer, X = featurizer_file

    def drop_sizes(state, _):
        for key in ("n_frames_", "image_size_"):
            del state[key]
    older = mutated((path,), tmp_path / "older.skops", drop_sizes)
    loaded = load_model(older)
    assert (loaded.n_frames_, loaded.image_size_) == (2, 32)
    np.testing.assert_array_equal(loaded.transform(X), featurizer.transform(X))
