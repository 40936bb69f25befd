"""Fonts, fills, borders and number formats of the Excel records (layout only, no arithmetic).

Colours follow what pharmacy worksheets already use: pale yellow for a cell to fill in, grey for
section bars; "OK"/"PASS" green and "CHECK"/"FAIL" red come from conditional formats so they follow
the live values.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

FONT_NAME = "Liberation Sans"  # metric-compatible with Arial; present wherever LibreOffice is

BASE = Font(name=FONT_NAME, size=10)
BOLD = Font(name=FONT_NAME, size=10, bold=True)
SMALL = Font(name=FONT_NAME, size=8, color="444444")
TITLE = Font(name=FONT_NAME, size=14, bold=True)
SUBTITLE = Font(name=FONT_NAME, size=11, bold=True)
BIG_BOLD = Font(name=FONT_NAME, size=12, bold=True)
WARNING = Font(name=FONT_NAME, size=10, bold=True, color="9C0006")

ENTRY_FILL = PatternFill("solid", fgColor="FFF5C2")  # a cell to fill in (input or blank to complete)
SECTION_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="EDEDED")
WARN_FILL = PatternFill("solid", fgColor="FDE9E7")
OK_FILL = PatternFill("solid", fgColor="C6EFCE")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")

THIN = Side(style="thin", color="808080")
MEDIUM = Side(style="medium", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNDERLINE = Border(bottom=THIN)

WRAP = Alignment(wrap_text=True, vertical="top")
LEFT = Alignment(horizontal="left", vertical="top")
LEFT_WRAP = Alignment(wrap_text=True, vertical="top", horizontal="left")
WRAP_CENTER = Alignment(wrap_text=True, vertical="top", horizontal="center")
TOP = Alignment(vertical="top")
RIGHT = Alignment(horizontal="right", vertical="top")
CENTER = Alignment(horizontal="center", vertical="top")

UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)

DATE_FORMAT = "yyyy-mm-dd"  # ISO: no day/month ambiguity between US and European readers
TEXT_FORMAT = "@"
