"""Data that may lie (DOMAIN.md section 9): a rate that jumps from one month to the next (the
"làm thế, làm thay" warning), a missing month, counts that break the report's identities."""
from __future__ import annotations

import pandas as pd

from kpi import fmt, measures
from kpi.measures import COUNTS
from kpi.periods import Period

JUMP_POINTS = 15.0  # a month-to-month change larger than this, in percentage points, is flagged
JUMP_KPIS = ("online",)  # the rate "làm thế, làm thay" lifts; small fee counts make cashless too noisy
JUMP_MIN_DOSSIERS = 20  # below this denominator in either month a few dossiers swing the rate: not flagged


def flags(period: Period, counts: pd.DataFrame, monthly: pd.DataFrame, units: pd.DataFrame,
          jump_points: float = JUMP_POINTS) -> pd.DataFrame:
    """Flags for the period's months: [unit, kind, year, month, message], in plan order.

    counts: stored rows of the period's months and the month before; monthly: history.panel of
    the same months.
    """
    months = period.months()
    found = _jumps(monthly, months, jump_points) + _missing(counts, units, months) + _identities(counts, units, months)
    out = pd.DataFrame(found, columns=["unit", "kind", "year", "month", "message"])
    order = dict(zip(units["unit"], units["position"]))
    return out.sort_values(["unit", "year", "month"], key=lambda c: c.map(order) if c.name == "unit" else c,
                           kind="stable").reset_index(drop=True)


def _jumps(monthly: pd.DataFrame, months: list[tuple[int, int]], jump_points: float) -> list[tuple]:
    found = []
    wanted = {y * 12 + m for y, m in months}
    for kpi in JUMP_KPIS:
        rows = monthly[(monthly["kpi"] == kpi) & (monthly["denominator"] >= JUMP_MIN_DOSSIERS).fillna(False)]
        rows = rows.assign(index=rows["year"].astype(int) * 12 + rows["month"].astype(int))
        rows = rows.sort_values(["unit", "index"], kind="stable")
        consecutive = rows["unit"].eq(rows["unit"].shift()) & rows["index"].diff().eq(1)
        before = rows["rate"].shift().where(consecutive)
        change = rows["rate"] - before
        flagged = ((change.abs() > jump_points) & rows["index"].isin(wanted)).fillna(False).astype(bool)
        label = measures.get(kpi).label
        hits = rows[flagged]
        for unit, year, month, rate, delta, was in zip(hits["unit"], hits["year"], hits["month"], hits["rate"],
                                                       change[flagged], before[flagged]):
            how = "tăng từ {} lên {}" if delta > 0 else "giảm từ {} xuống {}"
            why = ": cần kiểm tra (làm thế, làm thay?)" if delta > 0 else ""
            found.append((unit, "jump", year, month,
                          f"{label} tháng {month}/{year} {how.format(fmt.percent(was), fmt.percent(rate))}"
                          f" ({fmt.change(rate, was)}) so với tháng trước{why}."))
    return found


def _missing(counts: pd.DataFrame, units: pd.DataFrame, months: list[tuple[int, int]]) -> list[tuple]:
    """A month the area has data for, but not this unit, while it exists."""
    have = set(zip(counts["unit_id"], counts["year"], counts["month"]))
    stored = [(y, m) for y, m in sorted(set(zip(counts["year"], counts["month"]))) if (y, m) in months]
    return [(u, "missing", y, m, f"Chưa có số liệu tháng {m}/{y}.")
            for unit_id, u, since, until in zip(units["unit_id"], units["unit"], units["since"], units["until"])
            for y, m in stored if (unit_id, y, m) not in have
            and (pd.isna(since) or since <= y * 100 + m) and (pd.isna(until) or y * 100 + m < until)]


def _identities(counts: pd.DataFrame, units: pd.DataFrame, months: list[tuple[int, int]]) -> list[tuple]:
    rows = counts[[(y, m) in months for y, m in zip(counts["year"], counts["month"])]]
    rows = rows.merge(units[["unit_id", "unit"]], on="unit_id")
    found = []
    for whole, parts, bad, summed in measures.broken_identities(rows):
        for (_, r), total in zip(bad.iterrows(), summed):
            listed = " + ".join(fmt.number(r[p]) for p in parts)
            found.append((r["unit"], "identity", r["year"], r["month"],
                          f"Tháng {r['month']}/{r['year']}: «{COUNTS[whole]}» {fmt.number(r[whole])} khác "
                          f"{listed} = {fmt.number(total)}."))
    return found
