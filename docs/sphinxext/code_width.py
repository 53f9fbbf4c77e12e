"""Warn when a line of a code block is wider than the page's code column.

A code block that needs a horizontal scrollbar can be neither read nor copied at a
glance, so every literal block and doctest block of every page (the user guide, the
API pages generated from docstrings, and the gallery pages generated from
``examples/*.py``) must keep its lines within :data:`DEFAULT_LIMIT` characters.  With
``-W`` a wider line fails the build; the warning names the page and the line.

Why 88 characters.  The pydata theme shows code in 14 px (``pre``: 0.875 em of a 16 px
root) of the first monospace font a reader has, at most about 8.43 px per character
(DejaVu Sans Mono, the widest of the theme's list; SF Mono and Menlo are as wide,
Cascadia Code and Consolas narrower).  At the theme's full page width (88 rem, a
window 1414 px wide or more) the column beside both sidebars holds 81 such characters
with the theme's own sidebar widths (measured in Chromium); ``_static/custom.css``
narrows the two sidebars (18 rem and 15 rem), which gives the column 92, and 88 leaves
a margin for fonts a few per cent wider.  88 is also the width the project's Python
is easy to keep to.  A block inside a list item, an admonition, a quote or a nested
API entry (a method's docstring) sits further right, so its limit is
:data:`NESTING_COST` characters smaller per level.  Measured in Chromium at a 1440 px
window: 92 characters fit beside the sidebars, 102 on pages without the left one, 88
in the examples of an API page (its left sidebar and its entry's indent: exactly the
limit) and 85 in a method's.

Blocks of program output (sphinx-gallery's ``sphx-glr-script-out``) are not checked:
what a command prints is not ours to wrap, so ``custom.css`` wraps those blocks
instead of scrolling them.  Set ``code_width_limit`` in ``conf.py`` to change the
limit (0 turns the check off).
"""

import unicodedata

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The widest line, in characters, that a code block may hold (see the module docstring).
DEFAULT_LIMIT = 88

#: Classes of blocks that ``custom.css`` wraps instead of scrolling, so not checked.
WRAPPED_CLASSES = frozenset({"sphx-glr-script-out", "wrap-code"})


#: Characters a block loses to each enclosing list item, admonition, quote or nested
#: API entry (their indent is 1.5-2 em of body text, 24-32 px: 3-4 code characters).
NESTING_COST = 4


def _nesting(node):
    """How many indenting containers hold ``node`` (an API page's own entry excepted)."""
    depth, entries = 0, 0
    node = node.parent
    while node is not None:
        if isinstance(node, addnodes.desc_content):
            entries += 1
        elif isinstance(node, addnodes.desc):  # an Admonition to docutils, not indented
            pass
        elif isinstance(node, (nodes.list_item, nodes.Admonition, nodes.block_quote,
                               nodes.definition, nodes.field_body, nodes.entry,
                               nodes.topic)):
            depth += 1
        node = node.parent
    return depth + max(0, entries - 1)


def _wrapped(node):
    while node is not None:
        if WRAPPED_CLASSES.intersection(node.get("classes", ())):
            return True
        node = node.parent
    return False


def columns(line):
    """How many columns ``line`` takes in a monospace font: tabs to 8, and the wide
    (East Asian) characters two each."""
    line = line.rstrip().expandtabs(8)
    return len(line) + sum(unicodedata.east_asian_width(c) in "WF" for c in line)


def too_wide(text, limit):
    """``(line_number, line)`` of every line of ``text`` wider than ``limit`` columns.

    Examples
    --------
    >>> too_wide("ab\n\tx\n字字", 4)
    [(2, '\tx')]
    """
    return [(i, line) for i, line in enumerate(text.splitlines(), 1)
            if columns(line) > limit]


def check_code_width(app, doctree):
    docname = app.env.docname
    limit = app.config.code_width_limit
    if not limit:
        return
    for node in doctree.findall(lambda n: isinstance(n, (nodes.literal_block,
                                                          nodes.doctest_block))):
        if _wrapped(node):
            continue
        node_limit = limit - NESTING_COST * _nesting(node)
        wide = too_wide(node.astext(), node_limit)
        if not wide:
            continue
        number, line = max(wide, key=lambda item: columns(item[1]))
        where = (" (from examples/" + docname.split("/")[-1] + ".py)"
                 if docname.startswith("auto_examples/") else "")
        logger.warning("code block with %d line(s) wider than %d characters%s; the "
                       "widest, line %d of the block, has %d: %r",
                       len(wide), node_limit, where, number, columns(line),
                       line.strip()[:60] + "...", location=node,
                       type="code_width", subtype="line")


def setup(app):
    app.add_config_value("code_width_limit", DEFAULT_LIMIT, "env", types=(int,))
    # When a page is read: sphinx-gallery's post-transforms later replace its code
    # blocks by nodes of their own (``code_links_block``).
    app.connect("doctree-read", check_code_width)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
