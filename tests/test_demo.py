"""The sample data exercises the rules it is meant to."""
import pandas as pd

from kpi import demo
from kpi.measures import IDENTITIES


def test_deterministic_and_complete():
    a, b = demo.generate(), demo.generate()
    assert a.equals(b)
    assert len(a) == 21 * 24 and a[["unit", "year", "month"]].duplicated().sum() == 0


def test_identities_hold():
    rows = demo.generate()
    for whole, parts in IDENTITIES.items():
        assert (rows[whole] == rows[list(parts)].sum(axis=1)).all(), whole
    assert (rows["received"] == rows["resolved"] + rows["pending"]).all()
    assert (rows["paid_online"].dropna() <= rows["fee_online"].dropna()).all()


def test_rules_the_sample_exercises():
    rows = demo.generate().set_index(["unit", "year", "month"])
    assert rows.loc[("Phòng Tư pháp", 2024, 6), ["received_online", "received_offline"]].tolist() == [45, 5]
    inspectorate = rows.loc["Thanh tra"]
    assert ((inspectorate["received_online"] + inspectorate["received_offline"]) == 0).sum() >= 6
    first_half_2023 = rows.xs(2023, level="year").query("month <= 6")
    assert first_half_2023["paid_online"].isna().all() and first_half_2023["fee_online"].isna().all()
    assert rows.xs(2024, level="year")["paid_online"].notna().all()
    assert pd.api.types.is_integer_dtype(rows["received"])
