"""A period's sums from every stored unit-month (kpi.sums): exact, NULL-aware, merged units folded."""
import numpy as np
import pyarrow as pa

from kpi import measures, sums
from kpi.measures import COUNTS


def cube(rows: list[dict]) -> sums.Cube:
    """A cube from stored rows as DuckDB streams them (Arrow batches, NULL where unknown), two rows a batch; a count
    left out is NULL."""
    table = pa.table({"unit_id": [r["unit"] for r in rows], "year": [r["year"] for r in rows],
                      "month": [r["month"] for r in rows],
                      **{c: pa.array([r.get(c) for r in rows], type=pa.int64()) for c in COUNTS}})
    keys = sorted({r["year"] * 100 + r["month"] for r in rows})
    biggest = max(v for r in rows for c, v in r.items() if c in COUNTS)
    return sums.Cube.of(np.array(keys), np.array(sorted({r["unit"] for r in rows})), biggest, table.to_batches(2))


def test_sums_are_exact_beyond_float32_and_a_month_counts_only_with_both_counts_known():
    big = 2 ** 24 + 1  # not a float32
    held = cube([
        {"unit": 1, "year": 2025, "month": 1, "received_online": big, "received_offline": 2},
        {"unit": 1, "year": 2025, "month": 2, "received_online": 3},  # offline NULL: the month is not counted
        {"unit": 2, "year": 2025, "month": 2, "received_online": 4, "received_offline": 6},
    ])
    assert held.values.dtype == np.float64
    by_unit, by_month = sums.period(held, [(2025, 1), (2025, 2), (2025, 3)], measures.every_ratio(), {})
    online = by_unit.set_index("unit_id")
    assert online.loc[1, ["online:new|n", "online:new|d", "has|received_online", "has|received_offline"]].tolist() == \
        [big, big + 2, 2, 1]
    assert online.loc[2, ["online:new|n", "online:new|d"]].tolist() == [4, 10]
    assert by_month[["year", "month", "online:new|n", "online:new|d", "online:new|k"]].values.tolist() == \
        [[2025, 1, big, big + 2, 1], [2025, 2, 4, 10, 1]]  # March has no row: not listed
    assert by_unit["cashless:fee_online|n"].isna().all()  # no unit-month has it


def test_a_merged_units_months_are_added_to_its_successors_before_a_month_is_judged_known():
    held = cube([
        {"unit": 1, "year": 2025, "month": 1, "received_online": 5},  # offline NULL alone
        {"unit": 2, "year": 2025, "month": 1, "received_offline": 7},  # online NULL alone
        {"unit": 3, "year": 2025, "month": 1, "received_online": 1, "received_offline": 1},
    ])
    assert held.values.dtype == np.float32
    by_unit, by_month = sums.period(held, [(2025, 1)], measures.every_ratio(), {1: 9, 2: 9})
    assert by_unit["unit_id"].tolist() == [3, 9]  # 9: a new unit, with no row of its own
    assert by_unit.set_index("unit_id").loc[9, ["online:new|n", "online:new|d"]].tolist() == [5, 12]
    assert by_month[["online:new|n", "online:new|d", "online:new|k"]].values.tolist() == [[6, 14, 2]]


def test_merges_move_each_units_own_months_whatever_their_order():
    """As the rows were moved before: with 1 → 2 and 2 → 3 (a chain not resolved), unit 2 has unit 1's months and
    unit 3 its own and unit 2's; listed in either order."""
    rows = [{"unit": u, "year": 2025, "month": 1, "received_online": 10 * u, "received_offline": 0} for u in (1, 2, 3)]
    for merged in ({1: 2, 2: 3}, {2: 3, 1: 2}):
        by_unit, _ = sums.period(cube(rows), [(2025, 1)], measures.every_ratio(), merged)
        assert by_unit.set_index("unit_id")["online:new|n"].to_dict() == {2: 10, 3: 50}
    by_unit, by_month = sums.period(cube(rows), [(2024, 12)], measures.every_ratio(), {})  # a month not stored
    assert by_unit.empty and by_month.empty and by_month["online:new|k"].dtype == "int64"
