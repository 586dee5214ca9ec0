"""Command line: `python -m luthier.cli COMMAND ...`.

`plan` works offline with no AWS at all; `submit`, `status` and `download`
talk to a deployed or local API through the SDK.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from luthier import cli_plan, cli_remote

    parser = argparse.ArgumentParser(prog="python -m luthier.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cli_plan.register(commands)
    cli_remote.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
