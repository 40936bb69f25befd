"""The reference data a calculation uses, as one immutable bundle with a content hash.

A result records the hash of the bundle it was computed with, so a batch computed with custom
reference data is recorded (and exported) with that data, never with the shipped data read from a
global cache behind the caller's back. :func:`shipped_bundle` is the data in ``formulas/`` (loaded
once); :func:`load_bundle` reads any directory laid out the same way (``*.toml`` master formulas,
``reference/*.toml`` figures).

The content hash is SHA-256 over every ``**/*.toml`` under the directory in sorted relative-path
order, each file framed by its relative path and byte length (so moving text from one file to the
next, or renaming a file, changes the hash; plain concatenation would not).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .data import FORMULAS_DIR
from .formulas import MasterFormula, load_formulas
from .liquid_data import LiquidData, load_liquid_data
from .qc import QcLimits, load_qc_limits
from .reference import Reference, load_reference

__all__ = ["ReferenceBundle", "load_bundle", "shipped_bundle", "content_hash", "hash_of"]


@dataclass(frozen=True)
class ReferenceBundle:
    """Everything a calculation reads besides its order: figures, QC limits, master formulas,
    liquid data, and the hash of the files they came from."""

    reference: Reference
    qc: QcLimits
    formulas: Mapping[str, MasterFormula]
    liquid: LiquidData
    hash: str
    directory: Path

    def formula(self, formula_id: str, field: str = "formula") -> MasterFormula:
        from .errors import InputError

        if formula_id not in self.formulas:
            raise InputError("is not a known formula", field=field, value=formula_id,
                             allowed=", ".join(self.formulas))
        return self.formulas[formula_id]


def content_hash(directory: Path = FORMULAS_DIR) -> str:
    """SHA-256 of every ``*.toml`` under ``directory`` (framed by relative path and length)."""
    directory = Path(directory)
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.toml"), key=lambda p: p.relative_to(directory).as_posix()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(directory).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load_bundle(directory: Path = FORMULAS_DIR) -> ReferenceBundle:
    """Read and check the formulas and reference data under ``directory`` (DataError on any fault)."""
    directory = Path(directory).resolve()
    ref_dir = directory / "reference"
    # read the files now (not the loaders' caches), so the data and its hash are of the same files
    return ReferenceBundle(reference=load_reference.__wrapped__(ref_dir), qc=load_qc_limits.__wrapped__(ref_dir),
                           formulas=MappingProxyType(dict(load_formulas.__wrapped__(directory))),
                           liquid=load_liquid_data.__wrapped__(ref_dir), hash=content_hash(directory),
                           directory=directory)


@lru_cache(maxsize=1)
def shipped_bundle() -> ReferenceBundle:
    """The data shipped in ``formulas/`` (loaded once): the very objects ``reference()``,
    ``qc_limits()``, ``formulas()`` and ``liquid_data()`` return."""
    ref_dir = FORMULAS_DIR / "reference"
    return ReferenceBundle(reference=load_reference(ref_dir), qc=load_qc_limits(ref_dir),
                           formulas=MappingProxyType(load_formulas(FORMULAS_DIR)), liquid=load_liquid_data(ref_dir),
                           hash=content_hash(FORMULAS_DIR), directory=FORMULAS_DIR)


def hash_of(bundle: ReferenceBundle, **used: object) -> str | None:
    """The bundle's hash for a result, or None when the caller overrode part of it (``ref=``, ``data=``):
    a result never claims data it was not computed with."""
    parts = {"ref": bundle.reference, "data": bundle.liquid}
    return None if any(v is not None and v is not parts[k] for k, v in used.items()) else bundle.hash
