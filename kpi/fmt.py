"""Numbers the Vietnamese way: 1.234 and 82,13%. Rounding happens here only, for display."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

MISSING = "—"
MOST_DECIMALS = 6  # a figure shown finely enough to agree with its verdict never needs more


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def rounded(value, decimals: int = 0) -> Decimal:
    """Rounded half up, as Excel rounds: the value read to 15 significant digits first (Excel's own
    precision), so that 5/32 = 15,625% shows 15,63% and 17.999/20.000 = 89,995% shows 90,00%."""
    return Decimal(f"{float(value):.15g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def number(value, decimals: int = 0) -> str:
    """1234 -> '1.234'; 1234.5 with 2 decimals -> '1.234,50'; halves rounded up."""
    if _is_missing(value):
        return MISSING
    text = f"{rounded(value, decimals):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value, decimals: int = 2) -> str:
    """82.1345 -> '82,13%'; no rate -> '—'."""
    return MISSING if _is_missing(value) else number(value, decimals) + "%"


def judged(rate, comparator, threshold, met, decimals: int = 2) -> tuple[int | None, float]:
    """The decimals a rate needs so that its figure agrees with its verdict, and the figure: a rate of
    89,996% not meeting "Tối thiểu 90%" shows 89,996%, not 90,00%; 90,004% meeting "Trên 90" shows
    90,004%. (None, NaN) without a rate."""
    if _is_missing(rate):
        return None, float("nan")
    shown = rounded(rate, decimals)
    if _is_missing(met) or _is_missing(threshold) or comparator not in ("gt", "ge"):
        return decimals, float(shown)
    bar = Decimal(f"{float(threshold):.15g}")
    while decimals < MOST_DECIMALS and (shown > bar if comparator == "gt" else shown >= bar) != bool(met):
        decimals += 1
        shown = rounded(rate, decimals)
    return decimals, float(shown)


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


def months(months: list[tuple[int, int]]) -> str:
    """Months as runs: [(2023, 1) … (2023, 6), (2023, 9)] -> '1–6/2023, 9/2023'."""
    runs: list[list[tuple[int, int]]] = []
    for y, m in sorted(months):
        if runs and runs[-1][-1][0] == y and runs[-1][-1][1] == m - 1:
            runs[-1].append((y, m))
        else:
            runs.append([(y, m)])
    return ", ".join(f"{r[0][1]}/{r[0][0]}" if len(r) == 1 else f"{r[0][1]}–{r[-1][1]}/{r[0][0]}" for r in runs)
