"""Work out the value of every formula a record writes, exactly, the way a spreadsheet would.

The records' formulas use a small part of Excel: arithmetic, ``&``, comparisons, cell and range
references (also on other sheets), defined names, and the functions in :data:`FUNCTIONS`. This
module parses them and computes their values with exact fractions from the cells' contents, so

* each formula is saved with its value (issue 10, item 9): a viewer that does not recalculate
  shows the core's numbers, and
* :mod:`compounding.verify` knows what every cell of a record must show.

LibreOffice recalculation tests prove that these values are what a spreadsheet computes.
A formula outside this subset raises :class:`Unsupported` (a record never writes one; verify
treats such a cell's value as unknown).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, Callable, Iterable

from openpyxl.utils import column_index_from_string, get_column_letter

__all__ = ["XLError", "Unsupported", "Evaluator", "excel_number", "serial", "general_text", "references"]

EPOCH = dt.date(1899, 12, 30)


class XLError(str):
    """A spreadsheet error value such as ``#DIV/0!``."""


class Unsupported(ValueError):
    """A formula this evaluator does not read."""


VALUE, DIV0, NA, REF, NAME = (XLError(e) for e in ("#VALUE!", "#DIV/0!", "#N/A", "#REF!", "#NAME?"))


def serial(value: dt.date | dt.datetime) -> Fraction:
    """A date as the spreadsheet's day number (1900 date system)."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30)
        return Fraction(delta.days) + Fraction(delta.seconds, 86400)
    return Fraction((value - EPOCH).days)


def excel_number(value: Any) -> str | None:
    """The text of a number in a saved cell (``99``, ``445.5``), ``None`` for no finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        return None
    if isinstance(value, Fraction) and value.denominator == 1 or isinstance(value, int):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return None
    return repr(number)


def general_text(number: Fraction) -> str:
    """A number joined to text (``&``): Excel's General format, up to 15 significant digits."""
    if number.denominator == 1:
        return str(number.numerator)
    with localcontext() as ctx:
        ctx.prec = 15
        d = (Decimal(number.numerator) / Decimal(number.denominator)).normalize()
    text = format(d, "f")
    return text if abs(d) >= Decimal("1e-9") else format(d, "E").replace("E-0", "E-")


# --- parsing ---------------------------------------------------------------------------------------

_CELL = r"\$?[A-Z]{1,3}\$?[0-9]+"
_TOKEN = re.compile(
    r"\s*(?:(?P<str>\"(?:[^\"]|\"\")*\")"
    rf"|(?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?{_CELL}(?::{_CELL})?(?![\w(]))"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<func>[A-Za-z_][\w.]*(?=\())"
    r"|(?P<name>[A-Za-z_][\w.]*)"
    r"|(?P<op><>|<=|>=|[-+*/^&=<>(),]))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unsupported(f"cannot read {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _split_ref(text: str, sheet: str) -> tuple:
    if "!" in text:
        where, text = text.rsplit("!", 1)
        sheet = where[1:-1].replace("''", "'") if where.startswith("'") else where
    coords = []
    for p in text.split(":"):
        m = re.fullmatch(r"\$?([A-Z]+)(\$?)([0-9]+)", p)
        coords.append((int(m.group(3)), column_index_from_string(m.group(1)), not m.group(2)))
    (r1, c1, rel1), (r2, c2, rel2) = coords[0], coords[-1]
    # the last item: whether each row is relative (moves when a formula is copied down)
    return ("ref", sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2), (rel1, rel2))


_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}


class _Parser:
    """Excel's operator precedence: comparison < & < + - < * / < ^ < unary minus."""

    def __init__(self, text: str, sheet: str) -> None:
        self.toks = _tokens(text[1:] if text.startswith("=") else text)
        self.ops = [t if k == "op" else None for k, t in self.toks] + [None]
        self.i = 0
        self.sheet = sheet

    def parse(self):
        node = self.expr()
        if self.i != len(self.toks):
            raise Unsupported(f"unexpected {self.toks[self.i][1]!r}")
        return node

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise Unsupported("formula ends too early")
        self.i += 1
        return self.toks[self.i - 1]

    def expr(self, least: int = 1):
        """Binary operators by precedence climbing (all left-associative, as in Excel)."""
        node = self.unary()
        while True:
            op = self.ops[self.i]
            prec = _PRECEDENCE.get(op)
            if prec is None or prec < least:
                return node
            self.i += 1
            node = ("bin", op, node, self.expr(prec + 1))

    def unary(self):
        if self.ops[self.i] in ("-", "+"):
            op = self.take()[1]
            return ("neg", self.unary()) if op == "-" else self.unary()
        return self.atom()

    def atom(self):
        kind, text = self.take()
        if kind == "num":
            return ("num", Fraction(text))
        if kind == "str":
            return ("str", text[1:-1].replace('""', '"'))
        if kind == "ref":
            return _split_ref(text, self.sheet)
        if kind == "name":
            upper = text.upper()
            return ("bool", upper == "TRUE") if upper in ("TRUE", "FALSE") else ("name", text.lower())
        if kind == "func":
            self.take()  # "("
            args = []
            if self.ops[self.i] != ")":
                args.append(self.expr())
                while self.ops[self.i] == ",":
                    self.take()
                    args.append(self.expr())
            if self.take()[1] != ")":
                raise Unsupported("missing ')'")
            return ("call", re.sub(r"^_xlfn\.", "", text.upper()), args)
        if text == "(":
            node = self.expr()
            if self.take()[1] != ")":
                raise Unsupported("missing ')'")
            return node
        raise Unsupported(f"unexpected {text!r}")


def parse(formula: str, sheet: str):
    return _Parser(formula, sheet).parse()


_STRING = re.compile(r'("(?:[^"]|"")*")')
_ROW_REF = re.compile(r"(?<![\w.$])(\$?[A-Z]{1,3})([0-9]+)(?![\w(])")


def template(formula: str, row: int) -> str:
    """The formula with each relative row written as an offset from ``row``: formulas copied down a
    column (the chart's days, the stored copies' checks) share one template, so one parse."""
    parts = _STRING.split(formula)
    for i in range(0, len(parts), 2):
        parts[i] = _ROW_REF.sub(lambda m: f"{m.group(1)}[{int(m.group(2)) - row}]", parts[i])
    return "".join(parts)


def shifted(node, rows: int):
    """A parsed formula moved down ``rows`` rows (relative references only)."""
    kind = node[0]
    if kind == "ref":
        _, sheet, r1, c1, r2, c2, (rel1, rel2) = node
        return ("ref", sheet, r1 + rows * rel1, c1, r2 + rows * rel2, c2, (rel1, rel2))
    if kind == "bin":
        return ("bin", node[1], shifted(node[2], rows), shifted(node[3], rows))
    if kind == "neg":
        return ("neg", shifted(node[1], rows))
    if kind == "call":
        return ("call", node[1], [shifted(a, rows) for a in node[2]])
    return node


def references(node) -> Iterable[tuple]:
    """Every ``("ref", …)`` and ``("name", n)`` node of a parsed formula."""
    if node[0] in ("ref", "name"):
        yield node
    elif node[0] == "bin":
        yield from references(node[2])
        yield from references(node[3])
    elif node[0] == "neg":
        yield from references(node[1])
    elif node[0] == "call":
        for arg in node[2]:
            yield from references(arg)


# --- values ----------------------------------------------------------------------------------------

class Range(list):
    """The values of a range, row by row."""


def _number(v: Any) -> Fraction | XLError:
    if isinstance(v, XLError):
        return v
    if isinstance(v, bool):
        return Fraction(int(v))
    if v is None:
        return Fraction(0)
    if isinstance(v, Fraction):
        return v
    if isinstance(v, str):
        try:
            return Fraction(v.strip()) if v.strip() else VALUE
        except ValueError:
            return VALUE
    return VALUE


def _text(v: Any) -> str | XLError:
    if isinstance(v, XLError):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, Fraction):
        return general_text(v)
    return str(v)


def _truth(v: Any) -> bool | XLError:
    if isinstance(v, XLError):
        return v
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, Fraction):
        return v != 0
    upper = str(v).upper()
    return True if upper == "TRUE" else False if upper == "FALSE" else VALUE


def _rank(v: Any) -> int:
    return 2 if isinstance(v, bool) else 1 if isinstance(v, str) else 0


def _compare(op: str, a: Any, b: Any) -> bool | XLError:
    for v in (a, b):
        if isinstance(v, XLError):
            return v
    if a is None:
        a = "" if isinstance(b, str) else False if isinstance(b, bool) else Fraction(0)
    if b is None:
        b = "" if isinstance(a, str) else False if isinstance(a, bool) else Fraction(0)
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        x, y = ra, rb
    elif ra == 1:
        x, y = a.lower(), b.lower()
    else:
        x, y = a, b
    return {"=": x == y, "<>": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _round(x: Fraction, places: int, mode: str) -> Fraction:
    scale = Fraction(10) ** places
    y = abs(x) * scale
    whole = math.floor(y)
    if mode == "half":
        whole += 1 if y - whole >= Fraction(1, 2) else 0
    elif mode == "up":
        whole += 1 if y != whole else 0
    return (whole if x >= 0 else -whole) / scale


def _sqrt(x: Fraction) -> Fraction:
    with localcontext() as ctx:
        ctx.prec = 40
        return Fraction((Decimal(x.numerator) / Decimal(x.denominator)).sqrt())


def _numbers(args: list, *, strict: bool = True) -> list[Fraction] | XLError:
    """The numbers of MIN/MAX/SUM/COUNT-like arguments: in ranges only numbers count; a direct
    argument is converted (``strict``) or, for COUNT, just tested."""
    out: list[Fraction] = []
    for a in args:
        if isinstance(a, Range):
            for v in a:
                if isinstance(v, XLError) and strict:
                    return v
                if isinstance(v, Fraction):
                    out.append(v)
        elif strict:
            n = _number(a)
            if isinstance(n, XLError):
                return n
            out.append(n)
        elif isinstance(a, Fraction):
            out.append(a)
    return out


# --- the evaluator ---------------------------------------------------------------------------------

class Evaluator:
    """Values of a workbook's cells: constants as stored, formulas computed (exact, memoised).

    ``overrides`` maps ``(sheet, row, col)`` to a value used instead of the cell's own (the core's
    exact value for a cell that shows it)."""

    def __init__(self, wb, overrides: dict | None = None) -> None:
        self.wb = wb
        self.memo: dict[tuple[str, int, int], Any] = dict(overrides or {})
        self.names: dict[str, tuple] = {}
        for name, dn in wb.defined_names.items():
            text = dn.attr_text or ""
            if "!" in text:
                self.names[name.lower()] = _split_ref(text, "")
        self.parsed: dict[tuple[str, int, int], Any] = {}
        self.templates: dict[tuple[str, str], tuple[int, Any]] = {}
        self.active: set[tuple[str, int, int]] = set()
        self.dims = {ws.title: (ws.max_row, ws.max_column) for ws in wb.worksheets}

    def refresh(self) -> None:
        """Take in cells added since (values already worked out stay: added cells are new ones)."""
        self.dims = {ws.title: (ws.max_row, ws.max_column) for ws in self.wb.worksheets}
        self.memo = {k: v for k, v in self.memo.items() if v is not None}

    # cells ------------------------------------------------------------------------------------
    def raw(self, sheet: str, row: int, col: int) -> Any:
        dims = self.dims.get(sheet)
        if dims is None:
            return REF
        if row > dims[0] or col > dims[1]:
            return None
        return self.wb[sheet].cell(row=row, column=col)

    def value(self, sheet: str, row: int, col: int) -> Any:
        key = (sheet, row, col)
        if key in self.memo:
            return self.memo[key]
        cell = self.raw(sheet, row, col)
        if cell is None or isinstance(cell, XLError):
            return cell
        v = cell.value
        if cell.data_type == "f" and isinstance(v, str):
            if key in self.active:
                raise Unsupported(f"circular reference at {sheet}!{cell.coordinate}")
            self.active.add(key)
            try:
                result = self.eval(self.node(sheet, row, col, v), sheet)
            finally:
                self.active.discard(key)
            if isinstance(result, Range):
                result = result[0] if len(result) == 1 else VALUE
        else:
            result = self.constant(v)
        self.memo[key] = result
        return result

    def node(self, sheet: str, row: int, col: int, formula: str):
        key = (sheet, row, col)
        if key not in self.parsed:
            shape = (sheet, template(formula, row))
            hit = self.templates.get(shape)
            if hit is None:
                self.templates[shape] = hit = (row, parse(formula, sheet))
            self.parsed[key] = hit[1] if hit[0] == row else shifted(hit[1], row - hit[0])
        return self.parsed[key]

    @staticmethod
    def constant(v: Any) -> Any:
        if v is None or isinstance(v, (str, bool)):
            return v if v != "" else None
        if isinstance(v, (dt.date, dt.datetime)):
            return serial(v)
        if isinstance(v, float):
            return Fraction(repr(v))
        if isinstance(v, (int, Fraction)):
            return Fraction(v)
        return str(v)

    def ref(self, node) -> Any:
        sheet, r1, c1, r2, c2 = node[1:6]
        if (r1, c1) == (r2, c2):
            return self.value(sheet, r1, c1)
        return Range(self.value(sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))

    # formulas ---------------------------------------------------------------------------------
    def eval(self, node, sheet: str) -> Any:
        kind = node[0]
        if kind in ("num", "str", "bool"):
            return node[1]
        if kind == "ref":
            return self.ref(node)
        if kind == "name":
            target = self.names.get(node[1])
            return NAME if target is None else self.ref(target)
        if kind == "neg":
            n = _number(self.scalar(node[1], sheet))
            return n if isinstance(n, XLError) else -n
        if kind == "bin":
            return self.binary(node[1], self.scalar(node[2], sheet), self.scalar(node[3], sheet))
        if kind == "call":
            return self.call(node[1], node[2], sheet)
        raise Unsupported(kind)

    def scalar(self, node, sheet: str) -> Any:
        v = self.eval(node, sheet)
        if isinstance(v, Range):
            return v[0] if len(v) == 1 else VALUE
        return v

    @staticmethod
    def binary(op: str, a: Any, b: Any) -> Any:
        if op == "&":
            x, y = _text(a), _text(b)
            return x if isinstance(x, XLError) else y if isinstance(y, XLError) else x + y
        if op in ("=", "<>", "<", ">", "<=", ">="):
            return _compare(op, a, b)
        x, y = _number(a), _number(b)
        if isinstance(x, XLError):
            return x
        if isinstance(y, XLError):
            return y
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return DIV0 if y == 0 else x / y
        if op == "^":
            if y.denominator == 1:
                return x ** int(y) if x or y > 0 else DIV0
            return Fraction(float(x) ** float(y))
        raise Unsupported(op)

    def call(self, name: str, args: list, sheet: str) -> Any:
        lazy = _LAZY.get(name)
        if lazy is not None:
            return lazy(self, args, sheet)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise Unsupported(f"function {name}")
        values = []
        for a in args:
            v = self.eval(a, sheet)
            if name in _REFERENCE_ARGS and a[0] in ("ref", "name") and not isinstance(v, Range):
                v = Range([v])  # a reference, even to one cell, counts only the numbers it holds
            values.append(v)
        return fn(*values)

    def formulas(self) -> dict[str, dict[str, tuple[str, Any]]]:
        """{sheet: {coordinate: (formula, value)}} for every formula cell of the workbook."""
        out: dict[str, dict[str, tuple[str, Any]]] = {}
        for ws in self.wb.worksheets:
            cells = out.setdefault(ws.title, {})
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f" and isinstance(cell.value, str):
                        cells[cell.coordinate] = (cell.value, self.value(ws.title, cell.row, cell.column))
        return out


# --- functions -------------------------------------------------------------------------------------

def _if(ev: Evaluator, args: list, sheet: str) -> Any:
    cond = _truth(ev.scalar(args[0], sheet))
    if isinstance(cond, XLError):
        return cond
    if cond:
        return ev.eval(args[1], sheet) if len(args) > 1 else True
    return ev.eval(args[2], sheet) if len(args) > 2 else False


def _iferror(ev: Evaluator, args: list, sheet: str) -> Any:
    v = ev.scalar(args[0], sheet)
    return ev.eval(args[1], sheet) if isinstance(v, XLError) else v


def _logical(combine: Callable[[list[bool]], bool]) -> Callable:
    def fn(*args: Any) -> Any:
        seen: list[bool] = []
        for a in args:
            values = a if isinstance(a, Range) else [a]
            for v in values:
                if isinstance(v, XLError):
                    return v
                if isinstance(a, Range) and isinstance(v, str) or v is None:
                    continue
                t = _truth(v)
                if isinstance(t, XLError):
                    return t
                seen.append(t)
        return VALUE if not seen else combine(seen)
    return fn


def _rounder(mode: str) -> Callable:
    def fn(x: Any, places: Any = Fraction(0)) -> Any:
        n, p = _number(x), _number(places)
        if isinstance(n, XLError):
            return n
        if isinstance(p, XLError):
            return p
        return _round(n, int(p), mode)
    return fn


def _fixed(x: Any, places: Any = Fraction(2), no_commas: Any = False) -> Any:
    n, p = _number(x), _number(places)
    if isinstance(n, XLError):
        return n
    if isinstance(p, XLError):
        return p
    k = int(p)
    rounded = _round(n, k, "half")
    text = f"{abs(Decimal(rounded.numerator) / Decimal(rounded.denominator)):.{max(k, 0)}f}"
    if not _truth(no_commas):
        whole, _, frac = text.partition(".")
        text = f"{int(whole):,}" + ("." + frac if frac else "")
    return ("-" if rounded < 0 else "") + text


def _extreme(pick: Callable) -> Callable:
    def fn(*args: Any) -> Any:
        nums = _numbers(list(args))
        if isinstance(nums, XLError):
            return nums
        return pick(nums) if nums else Fraction(0)
    return fn


def _count(*args: Any) -> Fraction:
    return Fraction(len(_numbers(list(args), strict=False)))


def _average(*args: Any) -> Any:
    nums = _numbers(list(args))
    if isinstance(nums, XLError):
        return nums
    return DIV0 if not nums else sum(nums, Fraction(0)) / len(nums)


def _stdev(*args: Any) -> Any:
    nums = _numbers(list(args))
    if isinstance(nums, XLError):
        return nums
    if len(nums) < 2:
        return DIV0
    mean = sum(nums, Fraction(0)) / len(nums)
    return _sqrt(sum(((x - mean) ** 2 for x in nums), Fraction(0)) / (len(nums) - 1))


def _countif(rng: Any, criterion: Any) -> Any:
    values = rng if isinstance(rng, Range) else [rng]
    if isinstance(criterion, str):
        return Fraction(sum(1 for v in values if isinstance(v, str) and v.lower() == criterion.lower()))
    return Fraction(sum(1 for v in values if v is not None and not isinstance(v, XLError)
                        and _compare("=", v, criterion) is True and type(v) is type(criterion)))


def _isnumber(x: Any) -> bool:
    return isinstance(x, Fraction) and not isinstance(x, bool)


def _n(x: Any) -> Any:
    if isinstance(x, XLError):
        return x
    return x if isinstance(x, Fraction) else Fraction(int(x)) if isinstance(x, bool) else Fraction(0)


def _abs(x: Any) -> Any:
    n = _number(x)
    return n if isinstance(n, XLError) else abs(n)


def _exact(a: Any, b: Any) -> Any:
    x, y = _text(a), _text(b)
    return x if isinstance(x, XLError) else y if isinstance(y, XLError) else x == y


def _sum(*args: Any) -> Any:
    nums = _numbers(list(args))
    return nums if isinstance(nums, XLError) else sum(nums, Fraction(0))


def _match(x: Any, rng: Any, mode: Any = Fraction(1)) -> Any:
    if _number(mode) != 0:
        raise Unsupported("MATCH other than exact")
    if isinstance(x, Range):
        x = x[0] if len(x) == 1 else VALUE
    values = rng if isinstance(rng, Range) else [rng]
    for i, v in enumerate(values, 1):
        if v is not None and _rank(v) == _rank(x) and _compare("=", v, x) is True:
            return Fraction(i)
    return NA


def _index(rng: Any, i: Any) -> Any:
    values = rng if isinstance(rng, Range) else [rng]
    n = _number(i)
    if isinstance(n, XLError):
        return n
    return values[int(n) - 1] if 1 <= n <= len(values) else REF


def _len(x: Any) -> Any:
    t = _text(x)
    return t if isinstance(t, XLError) else Fraction(len(t))


def _side(left: bool) -> Callable:
    def fn(x: Any, n: Any = Fraction(1)) -> Any:
        t, k = _text(x), _number(n)
        if isinstance(t, XLError):
            return t
        if isinstance(k, XLError):
            return k
        k = int(k)
        return t[:k] if left else (t[-k:] if k else "")
    return fn


_LAZY: dict[str, Callable] = {"IF": _if, "IFERROR": _iferror}

#: functions whose reference arguments count only the numbers (or truth values) they hold
_REFERENCE_ARGS = frozenset({"MIN", "MAX", "SUM", "COUNT", "AVERAGE", "STDEV", "AND", "OR", "COUNTIF", "MATCH",
                             "INDEX"})

FUNCTIONS: dict[str, Callable] = {
    "AND": _logical(all), "OR": _logical(any), "NOT": lambda x: (lambda t: t if isinstance(t, XLError) else not t)(_truth(x)),
    "ISNUMBER": _isnumber, "ISBLANK": lambda x: x is None, "N": _n, "ABS": _abs,
    "ROUND": _rounder("half"), "ROUNDUP": _rounder("up"), "ROUNDDOWN": _rounder("down"), "FIXED": _fixed,
    "MIN": _extreme(min), "MAX": _extreme(max), "SUM": _sum, "COUNT": _count, "AVERAGE": _average,
    "STDEV": _stdev, "COUNTIF": _countif, "EXACT": _exact, "MATCH": _match, "INDEX": _index, "LEN": _len,
    "LEFT": _side(True), "RIGHT": _side(False),
}


def coordinate(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"
