"""Numbers the Vietnamese way: 1.234 and 82,13%. Rounding happens here only, for display."""
from __future__ import annotations

import pandas as pd

MISSING = "—"


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def number(value, decimals: int = 0) -> str:
    """1234 -> '1.234'; 1234.5 with 2 decimals -> '1.234,50'."""
    if _is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,d}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value, decimals: int = 2) -> str:
    """82.1345 -> '82,13%'; no rate -> '—'."""
    return MISSING if _is_missing(value) else number(value, decimals) + "%"


def change(now, before, decimals: int = 2) -> str | None:
    """The change between two rates in percentage points, signed: '+1,50 điểm %';
    None when either has no rate."""
    if _is_missing(now) or _is_missing(before):
        return None
    value = float(now) - float(before)
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    return f"{sign}{number(abs(value), decimals)} điểm %"


def window_label(first, last) -> str:
    """A reporting window: 21/09–20/10/2025; 21/12/2024–20/01/2025 across a year."""
    return f"{first:%d/%m}–{last:%d/%m/%Y}" if first.year == last.year else f"{first:%d/%m/%Y}–{last:%d/%m/%Y}"
