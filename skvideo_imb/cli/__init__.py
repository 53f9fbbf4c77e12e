"""``skvideo-imb``: the command line.

One module per command (``make-data``, ``fit``, ``predict``, ``inspect``, ``check``,
``reproduce``); each adds its sub-parser and runs it.  Expected failures (a bad path, no
internet for ``DEFAULT`` weights, a damaged file) print one line and exit with a
non-zero status; ``--debug`` shows the traceback instead.  Every command takes
``--quiet`` (``-q``): no progress and no chatter, only its results and errors (see
:mod:`skvideo_imb._progress` for the progress policy).
"""

import argparse
import sys

from .._progress import quiet
from . import _check, _fit, _inspect, _make_data, _predict, _reproduce

__all__ = ["main"]

_COMMANDS = (_make_data, _fit, _predict, _inspect, _check, _reproduce)


def _parser():
    parser = argparse.ArgumentParser(
        prog="skvideo-imb",
        description="Imbalanced video classification as a scikit-learn problem.")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in _COMMANDS:
        command.add_parser(sub)
    for command in sub.choices.values():  # one definition of --quiet for every command
        command.add_argument("-q", "--quiet", action="store_true",
                             help="no progress bars or lines and no chatter: only the "
                             "results (tables, reports, files) and errors")
    return parser


def main(argv=None):
    """Entry point of the ``skvideo-imb`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 1 when a command found problems or failed, 2 for usage errors.

    Examples
    --------
    >>> from skvideo_imb.cli import main
    >>> main(["--help"])  # doctest: +SKIP
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with quiet(args.quiet):
            return args.run(args, parser, argv)
    except (OSError, ValueError, RuntimeError) as exc:  # expected failures: one line
        if args.debug:
            raise
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        print(f"skvideo-imb {args.command}: error: {message}", file=sys.stderr)
        return 1
