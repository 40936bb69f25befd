"""Building blocks of the store tests: a capsule result from the real core, lots, batches driven
to a given status through the service, and a snapshot of every row to prove "nothing changed"."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import select

from compounding import capsule_batch
from compounding.store.models import Base
from compounding.store.service import Store

from .conftest import NOW, PASSWORDS

TODAY = NOW.date()
ORDER = {"strength": "4.5 mg", "quantity": 90, "potency": "100%", "compounding_date": TODAY.isoformat()}


@lru_cache(maxsize=1)
def capsule_result():
    """4.5 mg × 90 capsules at 100 % potency: naltrexone HCl to weigh = 4.5 × 90 = 405 mg exactly."""
    return capsule_batch("4.5 mg", 90, potency="100%", compounding_date=TODAY.isoformat())


_lot_serial = iter(range(1, 10**6))


def released_api_lot(store: Store, *, supplier_lot: str | None = None, expiry: dt.date | None = None) -> int:
    lot = store.receive_ingredient_lot("tech", kind="api", material="naltrexone hydrochloride", supplier="Acme",
                                       supplier_lot=supplier_lot or f"NX-{next(_lot_serial):04d}",
                                       expiry=expiry or TODAY.replace(year=TODAY.year + 2),
                                       salt_form="hcl_anhydrous", potency="99.5%")
    store.release_ingredient_lot("pharm", lot.id)
    return lot.id


def quarantined_lot(store: Store) -> int:
    return store.receive_ingredient_lot("tech", kind="filler", material="mcc_ph102", supplier="FillCo",
                                        supplier_lot=f"F-{next(_lot_serial):04d}",
                                        expiry=TODAY.replace(year=TODAY.year + 1)).id


def released_filler_lot(store: Store, fill_weights: dict | None = None) -> int:
    lot = store.receive_ingredient_lot("tech", kind="filler", material="mcc_ph102", supplier="FillCo",
                                       supplier_lot=f"F-{next(_lot_serial):04d}",
                                       expiry=TODAY.replace(year=TODAY.year + 1), fill_weights=fill_weights)
    store.release_ingredient_lot("pharm", lot.id)
    return lot.id


def batch_with_capsule_weights(store: Store, status: str = "released", *, preparer: str = "tech") -> str:
    """4.5 mg × 90 from a released API lot and filler lot (size 1, 212.5 mg), ten capsules of 210 mg weighed."""
    lot = store.create_batch_from_lots(preparer, kind="capsules", order={"strength": "4.5 mg", "quantity": 90},
                                       api_lot=released_api_lot(store),
                                       filler_lot=released_filler_lot(store, {"1": "212.5 mg"}),
                                       capsule_size="1").lot_number
    steps = _PATHS[status]
    for who, method, kwargs in steps:
        actor = preparer if who == "preparer" else who
        if method == "submit_for_review":
            store.record_capsule_weights(preparer, lot, ["210 mg"] * 10)
        kwargs = {"password": PASSWORDS[actor]} if kwargs == "pw" else kwargs
        getattr(store, method)(actor, lot, **kwargs)
    return lot


# status -> the steps that lead there from a draft (actor, method, keyword arguments)
_PATHS = {
    "draft": [],
    "in_preparation": [("preparer", "start_preparation", {})],
    "ready_for_review": [("preparer", "start_preparation", {}), ("preparer", "submit_for_review", "pw")],
    "verified": [("preparer", "start_preparation", {}), ("preparer", "submit_for_review", "pw"),
                 ("pharm2", "verify", "pw")],
    "released": [("preparer", "start_preparation", {}), ("preparer", "submit_for_review", "pw"),
                 ("pharm2", "verify", "pw"), ("pharm2", "release", "pw")],
}


def make_batch(store: Store, status: str = "draft", *, preparer: str = "tech", **create) -> str:
    """A capsule batch prepared by ``preparer``, moved to ``status`` by the right people; its lot number."""
    batch = store.create_batch(preparer, kind="capsules", order=ORDER, result=capsule_result(), **create)
    for who, method, kwargs in _PATHS[status]:
        actor = preparer if who == "preparer" else who
        kwargs = {"password": PASSWORDS[actor]} if kwargs == "pw" else kwargs
        getattr(store, method)(actor, batch.lot_number, **kwargs)
    return batch.lot_number


def db_state(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with store.engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [tuple(r) for r in c.execute(select(table).order_by(*table.primary_key.columns))]
    return out
