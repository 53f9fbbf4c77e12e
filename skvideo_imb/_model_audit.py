"""Reading a model file without constructing anything: what it names, and whether we trust it.

A skops file is a zip of ``schema.json`` (a tree of nodes, each naming a loader and a
type or function by its full name) and ``.npy`` arrays.  skops imports every name the
tree holds and calls many of them while loading (a type with its saved arguments, a
dict key type with each key, a class's ``__setstate__``), so the names decide what
runs.  This module walks the tree the way skops' loaders do, *before* skops sees it,
and refuses the file unless

* every node's loader is one that :func:`skvideo_imb.save_model` writes, and every
  (loader, name) pair is on the exact allow-list :data:`TRUSTED_NODES` (derived from
  real saved files in the tests; never a prefix);
* dict keys are rebuilt with ``str`` or ``int`` (Python's or numpy's) only;
* a :class:`~skvideo_imb.ResBiLSTMClassifier` state holds its networks as arrays
  (``_component_states``), never skorch's pickled ``__cuda_dependent_attributes__``;
  its components are the toolkit's types, skorch's settings have the values a saved
  classifier has (``compile=False`` ...), and no argument is routed to a component
  (``compile__*``, ``iterator_valid__*`` ...);
* a fitted :class:`~skvideo_imb.InceptionFeaturizer` carries its network
  (``_model_state``), so loading reads no weights file named by the model, and its
  sizes are bounded;
* object ids are positive integers, memoised exactly as skops memoises them;
* the zip holds ``schema.json`` and exactly the arrays the tree refers to, under plain
  names, and stays within :data:`LIMITS`: no array declares more bytes than its member
  holds or than the limit, no JSON nests deeper than the limit.

Nothing here imports a name from the file, unpickles, or allocates more than the
member sizes the zip's directory states (themselves bounded by :data:`LIMITS`).
"""

import functools
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LIMITS", "TRUSTED_NODES", "TRUSTED_TYPES", "ModelFileAudit", "audit_model_file",
           "json_depth"]

LIMITS = {
    "max_array_bytes": 2 ** 30,
    "max_total_bytes": 2 * 2 ** 30,
    "max_schema_bytes": 256 * 2 ** 20,
    "max_json_depth": 100,
}
"""Resource limits of :func:`~skvideo_imb.load_model`, checked before anything is built.

``max_array_bytes`` (1 GiB): the largest array one node may declare (the paper's
2-layer, 1024-wide ResBiLSTM's largest weight is 32 MiB; InceptionV3's whole state is
92 MiB; the paper-size pipeline with its optimiser's state is about 0.7 GiB).
``max_total_bytes`` (2 GiB): the zip's members uncompressed, and separately the arrays
as loaded (a member counts once per node that refers to it: one highly compressed
member named many times cannot make a small file allocate gigabytes).  A larger model
of your own loads after ``skvideo_imb.LIMITS["max_total_bytes"] = ...``.
``max_schema_bytes`` (256 MiB): the JSON tree.  ``max_json_depth`` (100): nesting of the
tree and of any JSON value in it (a saved pipeline nests about 25 deep).
"""

TRUSTED_NODES = frozenset({
    # containers and primitives
    ("DictNode", "builtins.dict"), ("DictNode", "collections.OrderedDict"),
    ("ListNode", "builtins.list"), ("SetNode", "builtins.set"),
    ("TupleNode", "builtins.tuple"), ("JsonNode", "builtins.str"),
    ("TypeNode", "builtins.str"), ("TypeNode", "builtins.int"),
    ("PartialNode", "functools.partial"),
    # numpy: arrays (never of objects) and the scalars estimators keep
    ("NdArrayNode", "numpy.ndarray"), ("NdArrayNode", "numpy.float64"),
    ("NdArrayNode", "numpy.int64"),
    ("TypeNode", "numpy.int64"), ("TypeNode", "numpy.str_"),
    # the toolkit's estimators and the ones it composes with
    ("ObjectNode", "skvideo_imb.pipeline.VideoPipeline"),
    ("ObjectNode", "skvideo_imb.sampling._oversampler.SpatioTemporalOverSampler"),
    ("ObjectNode", "skvideo_imb.features._featurizer.InceptionFeaturizer"),
    ("ObjectNode", "skvideo_imb.models._classifier.ResBiLSTMClassifier"),
    ("ObjectNode", "skvideo_imb.models._callbacks.EpochProgress"),
    ("TypeNode", "skvideo_imb.models._module.ResBiLSTM"),
    ("FunctionNode", "skvideo_imb.models._classifier._valid_accuracy"),
    ("ObjectNode", "imblearn.pipeline.Pipeline"),
    ("ObjectNode", "imblearn.over_sampling._smote.base.SMOTE"),
    ("ObjectNode", "imblearn.over_sampling._adasyn.ADASYN"),
    ("ObjectNode", "imblearn.over_sampling._random_over_sampler.RandomOverSampler"),
    ("ObjectNode", "sklearn.pipeline.Pipeline"),
    ("ObjectNode", "sklearn.frozen._frozen.FrozenEstimator"),
    ("ObjectNode", "sklearn.neighbors._unsupervised.NearestNeighbors"),
    ("ObjectNode", "sklearn.preprocessing._label.LabelEncoder"),
    # skorch's bookkeeping inside a fitted classifier
    ("ListNode", "skorch.history.History"),
    ("ObjectNode", "skorch.callbacks.logging.EpochTimer"),
    ("ObjectNode", "skorch.callbacks.logging.PrintLog"),
    ("ObjectNode", "skorch.callbacks.scoring.EpochScoring"),
    ("ObjectNode", "skorch.callbacks.scoring.PassthroughScoring"),
    ("ObjectNode", "skorch.callbacks.training.EarlyStopping"),
    ("TypeNode", "skorch.dataset.Dataset"),
    ("FunctionNode", "skorch.setter.optimizer_setter"),
    ("FunctionNode", "skorch.utils._indexing_dict"),
    ("FunctionNode", "skorch.utils._indexing_other"),
    ("FunctionNode", "skorch.utils.to_numpy"),
    ("TypeNode", "builtins.print"), ("FunctionNode", "skvideo_imb._progress._say"),
    # torch: classes named as parameters (built by the classifier, never from the file)
    ("TypeNode", "torch.nn.modules.loss.CrossEntropyLoss"),
    ("TypeNode", "torch.optim.adam.Adam"),
    ("TypeNode", "torch.utils.data.dataloader.DataLoader"),
    ("ConstructorFromReduceNode", "torch.device"),
    ("ObjectNode", "torch.amp.grad_scaler.GradScaler"),
})
"""Every (skops loader, full name) pair that :func:`~skvideo_imb.load_model` accepts.

Exactly the pairs :func:`~skvideo_imb.save_model` writes for the configurations the
toolkit supports (each ablation, the video / SMOTE / ADASYN / RandomOverSampler / no
oversampler, ``FrozenEstimator``, every engine, precision and readout, cache on and
off, the command line's models); a test saves each of them and compares.
"""

TRUSTED_TYPES = frozenset(name for _, name in TRUSTED_NODES)
"""The full names in :data:`TRUSTED_NODES`."""

# the types dict keys are rebuilt with (skops calls them with each key): class labels
# as sampling-strategy keys are numpy strings or integers
_DICT_KEY_TYPES = frozenset({"builtins.str", "builtins.int", "numpy.str_", "numpy.int64"})
_MEMBER_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}")
_CLASSIFIER = "skvideo_imb.models._classifier.ResBiLSTMClassifier"
_FEATURIZER = "skvideo_imb.features._featurizer.InceptionFeaturizer"
_MODEL_TYPES = frozenset({
    "skvideo_imb.pipeline.VideoPipeline", "imblearn.pipeline.Pipeline",
    "sklearn.pipeline.Pipeline", _CLASSIFIER, _FEATURIZER, "sklearn.frozen._frozen.FrozenEstimator",
    "skvideo_imb.sampling._oversampler.SpatioTemporalOverSampler"})
# what a saved classifier's components are: these types, never anything else
_CLASSIFIER_COMPONENTS = {
    "module": ("TypeNode", "skvideo_imb.models._module.ResBiLSTM"),
    "criterion": ("TypeNode", "torch.nn.modules.loss.CrossEntropyLoss"),
    "optimizer": ("TypeNode", "torch.optim.adam.Adam"),
    "iterator_train": ("TypeNode", "torch.utils.data.dataloader.DataLoader"),
    "iterator_valid": ("TypeNode", "torch.utils.data.dataloader.DataLoader"),
    "dataset": ("TypeNode", "skorch.dataset.Dataset"),
}
# skorch settings whose saved value must be the one a new classifier has (compile=False,
# predict_nonlinearity="auto", no train_split ...)
_CLASSIFIER_SETTINGS = ("compile", "predict_nonlinearity", "train_split", "use_caching",
                        "torch_load_kwargs", "_modules", "_criteria", "_optimizers",
                        "prefixes_", "cuda_dependent_attributes_")


@functools.lru_cache(maxsize=1)
def _classifier_reference():
    """``{setting: [values a classifier save_model writes may have]}``: those of a new
    classifier and of an initialised (fitted) one."""
    from ._runtime import seeded
    from ._seeds import FIXED_SEED
    from .models import ResBiLSTMClassifier

    new = ResBiLSTMClassifier()
    with seeded(FIXED_SEED):  # its random initialisation leaves the caller's stream alone
        fitted = ResBiLSTMClassifier(hidden_size=1, fc_size=1, num_layers=1, device="cpu",
                                     module__input_size=1, module__n_classes=2).initialize()
    values = {}
    for key in _CLASSIFIER_SETTINGS:
        values[key] = []
        for net in (new, fitted):
            value = getattr(net, key)
            value = list(value) if isinstance(value, (list, tuple)) else value
            if value not in values[key]:
                values[key].append(value)
    return values


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


@dataclass
class ModelFileAudit:
    """What a model file names and why it would be refused (empty ``problems``: loads).

    Attributes
    ----------
    nodes : collections.Counter
        ``(loader, full name) -> count`` of every node of the tree.
    untrusted : list of str
        Names the allow-list (and the caller's ``trusted``) does not hold.
    problems : list of str
        Every reason to refuse the file, untrusted names included.
    protocol : int or None
        skops' format version stated by the file.
    """

    nodes: Counter = field(default_factory=Counter)
    untrusted: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    protocol: int = None

    @property
    def names(self):
        """Every full name the file names, sorted."""
        return sorted({name for _, name in self.nodes})


class _Refused(ValueError):
    """A structural reason to stop reading the file at once."""


def json_depth(data):
    """Deepest nesting of ``[`` and ``{`` in JSON text (strings skipped), without parsing.

    Examples
    --------
    >>> from skvideo_imb._model_audit import json_depth
    >>> json_depth(b'{"a": [[1], "[[[["]}')
    3
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    stripped = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    step = np.zeros(len(stripped), dtype=np.int64)
    step[(stripped == ord("[")) | (stripped == ord("{"))] = 1
    step[(stripped == ord("]")) | (stripped == ord("}"))] = -1
    return int(np.cumsum(step).max(initial=0))


def audit_model_file(data, *, trusted=(), limits=None):
    """Audit the bytes of a skops model file; build nothing, import nothing.

    Parameters
    ----------
    data : bytes
        The whole file.
    trusted : iterable of str, default=()
        Further full names to accept (for any of the loaders save_model writes).
    limits : dict or None, default=None
        Overrides of :data:`LIMITS`.

    Returns
    -------
    audit : ModelFileAudit
        ``audit.problems`` is empty when :func:`~skvideo_imb.load_model` would load it.

    Examples
    --------
    >>> from skvideo_imb._model_audit import audit_model_file
    >>> audit_model_file(b"not a zip").problems
    ['not a skops model file (not a zip archive)']
    """
    limits = {**LIMITS, **(limits or {})}
    audit = ModelFileAudit()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = _read_schema(archive, limits, audit)
            walker = _Walker(archive, limits, audit, set(trusted))
            walker.node(schema, path="root")
            walker.check_members()
            _check_root(schema, audit)
    except _Refused as exc:
        audit.problems.append(str(exc))
    except zipfile.BadZipFile as exc:
        audit.problems.append("not a skops model file (not a zip archive)"
                              if "not a zip file" in str(exc).lower()
                              else f"damaged zip archive: {exc}")
    except (OSError, EOFError, ValueError, KeyError, TypeError, RecursionError) as exc:
        audit.problems.append(f"damaged model file: {type(exc).__name__}: {exc}")
    audit.untrusted = sorted(set(audit.untrusted))
    if audit.untrusted:
        audit.problems.insert(0, "names types or functions this loader does not trust: "
                              + ", ".join(audit.untrusted))
    return audit


def _read_schema(archive, limits, audit):
    from skops.io._protocol import PROTOCOL

    infos = archive.infolist()
    names = [info.filename for info in infos]
    duplicated = sorted(n for n, k in Counter(names).items() if k > 1)
    if duplicated:
        raise _Refused(f"the zip holds duplicated members: {', '.join(duplicated)}")
    bad = [n for n in names if not _MEMBER_NAME.fullmatch(n)]
    if bad:
        raise _Refused("the zip holds members with unexpected names (paths, hidden or odd "
                       f"names): {', '.join(map(repr, bad[:5]))}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _Refused(f"zip member {info.filename!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Refused(f"zip member {info.filename!r} uses an unexpected compression "
                           f"method ({info.compress_type})")
        total += info.file_size
    if total > limits["max_total_bytes"]:
        raise _Refused(f"the zip's members hold {total} bytes uncompressed, over the limit "
                       f"of {limits['max_total_bytes']}")
    if "schema.json" not in names:
        raise _Refused("the zip holds no schema.json: not a skops model file")
    size = archive.getinfo("schema.json").file_size
    if size > limits["max_schema_bytes"]:
        raise _Refused(f"schema.json holds {size} bytes, over the limit of "
                       f"{limits['max_schema_bytes']}")
    text = archive.read("schema.json")
    depth = json_depth(text)
    if depth > limits["max_json_depth"]:
        raise _Refused(f"schema.json nests {depth} levels deep, over the limit of "
                       f"{limits['max_json_depth']}")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise _Refused("schema.json is not a JSON object")
    audit.protocol = schema.get("protocol")
    if audit.protocol != PROTOCOL:
        raise _Refused(f"skops format version {audit.protocol!r}: this loader reads "
                       f"version {PROTOCOL} only")
    return schema


def _check_root(schema, audit):
    loader = schema.get("__loader__")
    name = f"{schema.get('__module__')}.{schema.get('__class__')}"
    if loader != "ObjectNode" or name not in _MODEL_TYPES:
        kind = {"DictNode": "a dict", "ListNode": "a list", "TupleNode": "a tuple",
                "JsonNode": "a plain value", "NdArrayNode": "an array"}.get(loader, name)
        audit.problems.append(f"the file holds {kind}, not a model (a pipeline or one of "
                              "the toolkit's estimators)")


class _Walker:
    """Visit the tree exactly as skops' loaders would build it, checking each node."""

    def __init__(self, archive, limits, audit, trusted):
        self.archive, self.limits, self.audit, self.trusted = archive, limits, audit, trusted
        self.first = {}  # saved id -> the state of the first node with that id
        self.loaded_bytes = 0  # arrays as skops will load them: once per referring node
        self.referenced = set()
        self.loaders = {
            "DictNode": self._dict, "ListNode": self._sequence, "SetNode": self._sequence,
            "TupleNode": self._sequence, "ObjectNode": self._object,
            "ConstructorFromReduceNode": self._constructor, "PartialNode": self._partial,
            "NdArrayNode": self._array, "JsonNode": self._json, "TypeNode": self._leaf,
            "FunctionNode": self._leaf, "CachedNode": self._cached,
        }

    # ------------------------------------------------------------------ the tree
    def node(self, state, path):
        if not isinstance(state, dict):
            raise _Refused(f"{path}: expected a node, found {type(state).__name__}")
        loader, module, name = (state.get("__loader__"), state.get("__module__"),
                                state.get("__class__"))
        if not all(isinstance(v, str) for v in (loader, module, name)):
            raise _Refused(f"{path}: a node without a loader, module and class name")
        full = f"{module}.{name}"
        saved_id = state.get("__id__")
        if saved_id is not None and (type(saved_id) is not int or saved_id <= 0):
            raise _Refused(f"{path}: an object id that is not a positive integer "
                           f"({saved_id!r})")
        if loader != "CachedNode" and saved_id and saved_id in self.first:
            return  # skops reuses the node first built with this id and ignores this one
        visit = self.loaders.get(loader)
        if visit is None:
            self.audit.untrusted.append(f"{full} (as {loader})")
            raise _Refused(f"{path}: loader {loader!r} ({full}) is never written by "
                           "save_model")
        if loader != "CachedNode":
            self.audit.nodes[(loader, full)] += 1
            if (loader, full) not in TRUSTED_NODES and full not in self.trusted:
                self.audit.untrusted.append(full if full not in TRUSTED_TYPES
                                            else f"{full} (as {loader})")
            if saved_id:
                self.first[saved_id] = state
        visit(state, path, full)

    def effective(self, state):
        """The node skops builds for ``state``: the first one with its id, if any."""
        if not isinstance(state, dict):
            return state
        return self.first.get(state.get("__id__"), state)

    def _leaf(self, state, path, full):
        pass

    def _cached(self, state, path, full):
        if state.get("__id__") not in self.first:
            raise _Refused(f"{path}: refers to an object id the file never defined")

    def _json(self, state, path, full):
        content = state.get("content")
        if not isinstance(content, str):
            raise _Refused(f"{path}: a JSON value without text")
        if json_depth(content) > self.limits["max_json_depth"]:
            raise _Refused(f"{path}: a JSON value nests deeper than "
                           f"{self.limits['max_json_depth']} levels")

    def _sequence(self, state, path, full):
        content = state.get("content")
        if not isinstance(content, list):
            raise _Refused(f"{path}: a sequence without a content list")
        for k, item in enumerate(content):
            self.node(item, f"{path}[{k}]")

    def _dict(self, state, path, full):
        content, key_types = state.get("content"), state.get("key_types")
        if not isinstance(content, dict):
            raise _Refused(f"{path}: a dict without content")
        self.node(key_types, f"{path}.key_types")
        key_types = self.effective(key_types)
        if key_types.get("__loader__") != "ListNode":
            raise _Refused(f"{path}: dict key types are not a list")
        for k, item in enumerate(key_types["content"]):
            item = self.effective(item)
            loader = item.get("__loader__")
            name = f"{item.get('__module__')}.{item.get('__class__')}"
            if loader != "TypeNode" or name not in _DICT_KEY_TYPES:
                raise _Refused(f"{path}: dict key {k} would be rebuilt by calling {name} "
                               f"(as {loader}); only str and int keys (Python's or numpy's) "
                               "are accepted")
        for key, item in content.items():
            self.node(item, f"{path}[{key!r}]")

    def _object(self, state, path, full):
        content = state.get("content")
        if content is None:
            return
        self.node(content, f"{path}.state")
        content = self.effective(content)
        if full in (_CLASSIFIER, _FEATURIZER):
            attributes = (content.get("content") if content.get("__loader__") == "DictNode"
                          else None)
            if not isinstance(attributes, dict):
                raise _Refused(f"{path}: the state of {full} is not a dict")
            attributes = {k: self.effective(v) for k, v in attributes.items()}
            if full == _CLASSIFIER:
                self._check_classifier(attributes, path)
            else:
                self._check_featurizer(attributes, path)

    def _value(self, node, path, key):
        """The plain JSON value a JsonNode holds (never builds anything)."""
        if not isinstance(node, dict) or node.get("__loader__") != "JsonNode":
            found = node.get("__loader__") if isinstance(node, dict) else type(node).__name__
            raise _Refused(f"{path}: {key!r} must be a plain value, found a {found}")
        return json.loads(node["content"])

    def _strings(self, node, path, key):
        if not isinstance(node, dict) or node.get("__loader__") != "ListNode":
            raise _Refused(f"{path}: {key!r} must be a list of names")
        return [self._value(self.effective(item), path, key) for item in node["content"]]

    def _check_classifier(self, attributes, path):
        if "__cuda_dependent_attributes__" in attributes:
            raise _Refused(f"{path}: the classifier's state carries pickled components "
                           "(skorch's __cuda_dependent_attributes__); this loader "
                           "never unpickles")
        if "_component_states" not in attributes:
            raise _Refused(f"{path}: the classifier's state has no _component_states "
                           "(its networks as arrays); this loader never unpickles")
        routed = sorted(k for k in attributes if "__" in k)
        if routed:  # module__*, compile__*, iterator_valid__* ...: arguments to callables
            raise _Refused(f"{path}: the classifier's state routes arguments to its "
                           f"components ({', '.join(routed[:5])}); save_model never "
                           "writes these")
        for key, (loader, name) in _CLASSIFIER_COMPONENTS.items():
            node = attributes.get(key)
            found = ((node.get("__loader__"),
                      f"{node.get('__module__')}.{node.get('__class__')}")
                     if isinstance(node, dict) else (None, None))
            if found != (loader, name):
                raise _Refused(f"{path}: the classifier's {key} must be {name}, found "
                               f"{found[1]} (as {found[0]})")
        for key, expected in _classifier_reference().items():
            node = attributes.get(key)
            if node is None:
                raise _Refused(f"{path}: the classifier's state lacks {key!r}")
            value = (self._strings(node, path, key) if isinstance(expected[0], list)
                     else self._value(node, path, key))
            if value not in expected:
                raise _Refused(f"{path}: the classifier's {key} is {value!r}; save_model "
                               f"writes {' or '.join(map(repr, expected))}")
        components = attributes["_component_states"]
        names = (set(components.get("content", {}))
                 if components.get("__loader__") == "DictNode" else None)
        initialized = ("initialized_" in attributes
                       and self._value(attributes["initialized_"], path, "initialized_"))
        if names is None or names not in ({"module_", "criterion_", "optimizer_"}, set()) \
                or (initialized and not names):
            raise _Refused(f"{path}: the classifier's _component_states must hold exactly "
                           "module_, criterion_ and optimizer_ (none when unfitted)")

    def _check_featurizer(self, attributes, path):
        if "model_digest_" not in attributes:
            return  # not fitted: nothing is rebuilt from the file
        if "_build_kwargs" not in attributes:
            raise _Refused(f"{path}: the fitted featurizer lacks its construction "
                           "arguments")
        state = attributes.get("_model_state")
        if not isinstance(state, dict) or state.get("__loader__") != "DictNode":
            raise _Refused(f"{path}: the fitted featurizer does not carry its network "
                           "(_model_state); a model file must not make the loader read "
                           "weights from elsewhere")
        from .features._featurizer import _STATE_BOUNDS, check_state_sizes

        try:
            check_state_sizes({key: self._value(attributes[key], path, key)
                               for key in _STATE_BOUNDS if key in attributes})
        except ValueError as exc:
            raise _Refused(f"{path}: {exc}") from None

    def _constructor(self, state, path, full):
        self.node(state.get("content"), f"{path}.args")

    def _partial(self, state, path, full):
        content = state.get("content")
        if not isinstance(content, dict):
            raise _Refused(f"{path}: a partial without content")
        for part in ("func", "args", "kwds", "namespace"):
            self.node(content.get(part), f"{path}.{part}")

    def _array(self, state, path, full):
        kind = state.get("type")
        if kind == "json":
            if not isinstance(state.get("content"), list):
                raise _Refused(f"{path}: an object array without items")
            for k, item in enumerate(state["content"]):
                self.node(item, f"{path}[{k}]")
            self.node(state.get("shape"), f"{path}.shape")
            return
        if kind != "numpy":
            raise _Refused(f"{path}: an array of unknown storage {kind!r}")
        member = state.get("file")
        if not isinstance(member, str) or not member.endswith(".npy"):
            raise _Refused(f"{path}: an array without a .npy member")
        try:
            info = self.archive.getinfo(member)
        except KeyError:
            raise _Refused(f"{path}: the array's member {member!r} is missing") from None
        self.referenced.add(member)
        with self.archive.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                read = {(1, 0): np.lib.format.read_array_header_1_0,
                        (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                if read is None:
                    raise ValueError(f"npy format version {version}")
                shape, _, dtype = read(f)
                offset = f.tell()
            except (ValueError, TypeError, SyntaxError) as exc:
                raise _Refused(f"{path}: the array member {member!r} has no valid .npy "
                               f"header ({exc})") from None
        if dtype.hasobject:
            raise _Refused(f"{path}: the array member {member!r} holds Python objects "
                           "(loading it would unpickle)")
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if declared > self.limits["max_array_bytes"]:
            raise _Refused(f"{path}: the array member {member!r} declares shape {shape} "
                           f"of {dtype} ({declared} bytes), over the limit of "
                           f"{self.limits['max_array_bytes']}")
        if offset + declared != info.file_size:
            raise _Refused(f"{path}: the array member {member!r} declares {declared} bytes "
                           f"of data but holds {info.file_size - offset}")
        self.loaded_bytes += declared
        if self.loaded_bytes > self.limits["max_total_bytes"]:
            raise _Refused(f"{path}: the arrays would take more than "
                           f"{self.limits['max_total_bytes']} bytes once loaded (members "
                           "referred to many times count each time)")

    def check_members(self):
        extra = sorted(set(self.archive.namelist()) - self.referenced - {"schema.json"})
        if extra:
            raise _Refused(f"the zip holds members the model never refers to: "
                           f"{', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")

