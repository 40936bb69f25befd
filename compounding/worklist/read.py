"""Read a worklist file (CSV, XLSX or JSON, recognised by its content) into rows of text.

Every cell comes back as the text a person sees: numbers as typed (90, 4.5), dates as ISO dates,
formulas as their formula text (``=HYPERLINK(…)``: read, never evaluated). Row numbers are the
spreadsheet's (header = row 1); blank rows are skipped but keep their numbers counted.

A JSON worklist is a list (or ``{"orders": [...]}``) of prescription objects. Each has the CSV's
column names as keys (a quantity may be ``{"value": 4.5, "unit": "mg"}``), or the prescription keys
(``rx_number``, ``patient``, ``prescriber``, ``directions``, ``due_date``) and ``"order"``: the core's
order JSON (:mod:`compounding.orders`, ``{"kind": …, "fields": {…}}``). From an order a row takes what a
worklist row holds (capsules: strength, quantity, formula; oral liquid: concentration, final volume,
one dose, formula; titration: form, preset or stages, concentration, start date); any other field
given (a potency, a tablet weight…: options of the whole plan) is a problem of that row. Rows are
numbered as a spreadsheet of them would be (header = row 1, the first order row 2).

Refused with a clear message (an :class:`~compounding.errors.InputError` with ``field="file"``):
an empty file, a file above :data:`~.columns.MAX_FILE_BYTES`, more than :data:`~.columns.MAX_ROWS`
rows, an old .xls, an OpenDocument or other zip, a PDF or other binary file, text that is neither
UTF-8 nor Windows-1252, and a file that mixes the two.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .columns import MAX_FILE_BYTES, MAX_ROWS, MAX_XLSX_UNPACKED_BYTES

__all__ = ["Table", "read_table", "cell_text"]


@dataclass(frozen=True)
class Table:
    """A file's header and rows as text. ``rows`` are (spreadsheet row number, cells)."""

    kind: str  # csv | xlsx | json
    encoding: str | None  # csv only
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    notes: tuple[str, ...] = field(default=())
    problems: tuple[tuple[int, str, str], ...] = field(default=())  # (row, column, reason) found on reading


def _refuse(message: str, name: str, allowed: str = "a CSV (UTF-8 or Windows-1252), .xlsx or JSON file") -> InputError:
    return InputError(message, field="file", value=name, allowed=allowed)


def read_table(data: bytes, name: str = "worklist") -> Table:
    """The header and rows of ``data`` (the file's bytes); ``name`` is only for messages."""
    if not data:
        raise _refuse("is empty", name)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(f"is {len(data) / 1048576:.1f} MiB, more than the {MAX_FILE_BYTES // 1048576} MiB "
                      "a worklist may have; split it into smaller files", name)
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, name)
    _refuse_binary(data, name)
    text, encoding, notes = _decode(data, name)
    if text.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):  # no CSV header starts with a bracket
        return _read_json(text, encoding, name)
    return _read_csv(text, encoding, notes, name)


# --- bytes ----------------------------------------------------------------------------------------

_BINARY = {b"\xd0\xcf\x11\xe0": "is an old Excel 97-2003 (.xls) file; save it as .xlsx or CSV",
           b"%PDF": "is a PDF, not a worklist", b"\x89PNG": "is an image, not a worklist",
           b"\xff\xd8\xff": "is an image, not a worklist"}


def _refuse_binary(data: bytes, name: str) -> None:
    for magic, message in _BINARY.items():
        if data.startswith(magic):
            raise _refuse(message, name)
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return
    if b"\x00" in data[:65536]:
        raise _refuse("is not a text file (it has NUL bytes)", name)


# A valid UTF-8 sequence of two to four bytes: present in a file that is otherwise not UTF-8, it
# means the file mixes encodings (pasted from two sources); decoding it all as Windows-1252 would
# print "MÃ¼ller" on a label.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            raise _refuse("starts like UTF-16 but is not valid UTF-16", name) from None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if bom else "utf-8", []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        if bom or _UTF8_MULTIBYTE.search(data):
            raise _refuse(f"mixes text encodings: line {line} is not UTF-8 while other lines are; save the "
                          "whole file as UTF-8 (CSV UTF-8 in Excel)", name) from None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _refuse(f"is neither UTF-8 nor Windows-1252 text (line {line}); save it as CSV UTF-8", name) from None
    return text, "cp1252", [f"{name} is not UTF-8; it was read as Windows-1252 (cp1252): check accented names."]


# --- CSV ------------------------------------------------------------------------------------------

def _separator(text: str) -> str:
    """``,`` unless the header line has more semicolons or tabs (European Excel exports use ``;``)."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > counts[","] else ","


def _read_csv(text: str, encoding: str, notes: list[str], name: str) -> Table:
    import pandas as pd

    if not text.strip():
        raise _refuse("is empty (no header row)", name)
    try:
        df = pd.read_csv(io.StringIO(text), sep=_separator(text), header=None, dtype=str,
                         keep_default_na=False, na_filter=False, skip_blank_lines=False,
                         engine="c", quoting=0)
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        detail = (f"line {found.group(2)} has {found.group(3)} cells but the header has {found.group(1)}: a value "
                  "with a comma must be in double quotes" if found else " ".join(str(exc).split()))
        raise _refuse(f"is not a valid CSV table: {detail}", name) from None
    except pd.errors.EmptyDataError:
        raise _refuse("is empty (no header row)", name) from None
    values = df.to_numpy(dtype=object).tolist()
    return _table("csv", encoding, values, notes, name)


# --- JSON ---------------------------------------------------------------------------------------

def _read_json(text: str, encoding: str, name: str) -> Table:
    from .columns import COLUMN_NAMES

    allowed = 'a JSON list of orders, e.g. [{"rx_number": "RX-1001", "patient": "Jane Doe", ...}]'
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _refuse(f"is not valid JSON{where}", name, allowed) from None
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        data = data["orders"]
    if not isinstance(data, list):
        raise _refuse("is JSON but not a list of orders", name, allowed)
    if not data:
        raise _refuse("is an empty list of orders", name, allowed)
    if len(data) > MAX_ROWS:
        raise _refuse(f"has more than {MAX_ROWS:,} orders; split it into files of at most {MAX_ROWS:,}", name)
    bad = next((i for i, item in enumerate(data, 2) if not isinstance(item, dict)), None)
    if bad is not None:
        raise _refuse(f"row {bad} (order {bad - 1} of the list) is not a JSON object", name, allowed)
    problems: list[tuple[int, str, str]] = []
    items = []
    for number, item in enumerate(data, 2):
        if "order" in item:
            item, found = _order_cells(item, number)
            problems += found
        items.append(item)
    header = list(COLUMN_NAMES) + list(dict.fromkeys(k for item in items for k in item if k not in COLUMN_NAMES))
    rows = [[_json_cell(item.get(k)) for k in header] for item in items]
    table = _table("json", encoding, [header] + rows, [], name)
    return Table(table.kind, table.encoding, table.header, table.rows, table.notes, tuple(problems))


#: What a worklist row takes from an order of each kind (order field → column).
_ORDER_COLUMNS = {"capsules": {"strength": "strength", "quantity": "quantity", "formula": "formula"},
                  "oral_liquid": {"concentration": "strength", "final_volume": "quantity", "formula": "formula",
                                  "doses": "dose"},
                  "titration": {"concentration": "strength", "preset": "titration", "stages": "titration",
                                "form": "form", "start_date": "due_date"}}


def _order_cells(item: dict[str, Any], row: int) -> tuple[dict[str, Any], list[tuple[int, str, str]]]:
    """The row of a prescription holding an order (issue 10's JSON), and the problems of that order."""
    import dataclasses

    from ..errors import CompoundingError
    from ..orders import order_from_json, quantity_json
    from .validate import reason

    cells = {k: v for k, v in item.items() if k != "order"}
    try:
        order = order_from_json(item["order"])
    except CompoundingError as exc:
        return cells, [(row, "order", f"{exc.field}: {reason(exc)}" if exc.field else reason(exc))]
    except (TypeError, ValueError, AttributeError):
        return cells, [(row, "order", 'is not an order (allowed: {"kind": "capsules", "fields": {...}})')]
    taken = _ORDER_COLUMNS[order.KIND]
    bare = type(order)(**{k: getattr(order, k) for k in taken})
    other = [f.name for f in dataclasses.fields(order) if getattr(order, f.name) != getattr(bare, f.name)]
    problems = [(row, "order", f"field {', '.join(other)} is given: a worklist row takes only "
                               f"{', '.join(taken)} from a {order.KIND} order (set the lot's potency, tablet "
                               "weight and the like once for the whole plan)")] if other else []
    text = lambda q: " ".join(quantity_json(q).values())  # noqa: E731 - "4.5 mg"; exact ("1/3 mg" is refused)
    cells["form"] = "capsules" if order.KIND == "capsules" or getattr(order, "form", "") == "capsules" \
        else "oral liquid"
    for name, column in taken.items():
        value = getattr(order, name)
        if value in (None, ()) or name == "form":
            continue
        if name == "doses":
            if len(value) > 1:
                problems.append((row, "order", f"has {len(value)} doses: a prescription row has one dose"))
            value = value[0]
        if name == "stages":
            cells[column] = ",".join(f"{text(d).replace(' ', '')}:{n}" for d, n in value)
        elif name == "start_date":
            cells.setdefault(column, value.isoformat())
        else:
            cells[column] = value if isinstance(value, (int, str)) else text(value)
    return cells, problems


def _json_cell(value: Any) -> str:
    """A JSON value as the text a person would type: 4.5, "4.5 mg", {"value": 4.5, "unit": "mg"}."""
    if isinstance(value, dict) and set(value) == {"value", "unit"} and isinstance(value["unit"], str) \
            and isinstance(value["value"], (int, float, str)) and not isinstance(value["value"], bool):
        return f"{cell_text(value['value'])} {value['unit']}"
    if isinstance(value, (dict, list)):  # refused by the column's own check, with the text shown
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


# --- XLSX -----------------------------------------------------------------------------------------

def _read_xlsx(data: bytes, name: str) -> Table:
    import pandas as pd

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise _refuse("is a damaged zip/.xlsx file", name) from None
    if "xl/workbook.xml" not in names:
        what = ("an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV" if "content.xml" in names
                else "a zip archive but not an Excel .xlsx workbook")
        raise _refuse(f"is {what}", name)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _refuse(f"unpacks to {unpacked // 1048576} MiB, more than the {MAX_XLSX_UNPACKED_BYTES // 1048576} "
                      "MiB allowed", name)
    try:
        # data_only=False: a formula cell gives its formula text, never a value computed by anyone
        df = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine="openpyxl",
                           engine_kwargs={"data_only": False}, na_filter=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
        raise _refuse(f"cannot be read as a workbook ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})",
                      name) from None
    table = _table("xlsx", None, df.to_numpy(dtype=object).tolist(), [], name)
    merged = _merged_header_cells(archive)
    if merged:
        raise _refuse(f"has merged header cells ({', '.join(merged)}): unmerge them so that every column has "
                      "its own name in row 1", name, allowed="one column name per cell in row 1")
    return table


def _merged_header_cells(archive: zipfile.ZipFile) -> list[str]:
    """Merged ranges that touch row 1 of the first sheet (pandas reads them as blank cells)."""
    sheet = "xl/worksheets/sheet1.xml"
    if sheet not in archive.namelist():
        return []
    xml = archive.read(sheet)
    start = xml.rfind(b"<mergeCells")
    if start < 0:
        return []
    refs = re.findall(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', xml[start:])
    return [f"{a.decode()}{r1.decode()}:{b.decode()}{r2.decode()}" for a, r1, b, r2 in refs if r1 == b"1"]


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: 90 not 90.0, a date as YYYY-MM-DD, a formula as its text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = getattr(value, "text", None)  # openpyxl ArrayFormula / DataTableFormula
    return str(text if isinstance(text, str) else value)


def _table(kind: str, encoding: str | None, values: list[list[Any]], notes: list[str], name: str) -> Table:
    if not values:
        raise _refuse("is empty (no header row)", name)
    header = tuple(cell_text(v).strip() for v in values[0])
    rows = []
    for index, raw in enumerate(values[1:], start=2):
        cells = tuple(cell_text(v) for v in raw)
        if any(c.strip() for c in cells):
            rows.append((index, cells))
            if len(rows) > MAX_ROWS:
                raise _refuse(f"has more than {MAX_ROWS:,} prescription rows; split it into files of at most "
                              f"{MAX_ROWS:,} rows", name)
    if not any(header):
        raise _refuse("has no header in row 1 (the column names must be in the first row)", name)
    return Table(kind, encoding, header, tuple(rows), tuple(notes))
