"""``python -m compounding users add|list|deactivate``: the store's users from the command line.

The first user of a new store is an admin created here (``users add --role admin …``, no
``--as``); after that an admin signs in with ``--as USERNAME`` to add or deactivate users.
Passwords are asked for at the terminal (never on the command line, where ``ps`` and the shell
history would keep them); without a terminal they are read one per line from standard input: the
new user's password first, then the acting admin's.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from ..errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add a user (the first one: --role admin, no --as)")
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="printed name, shown on signatures")
    add.add_argument("--initials", required=True)
    add.add_argument("--role", required=True, choices=["technician", "pharmacist", "admin"])
    add.add_argument("--as", dest="actor", help="the admin adding the user (asked for their password)")
    listing = sub.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true")
    off = sub.add_parser("deactivate", help="deactivate a user (they keep their history)")
    off.add_argument("username")
    off.add_argument("--as", dest="actor", required=True)
    off.add_argument("--reason", required=True)


def _secret(prompt: str, field: str, *, confirm: bool = False) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != value:
            raise InputError("does not match its repetition", field=field)
        return value
    line = sys.stdin.readline()
    if not line:
        raise InputError("is missing: type it at the terminal or give it on standard input", field=field)
    return line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store.open()
    try:
        if args.action == "list":
            users = store.users()
            if args.json:
                print(json.dumps([u.as_dict() for u in users], indent=2))
            for u in [] if args.json else users:
                state = "active" if u.active else "inactive"
                print(f"{u.username:<16} {u.role:<11} {u.initials:<4} {state:<8} {u.name}")
            return 0
        if args.action == "add":
            password = _secret(f"password for {args.username}: ", "password", confirm=True)
        if args.actor:
            store.authenticate(args.actor, _secret(f"password of {args.actor}: ", "password"))
        if args.action == "add":
            user = store.add_user(args.actor, username=args.username, name=args.name, initials=args.initials,
                                  role=args.role, password=password)
            print(f"added {user.role} {user.username} ({user.name})")
        else:
            user = store.deactivate_user(args.actor, args.username, reason=args.reason)
            print(f"deactivated {user.username}")
        return 0
    finally:
        store.close()
