"""``.. cli-reference::``: every ``skvideo-imb`` command's ``--help``, from the parser.

The directive builds the command line's own :mod:`argparse` parser (the function the
``skvideo-imb`` entry point calls) and writes, for the top-level command and for each
subcommand in the parser's order, a section titled ``skvideo-imb COMMAND`` with the
label ``cli-COMMAND`` (``cli-main`` for the top level) and the command's ``--help``
text, exactly as a terminal would show it, ``WIDTH`` columns wide.  A new command or
option appears here with the build that follows it: the reference cannot drift from
the code.
"""

import argparse
import importlib
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective, switch_source_input
from sphinx.util.nodes import nested_parse_with_titles

WIDTH = 86  # within code_width.DEFAULT_LIMIT (88), like a terminal of that width
PARSER = "skvideo_imb.cli:_parser"


def _formatter(prog):
    return argparse.HelpFormatter(prog, width=WIDTH)  # argparse's own layout


def command_parsers(factory=PARSER):
    """``[(name, parser)]``: the top-level parser (name None), then each subcommand's."""
    module, _, function = factory.partition(":")
    parser = getattr(importlib.import_module(module), function)()
    found = [(None, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.extend(action.choices.items())
    for _, sub in found:
        sub.formatter_class = _formatter
    return found


def help_text(parser):
    return parser.format_help().rstrip()


class CliReference(SphinxDirective):
    has_content = False
    option_spec = {}

    def run(self):
        import skvideo_imb.cli

        # Rebuild this page whenever a command's module, or what their help texts
        # name (the profiles, samplers, losses), changes.
        package = Path(skvideo_imb.cli.__file__).parent.parent
        for folder in ("cli", "_recipes"):
            for path in sorted((package / folder).glob("*.py")):
                self.env.note_dependency(str(path))
        self.env.note_dependency(str(package / "models" / "_losses.py"))
        lines = []
        prog = None
        for name, parser in command_parsers():
            prog = prog or parser.prog
            title = f"``{prog}{' ' + name if name else ''}``"
            lines += [f".. _cli-{name or 'main'}:", "", title, "=" * len(title), ""]
            if name is None:
                lines += ["The options before the command; ``--help`` after any command "
                          "shows that command's help.", ""]
            lines += [".. code-block:: text", ""]
            lines += ["   " + line if line else "" for line in help_text(parser).splitlines()]
            lines.append("")
        content = StringList(lines, source="<cli-reference>")
        node = nodes.section()
        with switch_source_input(self.state, content):
            nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_directive("cli-reference", CliReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
