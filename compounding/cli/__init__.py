"""Command line: ``python -m compounding <subcommand> …``.

Each subcommand lives in ``compounding/cli/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; only the one asked for is imported, so the CLI starts fast. Any
:class:`~compounding.errors.CompoundingError` (bad input) becomes one line on stderr and exit
status 2; nothing else a user does shows a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

SUBCOMMANDS = {
    "capsules": "Calculate an LDN capsule batch",
    "liquid": "Calculate an LDN oral liquid from 50 mg tablets or powder",
    "titration": "Plan an LDN titration (dated schedule, dispensing, patient chart)",
    "compute": "Compute an order given as JSON and print its record (order, result, hashes)",
    "verify": "Re-check an exported Excel batch record against the core",
    "weight-check": "Check capsule weights from the balance against the target fill weight",
    "records": "Batch records in the store: list, show, export, recall, audit (LDN_DATABASE_URL / LDN_DATA_DIR)",
    "users": "Users of the batch-record store: add (the first admin), list, deactivate",
    "worklist": "Plan a day's prescriptions from a CSV/XLSX worklist (batches, allocation, labels)",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        raise SystemExit(2)


def _usage() -> str:
    lines = ["usage: python -m compounding <subcommand> [options]   (--help on any subcommand)", ""]
    lines += [f"  {name:<13} {text}" for name, text in SUBCOMMANDS.items()]
    return "\n".join(lines)


def _refuse_empty_options(parser: _Parser, args: argparse.Namespace) -> None:
    """``--filler ""`` (an empty shell variable) is a mistake, not a request for the default."""
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, list) else [value]
        if action.option_strings and any(isinstance(v, str) and not v.strip() for v in values):
            parser.error(f"argument {action.option_strings[-1]}: is empty; give a value or leave the "
                         "option out to use its default")


def _attach_dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--strength -1mg`` → ``--strength=-1mg``: argparse takes a value starting with "-" for an
    option and answers "expected one argument"; joined, the core sees the value and says why it
    is refused (naming the field, the value and what is allowed)."""
    takes_value = {o for a in parser._actions if a.nargs is None and a.option_strings  # noqa: SLF001
                   and not isinstance(a, (argparse._StoreTrueAction, argparse._HelpAction))
                   for o in a.option_strings}
    out: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if tok in takes_value and nxt is not None and nxt.startswith("-") and nxt not in parser._option_string_actions:
            out.append(f"{tok}={nxt}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _field_options() -> dict[str, str]:
    """Fields whose option is spelled differently (the field is the core's name, the option the CLI's),
    as argparse dests, from the glossary."""
    from ..glossary import GLOSSARY

    return {k: t.option.lstrip("-").replace("-", "_") for k, t in GLOSSARY.items() if t.option}


def glossary_key(action: argparse.Action, keys: dict[str, str | None]) -> str | None:
    """The glossary field an option sets: the subcommand's own mapping (``GLOSSARY_KEYS`` of its
    module: ``volume`` → ``final_volume``; None for an option whose name means something else there),
    a record field (``record_patient`` → ``patient``), the option's dest, or the field whose option it
    is (``--component-expiry`` → ``component_expiries``); None when it names none."""
    from ..glossary import GLOSSARY

    dest = action.dest
    if dest in keys:
        return keys[dest]
    if dest.startswith("record_") and dest[len("record_"):] in GLOSSARY:
        return dest[len("record_"):]
    if dest in GLOSSARY:
        return dest
    by_option = {t.option: k for k, t in GLOSSARY.items() if t.option}
    return next((by_option[o] for o in action.option_strings if o in by_option), None)


def glossary_help(parser: argparse.ArgumentParser, keys: dict[str, str | None] | None = None) -> None:
    """Give every option named by a glossary field the glossary's words: "Label (unit): what it is",
    then the option's own help (an example, the default). The meaning comes first: a description's
    "; in a …" clauses say what the name means elsewhere and are left out here."""
    from ..glossary import GLOSSARY

    for action in parser._actions:  # noqa: SLF001 - argparse keeps its options here
        key = glossary_key(action, keys or {})
        if key is None or action.help == argparse.SUPPRESS:
            continue
        t = GLOSSARY[key]
        meaning = re.split(r";\s+in\s", t.description)[0]
        unit = f" ({t.unit})" if t.unit and t.unit.lower() not in t.label.lower() else ""
        head = f"{t.label}{unit}: {meaning}".replace("%", "%%")
        action.help = head + (f"; {action.help}" if action.help else "")


def parser_for(name: str) -> "_Parser":
    """The parser of a subcommand, its options' help in the glossary's words."""
    module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    parser = _Parser(prog=f"python -m compounding {name}", description=SUBCOMMANDS[name])
    module.add_arguments(parser)
    glossary_help(parser, getattr(module, "GLOSSARY_KEYS", {}))
    return parser


def save_order(path: str | None, result: object) -> None:
    """Write the order a result was computed from as JSON (the public order format) to ``path``."""
    if path is None:
        return
    import json

    from ..errors import InputError

    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(result.order.to_json(), f, indent=2, ensure_ascii=False)  # type: ignore[attr-defined]
            f.write("\n")
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", field="save_order", value=path) from None


def today_unless(value: object) -> object:
    """The date given, or today: "today" is read here, by the caller, and handed to the core."""
    import datetime as dt

    return dt.date.today() if value is None else value


def _option_for(parser: argparse.ArgumentParser, field: str | None) -> str | None:
    """The command-line option a refused field came from (``fill_weight`` → ``--fill-weight``), so
    the one line on stderr says what to retype; None when no option sets it."""
    if not field:
        return None
    dest = _field_options().get(field, field.split("[")[0].split(".")[0])
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its options here
        # a record field (lot_number) is set by the option whose dest is record_<field> (--lot)
        if action.dest in (dest, f"record_{field}") and action.option_strings:
            return action.option_strings[-1]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    name = argv[0]
    if name not in SUBCOMMANDS:
        sys.stderr.write(f"error: unknown subcommand {name!r} (allowed: {', '.join(SUBCOMMANDS)})\n")
        return 2
    from ..errors import CompoundingError

    try:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name.replace('-', '_')}":
            sys.stderr.write(f"error: subcommand {name!r} is not available in this version\n")
            return 2
        raise
    parser = parser_for(name)
    args = parser.parse_args(_attach_dash_values(parser, argv[1:]))
    _refuse_empty_options(parser, args)
    try:
        return int(module.run(args) or 0)
    except CompoundingError as exc:
        option = _option_for(parser, exc.field)
        sys.stderr.write(f"error: {option + ': ' if option else ''}{' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user
        sys.stderr.write(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                         "(please report this with the command you ran)\n")
        return 3
