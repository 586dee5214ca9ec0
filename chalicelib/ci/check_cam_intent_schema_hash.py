"""Contract freeze guard: the CamIntentV1 schema must hash to the pinned value.

`python -m chalicelib.ci.check_cam_intent_schema_hash`          exit 0 when pinned
`python -m chalicelib.ci.check_cam_intent_schema_hash --print`  print the hash
"""
from __future__ import annotations

import argparse
import sys

from chalicelib.contracts import cam_intent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.ci.check_cam_intent_schema_hash")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the current schema hash and exit")
    args = parser.parse_args(argv)
    actual = cam_intent.schema_hash()
    if args.print_only:
        print(actual)
        return 0
    expected = cam_intent.CAM_INTENT_SCHEMA_HASH_V1
    if actual != expected:
        print("CamIntentV1 schema hash mismatch: the envelope changed.", file=sys.stderr)
        print(f"expected: {expected}", file=sys.stderr)
        print(f"actual:   {actual}", file=sys.stderr)
        print("If the change is intended, update CAM_INTENT_SCHEMA_HASH_V1 and docs/cam-intent.md.",
              file=sys.stderr)
        return 1
    print(f"CamIntentV1 schema hash ok: {actual}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
