"""The audit trail: append-only events chained by SHA-256, and the check that walks the chain.

Each event's ``hash`` is SHA-256 of its canonical content (sequence number, UTC time, actor,
action, entity, old and new value, reason) followed by the previous event's hash; the first
event's predecessor is 64 zeros. Appending locks the one-row chain head (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite writers are already serialised by ``BEGIN IMMEDIATE``), so concurrent
writers queue and the chain never forks. The database refuses UPDATE and DELETE of events
(triggers); :func:`audit_chain_check` finds what was changed anyway (by someone who dropped them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import AuditChainHead, AuditEvent, User
from .record_snapshot import canonical_json, sha256_text

__all__ = ["GENESIS_HASH", "append_event", "event_hash", "ChainReport", "audit_chain_check"]

GENESIS_HASH = "0" * 64


def _content(seq: int, at: dt.datetime, actor_id: int | None, actor_name: str, action: str, entity: str,
             entity_id: str, old_value: str | None, new_value: str | None, reason: str | None) -> dict[str, Any]:
    return {"seq": seq, "at": at.astimezone(dt.timezone.utc).isoformat(), "actor_id": actor_id,
            "actor_name": actor_name, "action": action, "entity": entity, "entity_id": entity_id,
            "old_value": old_value, "new_value": new_value, "reason": reason}


def event_hash(event: Any) -> str:
    """The hash of an event (an :class:`AuditEvent` or a row of its table with the same names)."""
    content = _content(event.seq, event.at, event.actor_id, event.actor_name, event.action, event.entity,
                       event.entity_id, event.old_value, event.new_value, event.reason)
    return sha256_text(canonical_json(content) + event.prev_hash)


def append_event(session: Session, *, at: dt.datetime, actor: User | None, action: str, entity: str,
                 entity_id: object, old: Any = None, new: Any = None, reason: str | None = None) -> AuditEvent:
    """Add one event to the chain, in the caller's transaction (so both are written, or neither)."""
    head = session.info.get("audit_head")  # locked once per transaction (sessions live for one write)
    if head is None:
        head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one()
        session.info["audit_head"] = head
    event = AuditEvent(seq=head.last_seq + 1, at=at, actor_id=actor.id if actor else None,
                       actor_name=actor.username if actor else "(command line bootstrap)", action=action,
                       entity=entity, entity_id=str(entity_id),
                       old_value=None if old is None else canonical_json(old),
                       new_value=None if new is None else canonical_json(new), reason=reason,
                       prev_hash=head.last_hash)
    event.hash = event_hash(event)
    head.last_seq, head.last_hash = event.seq, event.hash
    session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int  # events checked
    broken_seq: int | None = None  # the first event whose link is broken
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "broken_seq": self.broken_seq, "problem": self.problem}

    def __str__(self) -> str:
        if self.ok:
            return f"OK: the audit trail's {self.events} events are intact (hash chain verified)"
        return f"BROKEN at event {self.broken_seq}: {self.problem}"


def audit_chain_check(session: Session, batch_size: int = 2000) -> ChainReport:
    """Walk every event in order; name the first broken link (changed, missing or reordered)."""
    prev_hash, expected, count = GENESIS_HASH, 1, 0
    table = AuditEvent.__table__  # plain rows, not ORM objects: the walk is over every event ever written
    events = session.execute(select(table).order_by(table.c.seq).execution_options(yield_per=batch_size))
    for event in events:
        if event.seq != expected:
            return ChainReport(False, count, expected, f"event {expected} is missing (the next stored event is "
                                                       f"{event.seq})")
        if event.prev_hash != prev_hash:
            return ChainReport(False, count, event.seq, f"its prev_hash does not match event {event.seq - 1}'s hash "
                                                        f"(event {event.seq - 1} or {event.seq} was altered)")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.seq, f"its content ({event.action} on {event.entity} "
                                                        f"{event.entity_id}) was changed after it was written")
        prev_hash, expected, count = event.hash, expected + 1, count + 1
    head = session.get(AuditChainHead, 1)
    if head is None:
        return ChainReport(False, count, count + 1, "the chain head row is missing")
    if head.last_seq > count:
        return ChainReport(False, count, count + 1, f"events {count + 1} to {head.last_seq} are missing (deleted "
                                                    "from the end of the trail)")
    if head.last_seq != count or head.last_hash != prev_hash:
        return ChainReport(False, count, head.last_seq, "the chain head does not match the last event (the head "
                                                        "was edited, or events were written around the store)")
    return ChainReport(True, count)


def event_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
