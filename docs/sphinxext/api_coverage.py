"""Warn when a public name is missing from ``api.rst``.

The public names are the ``__all__`` of ``skvideo_imb`` and of its public subpackages
(:data:`PUBLIC_MODULES`).  A name counts as documented when the object it refers to is
listed in an ``autosummary`` block of ``api.rst`` under any module (``skvideo_imb.Clip``
documents ``skvideo_imb.sampling.Clip`` too).  With ``-W`` a forgotten name fails the
build, so the API reference keeps up with the package.
"""

import importlib
import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

PUBLIC_MODULES = ("skvideo_imb", "skvideo_imb.sampling", "skvideo_imb.datasets",
                  "skvideo_imb.io", "skvideo_imb.features", "skvideo_imb.models",
                  "skvideo_imb.experiments", "skvideo_imb.metrics")
IGNORED = {"__version__"}

_CURRENT = re.compile(r"^\.\. currentmodule:: (\S+)")
_AUTOSUMMARY = re.compile(r"^\.\. autosummary::")
_ENTRY = re.compile(r"^   ([A-Za-z_][\w.]*)\s*$")


def listed_names(text):
    """``module.name`` for every entry of every autosummary block of an rst text."""
    module, inside, names = None, False, []
    for line in text.splitlines():
        if match := _CURRENT.match(line):
            module, inside = match.group(1), False
        elif _AUTOSUMMARY.match(line):
            inside = True
        elif inside and line and not line.startswith(" "):
            inside = False
        elif inside and (match := _ENTRY.match(line)):
            names.append(f"{module}.{match.group(1)}")
    return names


def _resolve(qualified):
    module, _, name = qualified.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None  # autosummary reports these itself


def check_api_coverage(app):
    text = (app.srcdir / "api.rst").read_text(encoding="utf-8")
    listed = listed_names(text)
    documented = {id(obj) for obj in map(_resolve, listed) if obj is not None}
    # str/int/float constants may share their object with others: matched by name
    listed_short = {name.rpartition(".")[2] for name in listed}
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # not written yet, or broken: autosummary's import errors say which
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if name in IGNORED or obj is None:
                continue
            scalar = isinstance(obj, (str, int, float))
            if (name not in listed_short) if scalar else (id(obj) not in documented):
                logger.warning("public name %s.%s is not listed in api.rst",
                               module_name, name, location="api")


def setup(app):
    app.connect("builder-inited", check_api_coverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
