"""``skvideo-imb inspect MODEL``: what a model file names, without loading it."""

import json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    parser = sub.add_parser(
        "inspect", help="show a model file's card and the types it names, without loading it",
        description="Read a model file without building anything from it: print its card, "
        "every type and function its tree names (with the skops loader that would build "
        "it and whether the allow-list trusts it), and every reason `predict` would "
        "refuse it.  Exit status 0 when the file would load, 1 when it would be refused.")
    parser.add_argument("model", metavar="MODEL", help="a model file (e.g. model.skops)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document instead of the text report")
    parser.set_defaults(run=run)


def run(args, parser, argv=None):
    from .._persistence import inspect_model

    report = inspect_model(args.model)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0 if report["accepted"] else 1
    card = report["card"]
    print(f"model file: {report['path']} (skops format version {report['protocol']})")
    if card is not None:
        settings = card.get("settings") or {}
        print(f"card: classes {card.get('classes')}, saved {card.get('saved_at')} with "
              f"skvideo-imb {(card.get('versions') or {}).get('skvideo-imb')}")
        if settings:
            print(f"      settings {json.dumps(settings, default=str)[:300]}")
    elif report["card_problem"] is None:
        print("card: none")
    width = max([len(n["name"]) for n in report["names"]] + [4])
    if report["names"]:
        print(f"\n{'name':<{width}}  {'loader':<26}  {'count':>5}  trusted")
        for n in report["names"]:
            print(f"{n['name']:<{width}}  {n['loader']:<26}  {n['count']:>5}  "
                  f"{'yes' if n['trusted'] else 'NO'}")
    if report["accepted"]:
        print("\nload_model would load this file.")
        return 0
    print("\nload_model would be refused:")
    for problem in report["problems"]:
        print(f"  - {problem}")
    return 1
