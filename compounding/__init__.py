"""Low-dose naltrexone (LDN) compounding calculations: exact, unit-aware, traced.

    from compounding import capsule_batch
    batch = capsule_batch("4.5 mg", 90, extra="10%", fill_weight="270 mg")

Public names are imported lazily (module ``__getattr__``), so ``import compounding`` and the CLI
load only what they use. ``reference`` and ``formulas`` are the submodules (``reference.reference()``
is the shipped reference data, ``formulas.formulas()`` the master formulas): a package attribute
named like a submodule becomes that submodule once it is imported, so they could not stably be the
functions. To publish a name, add one line to ``_EXPORTS``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "submodule:attribute", or "submodule" for the module itself
_EXPORTS: dict[str, str] = {
    "capsule_batch": "capsules:capsule_batch",
    "CapsuleBatch": "capsules:CapsuleBatch",
    "parse_quantity": "units:parse_quantity",
    "Q": "units:Q",
    "ureg": "units:ureg",
    "CompoundingError": "errors:CompoundingError",
    "InputError": "errors:InputError",
    "UnitError": "errors:UnitError",
    "RangeError": "errors:RangeError",
    "CalculationError": "errors:CalculationError",
    "DataError": "errors:DataError",
    "beyond_use_date": "bud:beyond_use_date",
    "plan_aliquot": "weighing:plan_aliquot",
    "drug_content": "drug:drug_content",
    "DrugContent": "drug:DrugContent",
    "format_quantity": "display:format_quantity",
    "prepare_liquid": "liquids:prepare_liquid",
    "LiquidPreparation": "liquids:LiquidPreparation",
    "dose_volume_table": "liquids:dose_volume_table",
    "plan_titration": "titration:plan_titration",
    "TitrationPlan": "titration:TitrationPlan",
    "reference": "reference",
    "formulas": "formulas",
    "CapsuleOrder": "orders:CapsuleOrder",
    "LiquidOrder": "orders:LiquidOrder",
    "TitrationOrder": "orders:TitrationOrder",
    "order_from_json": "orders:order_from_json",
    "compute": "orders:compute",
    "record_hash": "record:record_hash",
    "ReferenceBundle": "bundle:ReferenceBundle",
    "load_bundle": "bundle:load_bundle",
    "shipped_bundle": "bundle:shipped_bundle",
    "glossary_term": "glossary:term",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
