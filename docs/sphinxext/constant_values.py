"""Show every public constant's sentence and value on its API page.

``autodata`` of a name that a public package re-exports finds no description: the
``#:`` comment (or the string under the assignment) lives in the private module that
defines the constant, and autodoc only reads the module it was asked about; for a
``frozenset`` it then shows Python's own ``frozenset`` docstring.  This extension

* takes the description from the defining module (the ``skvideo_imb`` module whose
  attribute is the same object and whose source documents it), ignoring a docstring
  that is merely the type's;
* appends the value, pretty-printed (sets sorted, dicts in their own order, classes by
  their public names) in a code block of 80 columns; the rare repr that cannot be
  split is wrapped by ``custom.css`` (class ``wrap-code``, which ``code_width.py``
  leaves unchecked);
* warns when a public constant has no description at all, so ``-W`` keeps every
  constant explained.
"""

import pprint
import sys

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDTH = 80  # within code_width.DEFAULT_LIMIT, with room for the block's indent


class _Printer(pprint.PrettyPrinter):
    """pprint, but a class is written as its importable name (``torch.optim.Adam``)."""

    def format(self, obj, context, maxlevels, level):
        if isinstance(obj, (set, frozenset)):  # sorted, so that builds agree
            if not obj:
                return f"{type(obj).__name__}()", True, False
            body = ", ".join(sorted(self.format(item, context, maxlevels, level + 1)[0]
                                    for item in obj))
            text = "{" + body + "}"
            return (text if type(obj) is set else f"frozenset({text})"), True, False
        if isinstance(obj, type):
            module = obj.__module__
            public = module.split("._")[0] if "._" in module else module
            try:  # the shortest public module that exports it
                import importlib
                parts = public.split(".")
                for i in range(1, len(parts) + 1):
                    candidate = ".".join(parts[:i])
                    if getattr(importlib.import_module(candidate), obj.__name__,
                               None) is obj:
                        public = candidate
                        break
            except ImportError:
                pass
            return f"{public}.{obj.__qualname__}", True, False
        return super().format(obj, context, maxlevels, level)


def _pformat(value, width):
    return _Printer(width=width, sort_dicts=False).pformat(value)


def format_value(value, width=WIDTH):
    """The value as readable Python: sets sorted, dicts in insertion order."""
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)
        name = type(value).__name__
        if not items:
            return f"{name}()"
        body = ", ".join(map(repr, items))
        if len(name) + len(body) + 4 <= width:
            return f"{name}({{{body}}})"
        indent = " " * (len(name) + 2)
        if all(isinstance(item, str) for item in items):
            lines = [""]  # items packed greedily, never split inside their quotes
            for text in map(repr, items):
                if lines[-1] and len(lines[-1]) + len(text) + 2 > width - len(indent):
                    lines.append("")
                lines[-1] += ("" if not lines[-1] else " ") + text + ","
            lines[-1] = lines[-1][:-1]
        else:
            lines = [line for item in items
                     for line in (_pformat(item, width - len(indent)) + ",").splitlines()]
            lines[-1] = lines[-1][:-1]
        return f"{name}({{" + ("\n" + indent).join(lines) + "})"
    return _pformat(value, width)


def _source_description(name, obj):
    """The ``#:`` comment or docstring of the assignment that defines ``obj``."""
    short = name.rpartition(".")[2]
    for modname, module in sorted(sys.modules.items()):
        if not modname.startswith("skvideo_imb") or getattr(module, short, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 - no source (a compiled module): try the next
            continue
        if ("", short) in docs:
            return [line.rstrip() for line in docs[("", short)] if line is not None]
    return []


def add_description_and_value(app, what, name, obj, options, lines):
    if what != "data" or not name.startswith("skvideo_imb"):
        return
    own = [line.strip() for line in lines if line.strip()]
    type_doc = [line.strip() for line in (type(obj).__doc__ or "").splitlines()
                if line.strip()]
    if not own or own == type_doc:
        lines[:] = _source_description(name, obj)
    if not any(line.strip() for line in lines):
        logger.warning("public constant %s has no description: write a '#:' comment "
                       "above its assignment", name, type="constant_values")
    # A repr that cannot be split (a scorer's) is wrapped by custom.css, not scrolled.
    lines.extend(["", ".. rubric:: Value", "", ".. code-block:: python",
                  "   :class: wrap-code", ""])
    lines.extend("   " + line for line in format_value(obj).splitlines())
    lines.append("")


def setup(app):
    # Before numpydoc (priority 500), which marks every docstring it has processed.
    app.connect("autodoc-process-docstring", add_description_and_value, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
