"""compounding.bud: USP <795> (2023) Table 4 beyond-use dates, capped by component expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from compounding.bud import beyond_use_date, parse_date
from compounding.errors import InputError
from compounding.reference import reference

DAY0 = dt.date(2026, 1, 5)


@pytest.mark.parametrize("category", sorted(reference().bud_categories))
def test_bud_is_the_compounding_date_plus_the_table_days(category):
    days = int(reference().bud_category(category).days.quantity.to("day").magnitude)
    b = beyond_use_date(category, DAY0)
    assert b.date == DAY0 + dt.timedelta(days=days) and int(b.days.magnitude) == days
    assert b.capped_by_expiry is None and "USP <795>" in b.basis


def test_capsules_get_180_days_not_the_pre_2023_rules():
    assert int(beyond_use_date("nonaqueous_solid", DAY0).days.magnitude) == 180


def test_day_one_convention_is_explicit():
    b = beyond_use_date("aqueous_unpreserved", "2024-03-01", day_one_is_compounding_day=True)
    assert b.date == dt.date(2024, 3, 14) and int(b.days.magnitude) == 14


def test_earliest_component_expiry_caps_the_bud():
    b = beyond_use_date("nonaqueous_solid", DAY0, component_expiries=["2026-06-01", "2026-04-01"])
    assert b.date == dt.date(2026, 4, 1) == b.capped_by_expiry and "capped" in b.basis
    assert int(b.days.magnitude) == (dt.date(2026, 4, 1) - DAY0).days


def test_a_later_expiry_does_not_extend_it():
    assert beyond_use_date("nonaqueous_solid", DAY0, component_expiries=["2030-01-01"]).capped_by_expiry is None


@pytest.mark.parametrize("value", ["2026-02-30", "05/01/2026", "", "tomorrow", 20260105])
def test_bad_dates(value):
    with pytest.raises(InputError) as info:
        parse_date(value, "date")
    assert info.value.field == "date" and "ISO" in str(info.value)


def test_expired_component_is_refused():
    with pytest.raises(InputError, match="expired"):
        beyond_use_date("nonaqueous_solid", DAY0, component_expiries=["2025-12-31"])


def test_unknown_category():
    with pytest.raises(InputError):
        beyond_use_date("ointment", DAY0)
