"""The batch-record service: the only code that writes to the store.

Every public method that changes something runs in one database transaction that also appends
its audit event(s), so a crash leaves both or neither. Each refusal (role, second person, wrong
password, record state, bad input) is a :class:`~compounding.errors.CompoundingError` raised
before the transaction commits: nothing is changed. Users are named by their username; the app
passes the signed-in user, and the service checks that user's role and state again on every call
whatever the page showed.

Workflow (domain §8a)::

    draft → in_preparation → ready_for_review → verified → released → recalled
               ↑   (send back, reason) ┘            │           (pharmacist, reason)
    any state before release → quarantined / scrapped (pharmacist, reason); quarantined → released
    (if it was verified) or scrapped. A released record never changes: :meth:`Store.amend` makes a
    new record pointing to it, which goes through verification again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import CompoundingError, InputError, PermissionDenied, RangeError, StateError
from . import auth, queries, validate
from .audit import ChainReport, append_event, audit_chain_check
from .batches import batch_total, content_hash, quantity_text, summary, weight_spec
from .calculate import calculate, order_object, recalculate
from .fill_learning import FillWeightProposal, propose
from .db import WRITE_OPTION, database_url, make_engine
from .ingredients import FILL_WEIGHT_RANGE_MG, lot_columns
from .lot_inputs import LotInputs, inputs_from_lots, merge_order
from .lotnumbers import amendment_lot_number, next_lot_number
from .models import (ROLES, ActualWeight, Allocation, AuditChainHead, Batch, BatchIngredientLot, CapsuleWeight,
                     FillerFillWeight, IngredientLot, Signature, User)
from .record_snapshot import reference_hash, snapshot
from .views import AuditEventView, BatchView, LotView, Page, UserView

__all__ = ["Store", "TRANSITIONS", "ROLES_FOR", "MAX_ATTEMPTS"]

T = TypeVar("T")
PREPARERS = ("technician", "pharmacist")
PRE_RELEASE = ("draft", "in_preparation", "ready_for_review", "verified")
EDITABLE = ("draft", "in_preparation")  # weights and lots are locked once submitted for review
SIGNED_CONTENT = ("ready_for_review", "verified", "released", "recalled")  # content = the last signature's
MAX_ATTEMPTS = 5  # a write that meets a deadlock / serialization failure / busy database is retried
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_INITIALS = re.compile(r"^[A-Za-z]{1,8}$")


@dataclass(frozen=True)
class Transition:
    verb: str  # for messages: "release a batch"
    source: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    reason: bool = False  # a reason is required
    meaning: str | None = None  # the signature this step is (needs the password again)
    preparer_only: bool = False
    not_preparer: bool = False


TRANSITIONS: dict[str, Transition] = {
    "start_preparation": Transition("start preparing a batch", ("draft",), "in_preparation", PREPARERS,
                                    preparer_only=True),
    "submit_for_review": Transition("submit a batch for review", ("in_preparation",), "ready_for_review", PREPARERS,
                                    meaning="prepared", preparer_only=True),
    "send_back": Transition("send a batch back to preparation", ("ready_for_review",), "in_preparation",
                            ("pharmacist",), reason=True),
    "verify": Transition("verify a batch", ("ready_for_review",), "verified", ("pharmacist",), meaning="verified",
                         not_preparer=True),
    "release": Transition("release a batch", ("verified", "quarantined"), "released", ("pharmacist",),
                          meaning="released"),
    "quarantine": Transition("quarantine a batch", PRE_RELEASE, "quarantined", ("pharmacist",), reason=True),
    "scrap": Transition("scrap a batch", (*PRE_RELEASE, "quarantined"), "scrapped", ("pharmacist",), reason=True),
    "recall": Transition("recall a batch", ("released",), "recalled", ("pharmacist",), reason=True),
}
ROLES_FOR: dict[str, tuple[str, ...]] = {
    "add_user": ("admin",), "deactivate_user": ("admin",),
    "receive_ingredient_lot": PREPARERS, "release_ingredient_lot": ("pharmacist",),
    "reject_ingredient_lot": ("pharmacist",),
    "create_batch": PREPARERS, "edit_batch": PREPARERS, "amend": PREPARERS, "allocate_stock": ("pharmacist",),
    "approve_fill_weight": ("pharmacist",),
    **{name: t.roles for name, t in TRANSITIONS.items()},
}
_ACTION_TEXT = {"add_user": "add users", "deactivate_user": "deactivate users",
                "receive_ingredient_lot": "receive ingredient lots",
                "release_ingredient_lot": "release ingredient lots",
                "reject_ingredient_lot": "reject ingredient lots", "create_batch": "create batches",
                "edit_batch": "edit a batch", "amend": "amend a released batch",
                "allocate_stock": "allocate released stock",
                "approve_fill_weight": "approve a filler lot's fill weight",
                **{n: t.verb for n, t in TRANSITIONS.items()}}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Store:
    """The batch-record store. ``Store.open()`` migrates and opens the configured database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = _utc_now,
                 reference: str | None = None) -> None:
        self.engine = engine
        self._clock = clock
        self.reference_hash = reference_hash() if reference is None else reference
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        self.retries = 0  # writes retried after a deadlock, serialization failure or busy timeout

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, **kwargs: Any) -> Store:
        from .migrate import upgrade

        url = database_url() if url is None else url
        engine = make_engine(url)
        if migrate:
            upgrade(url)
        return cls(engine, **kwargs)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ plumbing

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock must give timezone-aware times")
        return now.astimezone(dt.timezone.utc)

    def _today(self) -> dt.date:
        return self._now().astimezone().date()  # the pharmacy's (server's) local day

    def _read(self, work: Callable[[Session], T]) -> T:
        with self._reads() as session, session.begin():
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        for attempt in itertools.count(1):
            try:
                with self._writes() as session, session.begin():
                    return work(session)
            except DBAPIError as exc:
                if attempt < MAX_ATTEMPTS and _retryable(exc):
                    self.retries += 1
                    continue
                refused = _refusal(exc)
                if refused is exc:
                    raise
                raise refused from exc
        raise AssertionError("unreachable")

    def _actor(self, session: Session, username: Any, action: str) -> User:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            raise PermissionDenied("is not an active user of this store", field="user", value=username)
        roles = ROLES_FOR[action]
        if user.role not in roles:
            raise PermissionDenied(f"may not {_ACTION_TEXT[action]}", field="role", value=user.role,
                                   allowed=" or ".join(roles))
        return user

    def _check_password(self, username: Any, password: Any, action: str | None = None) -> None:
        """Re-authentication (login, and every signature), outside the write lock: Argon2 is slow on purpose.

        With ``action``, the role is checked first, so an admin or technician hears "may not",
        not "wrong password".
        """
        def lookup(s: Session) -> Any:
            if action:
                self._actor(s, username, action)
            return s.execute(select(User.password_hash, User.active).where(User.username == username)).one_or_none()

        stored = self._read(lookup)
        ok = auth.verify_password(stored[0] if stored else auth.dummy_hash(), password)
        if not (ok and stored and stored[1]):
            raise PermissionDenied("is wrong for this user (or the user is not active)", field="password")

    def _event(self, session: Session, actor: User | None, action: str, entity: str, entity_id: Any, *,
               old: Any = None, new: Any = None, reason: str | None = None) -> None:
        append_event(session, at=self._now(), actor=actor, action=action, entity=entity, entity_id=entity_id,
                     old=old, new=new, reason=reason)

    # ------------------------------------------------------------------ users

    def add_user(self, actor: str | None, *, username: str, name: str, initials: str, role: str,
                 password: str) -> UserView:
        """An admin adds a user; with ``actor=None`` the command line creates the first admin."""
        username = _username(username)
        name = validate.person_name(name, "name")
        if not isinstance(initials, str) or not _INITIALS.match(initials.strip()):
            raise InputError("are not initials", field="initials", value=initials, allowed="1 to 8 letters")
        if role not in ROLES:
            raise InputError("is not a role", field="role", value=role, allowed=", ".join(ROLES))
        password_hash = auth.hash_password(password)

        def work(s: Session) -> UserView:
            admin = self._bootstrap_check(s, role) if actor is None else self._actor(s, actor, "add_user")
            if s.execute(select(exists().where(User.username == username))).scalar():
                raise InputError("is already taken", field="username", value=username)
            user = User(username=username, name=name, initials=initials.strip().upper(), role=role,
                        password_hash=password_hash, active=True, created_at=self._now())
            s.add(user)
            s.flush()
            self._event(s, admin, "user_added", "user", user.id, new=UserView.of(user).as_dict())
            return UserView.of(user)

        return self._write(work)

    @staticmethod
    def _bootstrap_check(s: Session, role: str) -> None:
        s.execute(select(AuditChainHead).with_for_update()).all()  # one bootstrap at a time
        if s.execute(select(exists().where(User.role == "admin", User.active.is_(True)))).scalar():
            raise PermissionDenied("an administrator exists: sign in as one to add users", field="user")
        if role != "admin":
            raise InputError("must be admin for the first user of a new store", field="role", value=role,
                             allowed="admin")
        return None

    def deactivate_user(self, actor: str, username: str, *, reason: str) -> UserView:
        reason = validate.text(reason, "reason", max_len=validate.MAX_REASON)

        def work(s: Session) -> UserView:
            admin = self._actor(s, actor, "deactivate_user")
            user = _user(s, username)
            if not user.active:
                raise StateError("is already inactive", field="username", value=username)
            if user.role == "admin" and _active_admins(s) == 1:
                raise StateError("is the last active administrator", field="username", value=username)
            user.active = False
            self._event(s, admin, "user_deactivated", "user", user.id, old={"active": True}, new={"active": False},
                        reason=reason)
            return UserView.of(user)

        return self._write(work)

    def authenticate(self, username: str, password: str) -> UserView:
        """Sign-in: the user's view if the password is right and the account active."""
        self._check_password(username, password)
        return self._read(lambda s: UserView.of(_user(s, username)))

    def users(self) -> list[UserView]:
        return self._read(lambda s: [UserView.of(u) for u in s.execute(select(User).order_by(User.username))
                                     .scalars()])

    # ------------------------------------------------------------------ ingredient lots

    def receive_ingredient_lot(self, actor: str, **fields: Any) -> LotView:
        """A received lot, in quarantine until a pharmacist releases it (see :mod:`.ingredients`)."""
        columns = lot_columns(today=self._today(), **fields)
        fill_weights = columns.pop("fill_weights")

        def work(s: Session) -> LotView:
            user = self._actor(s, actor, "receive_ingredient_lot")
            if s.execute(select(exists().where(IngredientLot.supplier == columns["supplier"],
                                               IngredientLot.supplier_lot == columns["supplier_lot"]))).scalar():
                raise InputError(f"is already recorded for supplier {columns['supplier']}", field="supplier_lot",
                                 value=columns["supplier_lot"])
            lot = IngredientLot(**columns, status="quarantined", received_by_id=user.id, received_at=self._now())
            lot.fill_weights = [FillerFillWeight(capsule_size=k, fill_weight=v) for k, v in fill_weights.items()]
            s.add(lot)
            s.flush()
            view = LotView.of(lot)
            self._event(s, user, "ingredient_lot_received", "ingredient_lot", lot.id, new=view.as_dict())
            return view

        return self._write(work)

    def release_ingredient_lot(self, actor: str, lot_id: int, *, reason: str | None = None) -> LotView:
        return self._lot_decision(actor, lot_id, "released", reason)

    def reject_ingredient_lot(self, actor: str, lot_id: int, *, reason: str) -> LotView:
        return self._lot_decision(actor, lot_id, "rejected", reason)

    def _lot_decision(self, actor: str, lot_id: int, status: str, reason: Any) -> LotView:
        action = "release_ingredient_lot" if status == "released" else "reject_ingredient_lot"
        reason = (validate.text(reason, "reason", max_len=validate.MAX_REASON) if status == "rejected"
                  else validate.optional_text(reason, "reason", max_len=validate.MAX_REASON))

        def work(s: Session) -> LotView:
            user = self._actor(s, actor, action)
            lot = _ingredient_lot(s, lot_id, lock=True)
            if lot.status != "quarantined":
                raise StateError(f"is {lot.status}; only a quarantined lot is released or rejected",
                                 field="ingredient_lot", value=lot.supplier_lot, allowed="quarantined")
            if status == "released" and lot.expiry < self._today():
                raise StateError(f"expired on {lot.expiry.isoformat()}", field="ingredient_lot", value=lot.supplier_lot)
            lot.status, lot.status_reason = status, reason
            self._event(s, user, f"ingredient_lot_{status}", "ingredient_lot", lot.id,
                        old={"status": "quarantined"}, new={"status": status}, reason=reason)
            return LotView.of(lot)

        return self._write(work)

    def ingredient_lots(self, *, kind: str | None = None, status: str | None = None) -> list[LotView]:
        return self._read(lambda s: queries.list_ingredient_lots(s, kind=kind, status=status))

    # ------------------------------------------------------------------ batches: create and edit

    def create_batch(self, actor: str, *, kind: str, order: Mapping[str, Any], result: Any,
                     ingredient_lots: Iterable[int] = (), weights: Iterable[Mapping[str, Any]] = (),
                     allocations: Iterable[Mapping[str, Any]] = ()) -> BatchView:
        """Save a calculation as a draft batch with a new lot number ("Save as batch"), in one transaction."""
        result_dict = result.as_dict() if hasattr(result, "as_dict") else dict(result)  # once: it is not cheap
        snap = snapshot(kind, order, result_dict,
                        reference=getattr(result, "reference_hash", None) or self.reference_hash)
        specs = [weight_spec(result_dict, **w) for w in weights]
        allocs = [_allocation_input(**a) for a in allocations]
        lot_ids = list(ingredient_lots)

        def work(s: Session) -> BatchView:
            user = self._actor(s, actor, "create_batch")
            now = self._now()
            batch = Batch(lot_number=next_lot_number(s, now.astimezone().date()), kind=snap.kind, status="draft",
                          strength=snap.strength, order_json=snap.order_json, result_json=snap.result_json,
                          record_hash=snap.record_hash, engine_version=snap.engine_version,
                          reference_hash=snap.reference_hash, preparer_id=user.id, created_at=now, updated_at=now)
            s.add(batch)
            s.flush()
            self._event(s, user, "batch_created", "batch", batch.id, new=summary(batch))
            self._fill(s, user, batch, lot_ids, specs, allocs)
            return self._view(s, batch)

        return self._write(work)

    def _fill(self, s: Session, user: User, batch: Batch, lot_ids: list[int], specs: list[dict[str, Any]],
              allocs: list[dict[str, Any]]) -> None:
        for lot_id in lot_ids:
            self._link_lot(s, user, batch, lot_id)
        for spec in specs:
            self._put_weight(s, user, batch, spec)
        for alloc in allocs:
            self._put_allocation(s, user, batch, alloc)

    def _view(self, s: Session, batch: Batch) -> BatchView:
        s.flush()
        s.expire(batch)
        return queries.get_batch(s, batch.lot_number)

    def _editable(self, s: Session, actor: str, lot_number: str) -> tuple[User, Batch]:
        user = self._actor(s, actor, "edit_batch")
        batch = queries.load_batch(s, lot_number, lock=True)
        if batch.status not in EDITABLE:
            what = "a released record never changes: amend it" if batch.status in ("released", "recalled") else \
                "weights, lots and allocations are locked once the batch is submitted"
            raise StateError(f"is {batch.status}: {what}", field="status", value=batch.status,
                             allowed=", ".join(EDITABLE))
        if batch.preparer_id != user.id:
            raise PermissionDenied("did not prepare this batch: only its preparer edits it", field="user",
                                   value=actor)
        return user, batch

    def add_ingredient_lot_to_batch(self, actor: str, lot_number: str, ingredient_lot_id: int) -> BatchView:
        def work(s: Session) -> BatchView:
            user, batch = self._editable(s, actor, lot_number)
            self._link_lot(s, user, batch, ingredient_lot_id)
            return self._view(s, batch)

        return self._write(work)

    def _link_lot(self, s: Session, user: User, batch: Batch, lot_id: Any) -> None:
        lot = _ingredient_lot(s, lot_id)
        if lot.status != "released":
            raise StateError(f"is {lot.status}: only a released lot can be used", field="ingredient_lot",
                             value=lot.supplier_lot, allowed="released")
        if lot.expiry < self._today():
            raise StateError(f"expired on {lot.expiry.isoformat()} and cannot be used", field="ingredient_lot",
                             value=lot.supplier_lot)
        if s.execute(select(exists().where(BatchIngredientLot.batch_id == batch.id,
                                           BatchIngredientLot.ingredient_lot_id == lot.id))).scalar():
            raise InputError("is already recorded on this batch", field="ingredient_lot", value=lot.supplier_lot)
        s.add(BatchIngredientLot(batch_id=batch.id, ingredient_lot_id=lot.id))
        self._event(s, user, "ingredient_lot_used", "batch", batch.id,
                    new={"ingredient_lot_id": lot.id, "supplier": lot.supplier, "supplier_lot": lot.supplier_lot})

    def record_weight(self, actor: str, lot_number: str, *, step: str, actual: Any, tolerance: Any) -> BatchView:
        """The actual weight of one weighed step against its target in the stored result."""
        def work(s: Session) -> BatchView:
            user, batch = self._editable(s, actor, lot_number)
            from json import loads

            self._put_weight(s, user, batch, weight_spec(loads(batch.result_json), step=step, actual=actual,
                                                          tolerance=tolerance))
            return self._view(s, batch)

        return self._write(work)

    def _put_weight(self, s: Session, user: User, batch: Batch, spec: dict[str, Any]) -> None:
        row = s.execute(select(ActualWeight).where(ActualWeight.batch_id == batch.id,
                                                   ActualWeight.step == spec["step"])).scalar_one_or_none()
        old = None if row is None else _weight_dict(row)
        if row is None:
            row = ActualWeight(batch_id=batch.id, step=spec["step"])
            s.add(row)
        row.target, row.actual, row.tolerance, row.verdict = spec["target"], spec["actual"], spec["tolerance"], \
            spec["verdict"]
        row.recorded_by_id, row.recorded_at = user.id, self._now()
        self._event(s, user, "weight_recorded", "batch", batch.id, old=old, new=_weight_dict(row))

    def allocate(self, actor: str, lot_number: str, *, quantity: Any, patient: Any = None, rx_number: Any = None,
                 prescriber: Any = None, anticipatory: bool = False) -> BatchView:
        """Allocate part of a batch to a prescription, or hold it as anticipatory stock.

        While the batch is being prepared its preparer allocates; after release a pharmacist
        allocates stock to prescriptions (anticipatory compounding, domain §8a): such an allocation
        is flagged ``after_release`` and is not part of the signed content. ``prescriber`` (a name,
        optional) is the prescription's: the exported record's "Prescriber" comes from it.
        """
        alloc = _allocation_input(quantity=quantity, patient=patient, rx_number=rx_number, prescriber=prescriber,
                                  anticipatory=anticipatory)

        def work(s: Session) -> BatchView:
            batch = queries.load_batch(s, lot_number, lock=True)
            if batch.status == "released":
                user = self._actor(s, actor, "allocate_stock")
            else:
                user, batch = self._editable(s, actor, lot_number)
            self._put_allocation(s, user, batch, alloc)
            return self._view(s, batch)

        return self._write(work)

    def _put_allocation(self, s: Session, user: User, batch: Batch, alloc: dict[str, Any]) -> None:
        total = batch_total(batch.result_json)
        taken = s.execute(select(func.coalesce(func.sum(Allocation.quantity), 0))
                          .where(Allocation.batch_id == batch.id)).scalar_one()
        if total is not None and taken + alloc["quantity"] > total:
            raise InputError(f"is more than the {total - taken} left of this batch of {total}", field="quantity",
                             value=alloc["quantity"], allowed=f"1 to {total - taken}")
        after_release = batch.status == "released"  # stock: not part of what the release signed
        s.add(Allocation(batch_id=batch.id, recorded_by_id=user.id, recorded_at=self._now(),
                         after_release=after_release, **alloc))
        # a prescriber and the after-release flag only when there is one (events before they existed read alike)
        new = {k: v for k, v in alloc.items() if k != "patient_key" and (k != "prescriber" or v)}
        self._event(s, user, "allocated", "batch", batch.id, new={**new, **({"after_release": True} if after_release
                                                                           else {})})

    # ------------------------------------------------------------------ batches: workflow

    def start_preparation(self, actor: str, lot_number: str) -> BatchView:
        return self._transition(actor, lot_number, "start_preparation")

    def submit_for_review(self, actor: str, lot_number: str, *, password: str) -> BatchView:
        return self._transition(actor, lot_number, "submit_for_review", password=password)

    def send_back(self, actor: str, lot_number: str, *, reason: str) -> BatchView:
        return self._transition(actor, lot_number, "send_back", reason=reason)

    def verify(self, actor: str, lot_number: str, *, password: str) -> BatchView:
        return self._transition(actor, lot_number, "verify", password=password)

    def release(self, actor: str, lot_number: str, *, password: str) -> BatchView:
        return self._transition(actor, lot_number, "release", password=password)

    def quarantine(self, actor: str, lot_number: str, *, reason: str) -> BatchView:
        return self._transition(actor, lot_number, "quarantine", reason=reason)

    def scrap(self, actor: str, lot_number: str, *, reason: str) -> BatchView:
        return self._transition(actor, lot_number, "scrap", reason=reason)

    def recall(self, actor: str, lot_number: str, *, reason: str) -> BatchView:
        return self._transition(actor, lot_number, "recall", reason=reason)

    def _transition(self, actor: str, lot_number: str, name: str, *, reason: Any = None,
                    password: Any = None) -> BatchView:
        t = TRANSITIONS[name]
        reason = (validate.text(reason, "reason", max_len=validate.MAX_REASON) if t.reason
                  else validate.optional_text(reason, "reason", max_len=validate.MAX_REASON))
        if t.meaning:
            self._check_password(actor, password, name)

        def work(s: Session) -> BatchView:
            user = self._actor(s, actor, name)
            batch = queries.load_batch(s, lot_number, lock=True)
            self._may_move(user, batch, name, t)
            old = batch.status
            batch.status, batch.status_reason, batch.updated_at = t.target, reason, self._now()
            if name == "verify":
                batch.verifier_id = user.id
            s.flush()
            self._event(s, user, name, "batch", batch.id, old={"status": old}, new={"status": t.target},
                        reason=reason)
            if t.meaning:
                self._sign(s, user, batch, t.meaning)
            return self._view(s, batch)

        return self._write(work)

    @staticmethod
    def _may_move(user: User, batch: Batch, name: str, t: Transition) -> None:
        if batch.status not in t.source:
            raise StateError(f"does not allow this: cannot {t.verb} that is {batch.status}", field="status",
                             value=batch.status, allowed=", ".join(t.source))
        if t.preparer_only and batch.preparer_id != user.id:
            raise PermissionDenied(f"did not prepare this batch: only its preparer may {t.verb}", field="user",
                                   value=user.username)
        if t.not_preparer and batch.preparer_id == user.id:
            raise PermissionDenied("prepared this batch: a second person must verify it", field="user",
                                   value=user.username)
        if name == "release" and batch.verifier_id is None:
            raise StateError("was never verified, so it cannot be released", field="status", value=batch.status)

    def _sign(self, s: Session, user: User, batch: Batch, meaning: str) -> None:
        signed = content_hash(s, batch)
        s.add(Signature(batch_id=batch.id, user_id=user.id, printed_name=user.name, meaning=meaning,
                        signed_at=self._now(), signed_hash=signed))
        self._event(s, user, "signed", "batch", batch.id,
                    new={"meaning": meaning, "printed_name": user.name, "signed_hash": signed})

    def amend(self, actor: str, lot_number: str, *, order: Mapping[str, Any], result: Any,
              reason: str) -> BatchView:
        """Correct a released record: a new draft record (``<lot>-A<n>``) pointing to the one it replaces."""
        reason = validate.text(reason, "reason", max_len=validate.MAX_REASON)
        result_dict = result.as_dict() if hasattr(result, "as_dict") else dict(result)

        def work(s: Session) -> BatchView:
            user = self._actor(s, actor, "amend")
            old = queries.load_batch(s, lot_number, lock=True)
            if old.status not in ("released", "recalled"):
                raise StateError(f"is {old.status}: only a released record is amended; edit or send this one back",
                                 field="status", value=old.status, allowed="released, recalled")
            snap = snapshot(old.kind, order, result_dict,
                            reference=getattr(result, "reference_hash", None) or self.reference_hash)
            now = self._now()
            new = Batch(lot_number=amendment_lot_number(s, old.lot_number), kind=old.kind, status="draft",
                        strength=snap.strength, order_json=snap.order_json, result_json=snap.result_json,
                        record_hash=snap.record_hash, engine_version=snap.engine_version,
                        reference_hash=snap.reference_hash, preparer_id=user.id, amends_id=old.id,
                        created_at=now, updated_at=now)
            s.add(new)
            s.flush()
            self._event(s, user, "amended", "batch", old.id, new={"amended_by": new.lot_number}, reason=reason)
            self._event(s, user, "batch_created", "batch", new.id, new={**summary(new), "amends": old.lot_number},
                        reason=reason)
            self._copy_into(s, user, old, new, result_dict)
            return self._view(s, new)

        return self._write(work)

    def _copy_into(self, s: Session, user: User, old: Batch, new: Batch, result: dict[str, Any]) -> None:
        """The amendment starts from what was recorded: the same lots, weights (against the new targets)."""
        for link in s.execute(select(BatchIngredientLot).where(BatchIngredientLot.batch_id == old.id)).scalars():
            s.add(BatchIngredientLot(batch_id=new.id, ingredient_lot_id=link.ingredient_lot_id))
        for w in s.execute(select(ActualWeight).where(ActualWeight.batch_id == old.id)).scalars():
            if isinstance(result.get(w.step), Mapping):
                self._put_weight(s, user, new, weight_spec(result, step=w.step, actual=w.actual,
                                                           tolerance=w.tolerance))
        for c in s.execute(select(CapsuleWeight).where(CapsuleWeight.batch_id == old.id)).scalars():
            s.add(CapsuleWeight(batch_id=new.id, position=c.position, net_weight=c.net_weight,
                                recorded_by_id=c.recorded_by_id, recorded_at=c.recorded_at))

    # ------------------------------------------------------------------ lots feed calculations

    def calculation_inputs(self, *, kind: str = "capsules", api_lot: int | None = None, tablet_lot: int | None = None,
                           filler_lot: int | None = None, vehicle_lots: Iterable[int] = (),
                           capsule_size: str | None = None, compounding_date: Any = None) -> LotInputs:
        """The core's inputs from the chosen lots (potency, salt form, tablet or fill weight, expiries).

        See :mod:`.lot_inputs`. A lot that is not released, or has expired by the compounding date
        (default today), is refused naming the field it was chosen in.
        """
        on = self._today() if compounding_date in (None, "") else \
            validate.iso_date(compounding_date, "compounding_date")
        chosen = {"api_lot": api_lot, "tablet_lot": tablet_lot, "filler_lot": filler_lot,
                  "vehicle_lots": list(vehicle_lots) or None}

        def work(s: Session) -> dict[str, Any]:
            return {f: ([LotView.of(_ingredient_lot(s, i, field=f)) for i in v] if f == "vehicle_lots"
                        else LotView.of(_ingredient_lot(s, v, field=f))) for f, v in chosen.items() if v is not None}

        return inputs_from_lots(self._read(work), kind=kind, on=on, capsule_size=capsule_size)

    def create_batch_from_lots(self, actor: str, *, kind: str, order: Mapping[str, Any], api_lot: int | None = None,
                               tablet_lot: int | None = None, filler_lot: int | None = None,
                               vehicle_lots: Iterable[int] = (), capsule_size: str | None = None,
                               weights: Iterable[Mapping[str, Any]] = (),
                               allocations: Iterable[Mapping[str, Any]] = ()) -> BatchView:
        """"Save as batch" from lots: the order plus the lots' inputs, calculated by the core and stored
        with the lots recorded on the batch. ``order`` holds what the user typed (strength, quantity,
        …), never what a lot gives; the compounding date defaults to today."""
        day = order.get("compounding_date")
        day = self._today() if day in (None, "") else validate.iso_date(day, "compounding_date")
        order = {**order, "compounding_date": day.isoformat()}  # JSON text, as the core takes it
        lots = self.calculation_inputs(kind=kind, api_lot=api_lot, tablet_lot=tablet_lot, filler_lot=filler_lot,
                                       vehicle_lots=vehicle_lots, capsule_size=capsule_size,
                                       compounding_date=order["compounding_date"])
        result = calculate(kind, order_object(kind, merge_order(order, lots)))
        # stored as the core's order JSON (result.order: defaults filled in), as "Save as batch" stores it
        return self.create_batch(actor, kind=kind, order=result.order, result=result,
                                 ingredient_lots=lots.lot_ids, weights=weights, allocations=allocations)

    def record_capsule_weights(self, actor: str, lot_number: str, weights: Any, *, shell: Any = None) -> BatchView:
        """The weight check's capsules (net = weighed − ``shell``; text pasted from a balance, or a list)."""
        nets = _net_capsule_weights(weights, shell)

        def work(s: Session) -> BatchView:
            user, batch = self._editable(s, actor, lot_number)
            if batch.kind != "capsules":
                raise InputError("are for capsule batches only", field="capsule_weights", value=batch.kind)
            made = batch_total(batch.result_json)
            if made is not None and len(nets) > made:
                raise InputError(f"has {len(nets)} capsules: the batch makes {made}", field="capsule_weights",
                                 value=len(nets), allowed=f"1 to {made} weights")
            old = s.execute(select(CapsuleWeight).where(CapsuleWeight.batch_id == batch.id)
                            .order_by(CapsuleWeight.position)).scalars().all()
            for row in old:
                s.delete(row)
            s.flush()
            now = self._now()
            s.add_all(CapsuleWeight(batch_id=batch.id, position=i, net_weight=w, recorded_by_id=user.id,
                                    recorded_at=now) for i, w in enumerate(nets, 1))
            self._event(s, user, "capsule_weights_recorded", "batch", batch.id,
                        old=[quantity_text(r.net_weight) for r in old] or None, new=[quantity_text(w) for w in nets])
            return self._view(s, batch)

        return self._write(work)

    def propose_fill_weight(self, lot_number: str) -> FillWeightProposal:
        """A filler lot's fill weight learned from a released capsule batch (see :mod:`.fill_learning`)."""
        def work(s: Session) -> tuple[Batch, list[Any], LotView]:
            batch = queries.load_batch(s, lot_number)
            fillers = [LotView.of(x.ingredient_lot) for x in batch.ingredient_lots if x.ingredient_lot.kind == "filler"]
            return batch, [c.net_weight for c in batch.capsule_weights], fillers

        batch, weights, fillers = self._read(work)
        if batch.kind != "capsules":
            raise InputError("is not a capsule batch", field="lot_number", value=batch.lot_number)
        if len(fillers) != 1:
            raise StateError(f"records {len(fillers)} filler lots: a fill weight is learned for exactly one",
                             field="ingredient_lot", value=batch.lot_number, allowed="one filler lot on the batch")
        return propose(batch=batch.lot_number, status=batch.status, weights=tuple(weights), filler_lot=fillers[0],
                       result=recalculate(batch.kind, batch.order_json, batch.result_json))

    def approve_fill_weight(self, actor: str, lot_number: str, *, reason: str | None = None) -> LotView:
        """A pharmacist approves the proposal: the filler lot's fill weight for that size becomes it."""
        reason = validate.optional_text(reason, "reason", max_len=validate.MAX_REASON)
        self._read(lambda s: self._actor(s, actor, "approve_fill_weight"))  # the role before any work
        p = self.propose_fill_weight(lot_number)
        if not FILL_WEIGHT_RANGE_MG[0] <= p.proposed.magnitude <= FILL_WEIGHT_RANGE_MG[1]:
            raise InputError("is out of range", field="fill_weight", value=quantity_text(p.proposed),
                             allowed=f"{FILL_WEIGHT_RANGE_MG[0]}-{FILL_WEIGHT_RANGE_MG[1]} mg")

        def work(s: Session) -> LotView:
            user = self._actor(s, actor, "approve_fill_weight")
            lot = _ingredient_lot(s, p.filler_lot_id, lock=True)
            row = next((f for f in lot.fill_weights if f.capsule_size == p.capsule_size), None)
            old = None if row is None else quantity_text(row.fill_weight)
            if row is not None and row.fill_weight == p.proposed:
                raise StateError(f"is {old} for size {p.capsule_size} already: nothing to approve", field="fill_weight",
                                 value=old)
            if row is None:
                lot.fill_weights.append(FillerFillWeight(capsule_size=p.capsule_size, fill_weight=p.proposed))
            else:
                row.fill_weight = p.proposed
            s.flush()
            self._event(s, user, "fill_weight_learned", "ingredient_lot", lot.id,
                        old={"capsule_size": p.capsule_size, "fill_weight": old},
                        new={"capsule_size": p.capsule_size, "fill_weight": quantity_text(p.proposed),
                             "from_batch": p.batch, "capsules_weighed": p.capsules_weighed,
                             "mean_net_fill": quantity_text(p.mean_net_fill), "method": p.method},
                        reason=reason or f"learned from the weight check of batch {p.batch}")
            return LotView.of(lot)

        return self._write(work)

    def usable_ingredient_lots(self, kind: str, *, compounding_date: Any = None) -> list[LotView]:
        """The lots a calculation may start from: released, of ``kind``, not expired by the compounding
        date (default today); earliest expiry first (first expiry, first out)."""
        on = self._today() if compounding_date in (None, "") else \
            validate.iso_date(compounding_date, "compounding_date")
        lots = self.ingredient_lots(kind=kind, status="released")
        return sorted((x for x in lots if x.expiry >= on), key=lambda x: (x.expiry, x.id))

    def ingredient_lot(self, lot_id: int) -> LotView:
        return self._read(lambda s: LotView.of(_ingredient_lot(s, lot_id)))

    def ingredient_lot_history(self, lot_id: int) -> list[AuditEventView]:
        return self._read(lambda s: queries.entity_history(s, "ingredient_lot", _ingredient_lot(s, lot_id).id))

    def batches_using_lot(self, lot_id: int) -> list[BatchView]:
        """Recall: every batch that used the ingredient lot, oldest first (amendments included)."""
        return self._read(lambda s: queries.batches_using_lot(s, _ingredient_lot(s, lot_id).id))

    def signature_check(self, lot_number: str) -> bool | None:
        """Is the batch's content still what its last signature signed? None while it may still change
        (draft, in preparation, or quarantined/scrapped before review) or was never signed."""
        def work(s: Session) -> bool | None:
            batch = queries.load_batch(s, lot_number)
            last = s.execute(select(Signature.signed_hash).where(Signature.batch_id == batch.id)
                             .order_by(Signature.id.desc()).limit(1)).scalar_one_or_none()
            if last is None or batch.status not in SIGNED_CONTENT:
                return None
            return content_hash(s, batch) == last

        return self._read(work)

    # ------------------------------------------------------------------ exports

    def export_batch(self, lot_number: str, *, pharmacy_name: str | None = None, pharmacy_contact: str | None = None,
                     paper: str = "A4") -> bytes:
        """The batch's Excel record from the store (same record, same bytes; see :mod:`.export`)."""
        from .export import batch_workbook_bytes

        def work(s: Session) -> tuple[BatchView, str, str]:
            row = queries.load_batch(s, lot_number)
            return queries.get_batch(s, lot_number), row.order_json, row.result_json

        batch, order_json, result_json = self._read(work)
        return batch_workbook_bytes(batch, order_json, result_json, pharmacy_name=pharmacy_name,
                                    pharmacy_contact=pharmacy_contact, paper=paper,
                                    signed_content=self.signature_check(lot_number))

    def export_recall(self, lot_id: int) -> bytes:
        """Recall: every batch that used the ingredient lot, as an Excel summary."""
        from .export import recall_workbook_bytes

        def work(s: Session) -> tuple[LotView, list[BatchView]]:
            lot = _ingredient_lot(s, lot_id)
            return LotView.of(lot), queries.batches_using_lot(s, lot.id)

        return recall_workbook_bytes(*self._read(work))

    # ------------------------------------------------------------------ reads

    def batch(self, lot_number: str) -> BatchView:
        return self._read(lambda s: queries.get_batch(s, lot_number))

    def history(self, lot_number: str) -> list[AuditEventView]:
        return self._read(lambda s: queries.batch_history(s, lot_number))

    def search_batches(self, **query: Any) -> Page:
        return self._read(lambda s: queries.search_batches(s, queries.BatchQuery(**query)))

    def audit_check(self) -> ChainReport:
        return self._read(audit_chain_check)


# ---------------------------------------------------------------------- helpers


def _username(value: Any) -> str:
    allowed = "2-64 lower-case letters, digits and . _ - (starting with a letter or digit)"
    if not isinstance(value, str) or not _USERNAME.match(value.strip()):
        raise InputError("is not a valid user name", field="username", value=value, allowed=allowed)
    return value.strip()


def _user(s: Session, username: Any) -> User:
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise InputError("is not a user of this store", field="username", value=username)
    return user


def _active_admins(s: Session) -> int:
    return s.execute(select(func.count()).where(User.role == "admin", User.active.is_(True))).scalar_one()


def _ingredient_lot(s: Session, lot_id: Any, *, lock: bool = False, field: str = "ingredient_lot") -> IngredientLot:
    if isinstance(lot_id, bool) or not isinstance(lot_id, int):
        raise InputError("is not an ingredient lot id", field=field, value=lot_id)
    stmt = select(IngredientLot).where(IngredientLot.id == lot_id)
    lot = s.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if lot is None:
        raise InputError("is not an ingredient lot in the store", field=field, value=lot_id)
    return lot


MAX_CAPSULE_WEIGHTS = 10_000  # one batch makes at most this many capsules (compounding.capsules)


def _net_capsule_weights(weights: Any, shell: Any) -> list[Any]:
    """Net fill weights in mg: each weighed mass less the empty shell (exact)."""
    from ..qc import parse_weights

    if isinstance(weights, str):
        raw = parse_weights(weights, "mg", "capsule_weights")
    elif isinstance(weights, (list, tuple)):
        raw = list(weights)
    else:
        raise InputError("must be a list of weights or text pasted from a balance", field="capsule_weights",
                         value=weights, allowed="e.g. 271.3 mg, one per line")
    if not 1 <= len(raw) <= MAX_CAPSULE_WEIGHTS:
        raise InputError(f"has {len(raw)} weights", field="capsule_weights", allowed=f"1 to {MAX_CAPSULE_WEIGHTS}")
    shell_q = None if shell in (None, "") else validate.positive_mass(shell, "shell")
    nets = []
    for w in raw:
        net = validate.positive_mass(w, "capsule_weights")
        if shell_q is not None:
            if net <= shell_q:
                raise RangeError("has a capsule no heavier than its empty shell", field="capsule_weights",
                                 value=quantity_text(net), allowed=f"more than the shell, {quantity_text(shell_q)}")
            net = net - shell_q
        nets.append(net)
    return nets


def _allocation_input(*, quantity: Any, patient: Any = None, rx_number: Any = None, prescriber: Any = None,
                      anticipatory: bool = False) -> dict[str, Any]:
    qty = validate.whole_number(quantity, "quantity")
    if anticipatory:
        for field, value in (("patient", patient), ("rx_number", rx_number), ("prescriber", prescriber)):
            if value not in (None, ""):
                raise InputError("does not belong to anticipatory stock", field=field, value=value)
        return {"anticipatory": True, "patient": None, "patient_key": None, "rx_number": None, "prescriber": None,
                "quantity": qty}
    name = validate.person_name(patient, "patient")
    by = None if prescriber in (None, "") else validate.person_name(prescriber, "prescriber")
    return {"anticipatory": False, "patient": name, "patient_key": validate.name_key(name),
            "rx_number": validate.rx_number(rx_number), "prescriber": by, "quantity": qty}


def _weight_dict(row: ActualWeight) -> dict[str, Any]:
    from .batches import quantity_text

    return {"step": row.step, "target": quantity_text(row.target), "actual": quantity_text(row.actual),
            "tolerance": quantity_text(row.tolerance), "verdict": row.verdict}


# Failures the database reports that a retry of the whole transaction cures.
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def _retryable(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
        return True  # SQLite busy timeout ran out
    return isinstance(exc, IntegrityError) and "lot_number" in str(exc.orig)  # two amendments raced for -A<n>


_CONSTRAINT_FIELDS = {  # constraint (or its columns in SQLite's message) -> field, message
    "supplier_lot": ("supplier_lot", "is already recorded for this supplier", InputError),
    "users.username": ("username", "is already taken", InputError),
    "uq_users_username": ("username", "is already taken", InputError),
    "verifier_not_preparer": ("user", "prepared this batch: a second person must verify it", PermissionDenied),
    "append-only": ("audit", "the audit trail and signatures are append-only", StateError),
    "never changes": ("status", "a released record never changes: amend it", StateError),
    "batch record locked": ("status", "a submitted or released batch's weights, lots and allocations are locked "
                                      "(a released record is amended, never edited)", StateError),
}


def _refusal(exc: DBAPIError) -> Exception:
    """A constraint or trigger the database enforced, as the error a user understands."""
    text = f"{getattr(getattr(exc.orig, 'diag', None), 'constraint_name', '')} {exc.orig}"
    for key, (field, message, cls) in _CONSTRAINT_FIELDS.items():
        if key in text:
            error: CompoundingError = cls(f"{message} (refused by the database)", field=field)
            return error
    return exc
