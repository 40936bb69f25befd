"""The worklist's columns and limits: one place, read by the reader, the validator, the template
and the README.

Header names are snake_case; a header is matched after trimming, lower-casing and turning spaces
and hyphens into underscores ("Rx number" is ``rx_number``). Row numbers are the spreadsheet's:
the header is row 1, the first prescription row 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "COLUMNS", "COLUMN_NAMES", "REQUIRED", "MAX_FILE_BYTES", "MAX_ROWS",
           "MAX_XLSX_UNPACKED_BYTES", "FORMS", "DEFAULT_FORMULA", "TEMPLATE_ROWS"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str
    max_length: int | None = None


#: Longest text accepted, in characters. The label layouts are tested to fit these exactly.
MAX_RX, MAX_PATIENT, MAX_PRESCRIBER, MAX_DIRECTIONS = 20, 40, 40, 120

COLUMNS: tuple[Column, ...] = (
    Column("rx_number", True, "Prescription number, unique in the file", "RX-1001", MAX_RX),
    Column("patient", True, "Patient's name as it goes on the label", "Jane Doe", MAX_PATIENT),
    Column("prescriber", True, "Prescriber's name", "Dr A. Smith", MAX_PRESCRIBER),
    Column("form", True, "capsules, or oral liquid", "capsules"),
    Column("strength", False, "capsules: naltrexone HCl per capsule (e.g. 4.5 mg, 0.1-4.5 mg); oral liquid: "
           "the concentration (e.g. 1 mg/mL); empty for a capsule titration (a liquid titration may give "
           "its concentration; default 1 mg/mL)", "4.5 mg"),
    Column("quantity", False, "capsules: a whole number of capsules; oral liquid: a volume (e.g. 100 mL); "
           "empty for a titration (the plan sets it)", "30"),
    Column("dose", False, "oral liquid only: the patient's dose of naltrexone HCl (e.g. 4.5 mg), printed on "
           "the label with its volume; required for an oral liquid without a titration", ""),
    Column("directions", True, "Directions for the label", "Take one capsule at bedtime", MAX_DIRECTIONS),
    Column("titration", False, "A regimen preset (formulas/reference/regimens.toml, e.g. ldnrt_slow) or stages "
           "dose:days, e.g. 1.5mg:14,3mg:14,4.5mg:28", ""),
    Column("due_date", False, "YYYY-MM-DD; a titration starts on it (default: the compounding date)", "2026-03-02"),
    Column("formula", False, "Master formula id (formulas/*.toml); default LDN-CAP-API for capsules, "
           "LDN-LIQ-WATER-1 for oral liquids", ""),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)

#: What the ``form`` column accepts, and the form it means.
FORMS = {"capsules": "capsules", "oral liquid": "oral_liquid", "oral_liquid": "oral_liquid"}
DEFAULT_FORMULA = {"capsules": "LDN-CAP-API", "oral_liquid": "LDN-LIQ-WATER-1"}

# Limits (conventions of this program, documented in the README): a day's worklist of a busy
# compounding pharmacy is hundreds of rows; 20,000 rows plan in a few seconds on two cores.
MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MiB: about 60,000 CSV rows, far above MAX_ROWS
MAX_ROWS = 20_000  # prescription rows (blank rows not counted)
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024  # the XML inside an .xlsx (a zip bomb is refused)

#: Rows of the downloadable template: one of each kind of order.
TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {"rx_number": "RX-1001", "patient": "Jane Doe", "prescriber": "Dr A. Smith", "form": "capsules",
     "strength": "4.5 mg", "quantity": "30", "directions": "Take one capsule at bedtime",
     "due_date": "2026-03-02"},
    {"rx_number": "RX-1002", "patient": "John Roe", "prescriber": "Dr B. Jones", "form": "oral liquid",
     "strength": "1 mg/mL", "quantity": "100 mL", "dose": "4.5 mg",
     "directions": "Take 4.5 mL by mouth at bedtime", "due_date": "2026-03-02"},
    {"rx_number": "RX-1003", "patient": "Mary Major", "prescriber": "Dr A. Smith", "form": "capsules",
     "directions": "Follow the dose chart: one capsule at bedtime", "titration": "ldnrt_slow",
     "due_date": "2026-03-02"},
    {"rx_number": "RX-1004", "patient": "Sam Minor", "prescriber": "Dr B. Jones", "form": "oral liquid",
     "strength": "1 mg/mL", "directions": "Follow the dose chart; measure with the oral syringe",
     "titration": "0.5mg:7,1mg:7,1.5mg:14", "due_date": "2026-03-02"},
)
