"""The app's side of the batch-record store: the open store, who is signed in, and store calls.

- The store is opened once per process and database (``LDN_DATABASE_URL``, else the SQLite file in
  ``LDN_DATA_DIR``), lazily: the calculator pages never touch it.
- Signing in checks the password with :meth:`Store.authenticate`; the session then holds the user's
  name and role only (never the password). A session idle for longer than ``LDN_SESSION_IDLE_MINUTES``
  (default 15) is signed out on its next click; a browser reload also starts a new, signed-out session.
- Pages show the buttons a role may use, but every call goes to the service with the signed-in user,
  and the service checks the role, the record's state and the second person again. :func:`act` shows
  its refusal as a message and changes nothing.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import streamlit as st

from compounding.errors import CompoundingError

AUTH = "rec.auth"  # {"username", "name", "role", "seen"}: the signed-in user
NOTICE = "rec.notice"  # a message for the next run: ("success" | "error" | "info", text)
IDLE_ENV = "LDN_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 15
STATUS_TEXT = {"draft": "draft", "in_preparation": "in preparation", "ready_for_review": "ready for review",
               "verified": "verified", "released": "released", "quarantined": "quarantined",
               "scrapped": "scrapped", "recalled": "recalled"}


@st.cache_resource(show_spinner="Opening the batch records…")
def _open_store(url: str):
    from compounding.store import Store

    return Store.open(url)


def store():
    """The store of the configured database, opened (and migrated) on first use."""
    from compounding.store.db import database_url

    return _open_store(database_url())


# --- who is signed in ------------------------------------------------------------------------------

def idle_minutes() -> float:
    """The idle time after which a session is signed out: ``LDN_SESSION_IDLE_MINUTES`` (default 15)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_IDLE_MINUTES
    except ValueError:
        value = DEFAULT_IDLE_MINUTES
    return value if value > 0 else DEFAULT_IDLE_MINUTES


def check_session(now: float | None = None) -> None:
    """At the start of every run: sign out a session idle too long, else note this click."""
    auth = st.session_state.get(AUTH)
    if not auth:
        return
    now = time.time() if now is None else now
    if now - auth["seen"] > idle_minutes() * 60:
        st.session_state.pop(AUTH, None)
        notice("info", f"Signed out after {idle_minutes():g} minutes without activity. Sign in again.")
        return
    auth["seen"] = now


def user() -> dict[str, Any] | None:
    return st.session_state.get(AUTH)


def role() -> str | None:
    u = user()
    return u["role"] if u else None


def sign_in(username: str, password: str) -> None:
    """Form callback: check the password with the store; keep the user (not the password)."""
    try:
        view = store().authenticate(username.strip(), password)
    except CompoundingError:
        # one message for an unknown user and a wrong password: the page must not say which names exist
        notice("error", "Sign-in refused: the user name or password is wrong, or the account is not active.")
        return
    st.session_state[AUTH] = {"username": view.username, "name": view.name, "role": view.role,
                              "seen": time.time()}
    notice("success", f"Signed in as {view.name} ({view.role}).")


def sign_out() -> None:
    for key in [k for k in st.session_state.keys() if isinstance(k, str) and k.startswith("rec.")]:
        st.session_state.pop(key, None)
    notice("info", "Signed out.")


# --- store calls and their messages ----------------------------------------------------------------

def notice(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def show_notice() -> None:
    """The message of the last action, once."""
    item = st.session_state.pop(NOTICE, None)
    if item:
        kind, text = item
        getattr(st, kind)(text, icon={"success": ":material/check:", "error": ":material/error:"}
                          .get(kind, ":material/info:"))


def clear_form(form: str, keys: tuple[str, ...]) -> None:
    """Empty a form's boxes that :func:`submitted` marked on the run before (call it before the form).

    A form is not ``clear_on_submit``: a refused entry keeps everything typed (only a password is
    emptied), and a form empties after the service took it."""
    for key in st.session_state.pop(f"{form}.clear", ()):
        if key in keys:
            st.session_state.pop(key, None)


def submitted(form: str, result: Any, keys: tuple[str, ...], passwords: tuple[str, ...] = ()) -> None:
    """After :func:`act`: empty every box of the form next run if it was taken, else only passwords."""
    st.session_state[f"{form}.clear"] = keys if result is not None else passwords


def refusal_text(exc: CompoundingError) -> str:
    return f"Refused: {exc}"


def act(call: Callable[[Any, str], Any], done: str | Callable[[Any], str]) -> Any:
    """Run ``call(store, username)`` for the signed-in user; a notice says what happened.

    Returns the call's result, or None when the service refused (its message is shown, nothing changed).
    """
    u = user()
    if not u:
        notice("error", "Refused: sign in first.")
        return None
    try:
        result = call(store(), u["username"])
    except CompoundingError as exc:
        notice("error", refusal_text(exc))
        return None
    notice("success", done(result) if callable(done) else done)
    return result


def require(*roles: str) -> dict[str, Any]:
    """Stop the page unless someone with one of ``roles`` (any role, if none) is signed in."""
    u = user()
    if not u:
        st.info("Sign in to use the batch records.", icon=":material/login:")
        st.stop()
    if roles and u["role"] not in roles:
        st.error(f"Refused: this page is for {' or '.join(r + 's' for r in roles)}; you are signed in as a "
                 f"{u['role']}.", icon=":material/block:")
        st.stop()
    return u


# --- showing store values --------------------------------------------------------------------------

def q(value: Any) -> str:
    if value is None:
        return "—"
    from compounding.display import format_quantity

    return format_quantity(value)


def when(value: Any) -> str:
    """A stored time (UTC) to the minute."""
    if value is None:
        return "—"
    import datetime as dt

    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def lot_label(lot) -> str:
    """One line naming an ingredient lot: what, whose lot, expiry, status, potency."""
    extra = f" · potency {q(lot.potency)}" if lot.potency is not None else (
        f" · tablet {q(lot.tablet_weight)}" if lot.tablet_weight is not None else "")
    return f"{lot.material} · {lot.supplier} {lot.supplier_lot} · exp {lot.expiry.isoformat()} · {lot.status}{extra}"


def lot_row(lot) -> dict[str, str]:
    return {"Lot": lot.supplier_lot, "Kind": lot.kind, "Material": lot.material, "Supplier": lot.supplier,
            "Expiry": lot.expiry.isoformat(), "Status": lot.status + (f" ({lot.status_reason})"
                                                                      if lot.status_reason else ""),
            "Potency": q(lot.potency), "Salt form": lot.salt_form or "—", "Tablet weight": q(lot.tablet_weight),
            "Fill weights": ", ".join(f"size {k}: {q(v)}" for k, v in lot.fill_weights.items()) or "—"}


def summary_rows(items) -> list[dict[str, str]]:
    return [{"Lot number": b.lot_number, "Kind": b.kind.replace("_", " "), "Strength": b.strength,
             "Status": STATUS_TEXT.get(b.status, b.status), "Preparer": b.preparer, "Created": when(b.created_at)}
            for b in items]


def batch_list(items) -> None:
    """A list of batches as one Markdown table: a page of 50 rows is drawn at once (a table element
    renders each cell as Markdown of its own, which took the browser over half a second for 50 rows)."""
    rows = summary_rows(items)
    if not rows:
        return
    cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r[h]) for h in head) + " |" for r in rows]
    st.markdown("\n".join(lines))
