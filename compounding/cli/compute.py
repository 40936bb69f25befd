"""``python -m compounding compute ORDER.json``: compute an order (the public order JSON) and print its
record: the order with its defaults filled in, the result, the reference-data hash, the engine version
and the record's SHA-256 (compounding.record)."""

from __future__ import annotations

import argparse
import json
import sys


# the file is an order, not the glossary's "file" (an Excel record to check): compounding.cli.glossary_help
GLOSSARY_KEYS = {"file": "order"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help='an order as JSON ({"kind": "capsules", "fields": {...}}), or - for stdin')
    p.add_argument("--reference", metavar="DIR",
                   help="reference data to compute with: a directory laid out like formulas/ (default: the "
                   "shipped data); its hash is recorded")


def _read(name: str) -> str:
    from ..errors import InputError

    if name == "-":
        return sys.stdin.read()
    try:
        with open(name, encoding="utf-8") as f:
            return f.read(1_000_000)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", field="file",
                         value=name) from None


def run(args: argparse.Namespace) -> int:
    from ..bundle import load_bundle
    from ..errors import InputError
    from ..orders import compute, order_from_json
    from ..record import record_of

    text = _read(args.file)
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InputError(f"is not JSON ({exc})", field="file", value=args.file) from None
    bundle = load_bundle(args.reference) if args.reference else None
    rec = record_of(compute(order_from_json(obj), bundle))
    json.dump({**rec.canonical(), "record_hash": rec.sha256}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
