"""Sphinx configuration of the skvideo_imb documentation.

Build with ``make docs`` from the repository root (warnings are errors), or
``make -C docs html``.  The gallery in ``../examples`` is executed on every build.
``development.rst`` says the same for contributors, with the checks ``sphinxext/`` adds.

Offline builds and intersphinx
------------------------------
Links to scikit-learn, imbalanced-learn, skorch, PyTorch, torchvision, NumPy and Python
come from intersphinx inventories (``objects.inv``) fetched over the network.  When a
fetch fails Sphinx logs a plain warning (it has no warning type that
``suppress_warnings`` could name), and ``-W`` turns that into a failed build.  Our CI
and development machines have no internet access besides package registries, so:

* ``SKVIDEO_IMB_DOCS_OFFLINE=1`` (what ``docs/Makefile`` sets unless told otherwise)
  makes the build fetch nothing.  A project whose inventory is found as a local file
  ``docs/_intersphinx/<name>.inv`` (or in the folder ``SKVIDEO_IMB_INTERSPHINX_DIR``
  names) still gets real links; the others are left out of ``intersphinx_mapping`` and
  their references render as plain code, without a warning (the build is not nitpicky).
* ``SKVIDEO_IMB_DOCS_OFFLINE=0``, or the variable unset (Read the Docs, a developer
  online calling ``sphinx-build`` directly), uses the remote inventories as usual, local
  files first when present.  ``make docs SKVIDEO_IMB_DOCS_OFFLINE=0`` does the same
  through the Makefile.
"""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

import skvideo_imb  # noqa: E402

# -- Project -------------------------------------------------------------------------

project = "skvideo_imb"
author = "skvideo_imb developers"
copyright = "2026, skvideo_imb developers"
release = skvideo_imb.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "api_coverage",  # sphinxext/: every public name must be in api.rst
    "code_width",  # sphinxext/: no code line wider than the code column (88 characters)
    "constant_values",  # sphinxext/: every public constant's description and value
    "cli_reference",  # sphinxext/: the command-line reference from the argparse parser
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_intersphinx",
                    "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "sphinxext"]
default_role = "literal"
# Our own names are referred to as ``skvideo_imb.X``; let `X` alone work in prose too.
primary_domain = "py"
add_module_names = False
# The page table of contents lists "fit()" rather than "ResBiLSTMClassifier.fit()".
toc_object_entries_show_parents = "hide"

# -- autodoc / autosummary / numpydoc ------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
autodoc_inherit_docstrings = True

# Class pages show the members a class defines itself, plus the inherited members of the
# estimator API below (their docstrings come from scikit-learn, imbalanced-learn or
# skorch).  Everything else inherited (torch.nn.Module's dozens of methods, sklearn's
# metadata-routing machinery) is left to those libraries' own documentation: their
# docstrings are written for their own Sphinx set-ups and do not build cleanly here.
INHERITED_API = {
    "fit", "fit_resample", "fit_transform", "transform", "predict", "predict_proba",
    "score", "get_params", "set_params", "get_feature_names_out", "partial_fit",
    "save_params", "load_params", "decision_function", "inverse_transform",
}


def _defined_in(obj):
    target = obj.fget if isinstance(obj, property) else obj
    return getattr(target, "__module__", None) or ""


def _skip_foreign_members(app, what, name, obj, skip, options):
    if what != "class" or skip:
        return None
    if _defined_in(obj).startswith("skvideo_imb") or name in INHERITED_API:
        return None
    return True


# numpydoc's shape specs name fitted attributes, e.g. "ndarray of shape
# (n_samples, n_frames * n_frame_features_)".  In reStructuredText a bare word ending in
# "_" is a hyperlink reference, which fails the build; escape that underscore in shape
# specs (outside literals) so docstrings can keep the numpydoc convention.
_SHAPE_ATTRIBUTE = re.compile(r"(?<![`\\\w])([A-Za-z]\w*?)_(?=[,)\s*])")


def _escape_shape_attributes(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        if "shape (" not in line or "``" in line:
            continue
        lines[i] = _SHAPE_ATTRIBUTE.sub(r"\1\\_", line)


# Labels that scikit-learn's and imbalanced-learn's own docstrings (inherited by our
# estimators: score, fit, predict ...) refer to.  Online, intersphinx resolves them; in
# an offline build (no inventories) they cannot resolve and are shown as plain text
# instead of failing the build.  Unresolved references to anything else still warn.
FOREIGN_LABELS = {"metadata_routing", "accuracy_score", "glossary", "sample_weight",
                  "set_output", "metadata_routing_models"}


def _foreign_labels_as_text(app, env, node, contnode):
    """Resolve a foreign label to its bare text (offline only), so nothing warns."""
    if DOCS_OFFLINE and node.get("reftype") == "ref" and node.get("reftarget") in FOREIGN_LABELS:
        return contnode
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _escape_shape_attributes)
    app.connect("missing-reference", _foreign_labels_as_text)


# numpydoc renders the Parameters/Returns/Examples sections.  The class template lists
# methods itself (autosummary), so numpydoc must not add a second, stub-generating list.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
# Docstring validation belongs to the test suite (where it can be fixed name by name),
# not to the docs build: an empty set means numpydoc checks nothing here.
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

# -- intersphinx (see the module docstring for the offline switch) -------------------

_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "imblearn": "https://imbalanced-learn.org/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "torchvision": "https://docs.pytorch.org/vision/stable",
    "matplotlib": "https://matplotlib.org/stable",
}


def _flag(name, default):
    value = os.environ.get(name, default).strip().lower()
    return value not in ("", "0", "false", "no", "off")


def _intersphinx_mapping(offline, local_dir):
    mapping = {}
    for name, url in _INVENTORIES.items():
        local = local_dir / f"{name}.inv"
        if offline:
            if local.is_file():
                mapping[name] = (url, str(local))
        else:
            mapping[name] = (url, (str(local), None) if local.is_file() else None)
    return mapping


DOCS_OFFLINE = _flag("SKVIDEO_IMB_DOCS_OFFLINE", "0")
_local_inventories = Path(os.environ.get("SKVIDEO_IMB_INTERSPHINX_DIR",
                                         HERE / "_intersphinx"))
intersphinx_mapping = _intersphinx_mapping(DOCS_OFFLINE, _local_inventories)
intersphinx_timeout = 10

# -- sphinx-gallery ------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "image_scrapers": ("matplotlib",),
    # Seeds and thread counts are reset before each example (sphinxext/gallery_reset.py):
    # examples share one process and the CPUs with whatever else runs on the machine.
    "reset_modules": ("matplotlib", "gallery_reset.reset_torch"),
    "within_subsection_order": "gallery_order.TutorialOrder",  # sphinxext/gallery_order.py
    "doc_module": ("skvideo_imb",),
    "reference_url": {"skvideo_imb": None},
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 5,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "matplotlib_animations": False,
}

# -- HTML ------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skvideo_imb {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "github_url": "https://github.com/skvideo-imb/skvideo-imb",
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# Single pages without sub-pages: no left sidebar, a wider column.
html_sidebars = {page: [] for page in ("index", "api", "install", "cli", "troubleshooting",
                                       "whats_new", "citing", "development")}
html_context = {"default_mode": "light"}
