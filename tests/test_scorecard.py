"""The engine on a real DuckDB file: counts in, rates, verdicts, gaps and ranks out."""
import pandas as pd
import pytest

from conftest import count_rows
from kpi import scorecard
from kpi.periods import Period

TU_PHAP, NOI_VU, THANH_TRA = "Phòng Tư pháp", "Phòng Nội vụ", "Thanh tra"
VPDKDD = "Văn phòng đăng ký đất đai"
MY_HUONG, PHU_MY, LONG_HUNG, MY_TU = "Xã Mỹ Hương", "Xã Phú Mỹ", "Xã Long Hưng", "Xã Mỹ Tú"


def online(unit, month, on, off, year=2024, **more):
    return {"unit": unit, "year": year, "month": month, "received_online": on, "received_offline": off, **more}


def row(card, unit, kpi="online"):
    table = card.units
    return table[(table["unit"] == unit) & (table["kpi"] == kpi)].iloc[0]


def test_exactly_90_percent_does_not_meet_tren_90(store):
    store.import_counts(count_rows([online(TU_PHAP, 3, 45, 5)]), file_name="t3.xlsx")
    r = row(scorecard.build(store, Period(2024, 3)), TU_PHAP)
    assert (r["numerator"], r["denominator"], r["rate"]) == (45, 50, 90.0)
    assert r["target"] == "Trên 90"
    assert not r["met"] and r["needed"] == 1 and r["status"] == scorecard.NOT_MET


def test_office_for_land_has_its_own_target(store):
    store.import_counts(count_rows([online(VPDKDD, 3, 81, 19)]), file_name="t3.xlsx")
    r = row(scorecard.build(store, Period(2024, 3)), VPDKDD)
    assert r["target"] == "Trên 80" and r["rate"] == 81.0 and r["met"]


def test_dossiers_needed_37_of_50(store):
    store.import_counts(count_rows([online(MY_HUONG, 3, 37, 13)]), file_name="t3.xlsx")
    r = row(scorecard.build(store, Period(2024, 3)), MY_HUONG)
    assert r["rate"] == 74.0 and r["target"] == "Trên 90" and r["needed"] == 9


def test_units_equally_far_below_are_listed_as_the_ranking_orders_them(store):
    """The office for land at 70% of «Trên 80» and Mỹ Tú at 80% of «Trên 90» are both 10 points below and need 11
    dossiers: the list puts the higher figure first, as the ranking does, though the plan lists the office first."""
    store.import_counts(count_rows([online(VPDKDD, 3, 70, 30), online(MY_TU, 3, 80, 20)]), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    below = card.below_target("online")
    assert below[["unit", "gap", "needed"]].values.tolist() == [[MY_TU, 10.0, 11], [VPDKDD, 10.0, 11]]
    ranked = card.ranking("online")
    assert ranked.loc[ranked["status"] == scorecard.NOT_MET, "unit"].tolist() == [MY_TU, VPDKDD]


def test_zero_dossiers_has_no_rate_and_no_verdict(store):
    store.import_counts(count_rows([online(THANH_TRA, 3, 0, 0)]), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    r = row(card, THANH_TRA)
    assert (r["numerator"], r["denominator"]) == (0, 0)
    assert pd.isna(r["rate"]) and pd.isna(r["met"]) and pd.isna(r["needed"])
    assert r["status"] == scorecard.NO_DOSSIERS
    assert pd.isna(card.ranking("online").set_index("unit").loc[THANH_TRA, "rank"])


def test_unit_without_counts_is_listed_without_data(store):
    store.import_counts(count_rows([online(TU_PHAP, 3, 45, 5)]), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    assert len(card.ranking("online")) == 21
    assert row(card, NOI_VU)["status"] == scorecard.NO_DATA


def test_group_rate_sums_counts_not_mean_of_rates(store):
    store.import_counts(count_rows([online(MY_HUONG, 3, 9, 1), online(PHU_MY, 3, 10, 90)]), file_name="t3.xlsx")
    totals = scorecard.build(store, Period(2024, 3)).totals("Một cửa cấp xã").set_index("kpi")
    # 90% and 10%: the mean would be 50%; the group made 19 of 110
    assert (totals.at["online", "numerator"], totals.at["online", "denominator"]) == (19, 110)
    assert totals.at["online", "rate"] == pytest.approx(1900 / 110, abs=1e-12)
    assert totals.at["online", "rate"] != 50.0
    assert totals.at["online", "target"] == "Trên 90" and not totals.at["online", "met"]


def test_year_to_date_sums_months_not_mean_of_monthly_rates(store):
    store.import_counts(count_rows([
        online(MY_TU, 1, 1, 0), online(MY_TU, 2, 50, 50), online(MY_TU, 3, 0, 0), online(MY_TU, 4, 99, 1),
    ]), file_name="q1.xlsx")
    card = scorecard.build(store, Period(2024, 3, "ytd"))
    r = row(card, MY_TU)
    # January 100%, February 50%, March no dossiers: mean 75%; year to date 51 of 101
    assert (r["numerator"], r["denominator"]) == (51, 101)
    assert r["rate"] == pytest.approx(5100 / 101, abs=1e-12)
    assert r["needed"] == 40  # 91 of 101 = 90,099% > 90; 90 of 101 = 89,11%
    area = card.totals().set_index("kpi")
    assert area.at["online", "rate"] == r["rate"]  # the only unit with data: April is not in the period


def test_ranking_ties_share_a_rank_and_units_without_rate_come_last(store):
    store.import_counts(count_rows([
        online(MY_HUONG, 3, 19, 1),   # 95%
        online(PHU_MY, 3, 9, 1),      # 90%
        online(LONG_HUNG, 3, 18, 2),  # 90%, tie
        online(MY_TU, 3, 8, 2),       # 80%
        online(THANH_TRA, 3, 0, 0),   # no dossiers
    ]), file_name="t3.xlsx")
    ranked = scorecard.build(store, Period(2024, 3)).ranking("online", group=None)
    head = ranked.head(5)
    assert head["unit"].tolist() == [MY_HUONG, LONG_HUNG, PHU_MY, MY_TU, THANH_TRA]  # a tie keeps plan order
    assert head["rank"].tolist()[:4] == [1, 2, 2, 4]
    assert ranked["rank"].isna().sum() == 17  # Thanh tra and the 16 units without data


def test_null_count_stays_null(store):
    store.import_counts(count_rows([
        online(TU_PHAP, 3, 45, 5, fee_online=10),  # paid_online not given
        online(MY_TU, 3, 20, 0, fee_online=4, paid_online=0),
    ]), file_name="t3.xlsx")
    counts = store.monthly_counts([(2024, 3)])
    assert counts["paid_online"].isna().sum() == 1
    assert counts["paid_online"].dropna().tolist() == [0]
    assert counts["resolved"].isna().all()
    card = scorecard.build(store, Period(2024, 3))
    tu_phap, my_tu = row(card, TU_PHAP, "cashless"), row(card, MY_TU, "cashless")
    assert pd.isna(tu_phap["numerator"]) and pd.isna(tu_phap["rate"]) and tu_phap["status"] == scorecard.NO_DATA
    assert (my_tu["numerator"], my_tu["denominator"], my_tu["rate"]) == (0, 4, 0.0)
    assert my_tu["needed"] == 2 and my_tu["status"] == scorecard.NOT_MET
    # the unit whose paid count is unknown adds nothing to the area, not a 0 of 10
    area = card.totals().set_index("kpi")
    assert (area.at["cashless", "numerator"], area.at["cashless", "denominator"]) == (0, 4)


def test_area_target_is_the_plans_own(store):
    store.import_counts(count_rows([online(MY_HUONG, 3, 80, 20), online(TU_PHAP, 3, 1, 0)]), file_name="t3.xlsx")
    area = scorecard.build(store, Period(2024, 3)).totals().set_index("kpi")
    # 81 of 101 = 80,198%: over the area's "Trên 80%", though Xã Mỹ Hương (80%) is under its "Trên 90"
    assert (area.at["online", "numerator"], area.at["online", "denominator"]) == (81, 101)
    assert area.at["online", "target"] == "Trên 80%" and area.at["online", "met"]
    assert area.at["cashless", "target"] == "Trên 40%" and pd.isna(area.at["cashless", "met"])


def test_figures_agree_with_verdicts_and_ranks_follow_the_figures(store):
    cashless = {"fee_online": 25000, "paid_online": 9999}  # 39,996% against «Tối thiểu 40%»
    store.import_counts(count_rows([
        online(MY_HUONG, 3, 22501, 2499, **cashless),  # 90,004% against «Trên 90»
        online(PHU_MY, 3, 17999, 2001),                # 89,995%: «90,00%», not met, as Excel shows it
        online(LONG_HUNG, 3, 89991, 10009),            # 89,991%
        online(MY_TU, 3, 89994, 10006),                # 89,994%: shown like Long Hưng, so ranked with it
        online(TU_PHAP, 3, 5, 27),                     # 5/32
    ]), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    assert (row(card, MY_HUONG)["shown"], bool(row(card, MY_HUONG)["met"])) == ("90,004%", True)
    assert (row(card, MY_HUONG, "cashless")["shown"], bool(row(card, MY_HUONG, "cashless")["met"])) == ("39,996%", False)
    assert (row(card, PHU_MY)["shown"], bool(row(card, PHU_MY)["met"])) == ("90,00%", False)
    assert row(card, TU_PHAP)["shown"] == "15,63%"
    ranked = card.ranking("online").set_index("unit")
    assert ranked.loc[[MY_HUONG, PHU_MY, LONG_HUNG, MY_TU, TU_PHAP], "rank"].tolist() == [1, 2, 3, 3, 5]
    assert ranked.loc[[LONG_HUNG, MY_TU], "shown"].tolist() == ["89,99%", "89,99%"]


def test_what_units_below_target_need_by_the_years_end_at_todays_volume(store):
    store.import_counts(count_rows([
        *(online(MY_HUONG, m, on, 100 - on) for m, on in ((1, 70), (2, 75), (3, 80))),
        *(online(PHU_MY, m, 10, 90) for m in (1, 2, 3)),
        *(online(LONG_HUNG, m, 95, 5) for m in (1, 2, 3)),
    ]), file_name="q1.xlsx")
    ahead = scorecard.build(store, Period(2024, 3, "ytd")).ahead("online")
    assert (ahead.until, ahead.months_left, ahead.heading) == ((2024, 12), 9, "Từ nay đến hết 12/2024")
    units = ahead.units.set_index("unit")
    assert set(units.index) == {MY_HUONG, PHU_MY}  # Long Hưng meets its target
    # Mỹ Hương 225/300 = 75%: 900 more to come at 100 a month; over 90% of 1.200 is 1.081 online, 856 of them new
    assert (units.at[MY_HUONG, "expected"], units.at[MY_HUONG, "needed"], units.at[MY_HUONG, "per_month"]) == (900, 856, 96)
    # Phú Mỹ 30/300: 1.051 would be needed of the 900 to come
    assert units.at[PHU_MY, "expected"] == 900 and pd.isna(units.at[PHU_MY, "needed"])
    assert ahead.said().to_dict() == {MY_HUONG: "856 (96/tháng)", PHU_MY: "Không thể đạt"}
    assert scorecard.build(store, Period(2024, 3)).ahead("online") is None  # a month has nothing left of it
    # the first half, April to June to come: 300 more, and 541 of 600 would be online, 316 of them new
    half = scorecard.build(store, Period(2024, 1, "half")).ahead("online")
    assert (half.until, half.months_left) == ((2024, 6), 3)
    assert half.said().to_dict() == {MY_HUONG: "Không thể đạt", PHU_MY: "Không thể đạt"}
    table = scorecard.below_table(scorecard.build(store, Period(2024, 3, "ytd")).below_target("online"), "online", ahead)
    assert table.set_index("Đơn vị").at[MY_HUONG, "Từ nay đến hết 12/2024"] == "856 (96/tháng)"


def test_the_areas_months_straight_from_the_counts_equal_the_sum_of_the_units(tmp_path):
    """history.area (the overview's trend) gives what history.trend gives from every unit's months: the sample's
    24 months, with its two years' definitions and its merged units."""
    from kpi import history, setup
    from kpi.service import Service
    from kpi.store import Store

    path = tmp_path / "mau.duckdb"
    setup.initialise(Store(path), sample="district")
    door = Service(path)
    whole, direct = history.trend(door.panel((2024, 12), 24)), door.area_trend((2024, 12), 24)
    pd.testing.assert_frame_equal(whole.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False)
    online = direct[direct["kpi"] == "online"]
    december = online.iloc[-1]
    assert len(online) == 24 and (december["year"], december["month"]) == (2024, 12)
    assert (december["numerator"], december["denominator"]) == (1501, 1650)
    assert december["rate"] == pytest.approx(150100 / 1650, abs=1e-12)  # 90,97%
    # the app makes every month once and keeps the months up to the chosen period: the same rows
    kept = history.last_months(door.area_trend(), (2024, 6), 5)
    pd.testing.assert_frame_equal(kept, door.area_trend((2024, 6), 5))
    assert sorted(set(zip(kept["year"], kept["month"]))) == [(2024, m) for m in range(2, 7)]


def test_dossiers_to_come_are_rounded_half_up(store):
    # Tư pháp received 5 in January and February: 2,5 a month; March is still to come in the first quarter
    store.import_counts(count_rows([online(TU_PHAP, 1, 2, 1), online(TU_PHAP, 2, 1, 1)]), file_name="q1.xlsx")
    ahead = scorecard.build(store, Period(2024, 1, "quarter")).ahead("online")
    assert (ahead.until, ahead.months_left) == ((2024, 3), 1)
    assert ahead.units.set_index("unit").at[TU_PHAP, "expected"] == 3  # 2,5 → 3, not 2 (half to even)


@pytest.mark.parametrize("period, as_of", [(Period(2024, 12, "ytd"), None), (Period(2024, 6, "half"), Period(2025, 1))])
def test_sums_made_by_duckdb_equal_the_month_rows_grouped_in_pandas(tmp_path, period, as_of):
    """Store.period_sums (what a scorecard is built from) against the month rows folded and grouped in pandas, on
    the sample with two units merged, for every KPI under the plan's definitions: the same numerators and
    denominators for every unit."""
    from kpi import measures, roster, setup
    from kpi.store import Store

    store = Store(tmp_path / "mau.duckdb")
    setup.initialise(store, sample="district")
    # two communes merged from January 2025: compared as of then, their months are the new one's
    assert store.merge_units([MY_TU, PHU_MY], "Xã Mỹ Phú", 202501, group=store.units().set_index("unit").at[MY_TU, "group"])
    card = scorecard.build(store, period, as_of=as_of)
    end = as_of or period
    counts = roster.fold(store.monthly_counts(period.months()), store.units(), roster.month_key(end.year, end.last_month))
    names = store.units().set_index("unit_id")["unit"]
    expected = measures.rates(counts.assign(unit=counts["unit_id"].map(names)), ["unit"], card.definitions)
    got = card.units[card.units["denominator"].notna()]
    merged = got.merge(expected, on=["unit", "kpi"], suffixes=("", "_pandas"))
    assert len(merged) == len(got) == int(expected["denominator"].notna().sum()) > 100
    assert (merged["numerator"] == merged["numerator_pandas"]).all()
    assert (merged["denominator"] == merged["denominator_pandas"]).all()
    if as_of:  # Mỹ Phú's half is Mỹ Tú's and Phú Mỹ's, which are no longer listed
        alone = scorecard.build(store, period)
        assert row(card, "Xã Mỹ Phú")["denominator"] == row(alone, MY_TU)["denominator"] + row(alone, PHU_MY)["denominator"] > 0
        assert not card.units["unit"].isin([MY_TU, PHU_MY]).any()
    months = sorted({(int(y), int(m)) for y, m in zip(counts["year"], counts["month"])})
    assert card.months_present == months and len(months) == len(period.months())


def test_a_kpi_or_a_unit_judged_alone_equals_its_rows_judged_with_every_other(tmp_path):
    """A ranking judges its KPI alone, a unit's page its unit: the same targets, verdicts, figures and needs as
    when every unit's every KPI is judged at once (the sample's year to June 2024, and a unit below target)."""
    from kpi import setup
    from kpi.store import Store

    store, period = Store(tmp_path / "mau.duckdb"), Period(2024, 6, "ytd")
    setup.initialise(store, sample="district")
    whole = scorecard.build(store, period).units
    for kpi, unit in (("online", None), ("cashless", None), (None, TU_PHAP)):
        alone = scorecard.build(store, period).judged(kpi, unit)
        chosen = whole[(whole["kpi"] == kpi) if kpi else (whole["unit"] == unit)].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, chosen)
    together = scorecard.build(store, period)  # the overview judges its cards' KPIs in one pass
    together.judge(["online", "cashless", "ontime"])
    for kpi in ("online", "cashless", "ontime"):
        chosen = whole[whole["kpi"] == kpi].reset_index(drop=True)
        pd.testing.assert_frame_equal(together.judged(kpi), chosen)
        assert together.met_count(kpi) == (int((chosen["status"] == scorecard.MET).sum()),
                                           int(chosen["status"].isin([scorecard.MET, scorecard.NOT_MET]).sum()))
    assert together.met_count("online") == (4, 21)
    ranked = scorecard.build(store, period).ranking("online")
    assert ranked["status"].value_counts().to_dict() == {scorecard.NOT_MET: 17, scorecard.MET: 4}
    mine = scorecard.build(store, period).judged(unit=TU_PHAP).set_index("kpi")
    assert mine.loc["online", ["status", "shown", "needed"]].tolist() == [scorecard.NOT_MET, "86,61%", 8]
    assert mine.loc["cashless", ["status", "shown"]].tolist() == [scorecard.MET, "46,97%"]


def test_a_units_months_and_ranks_made_alone_equal_those_of_every_units_months(tmp_path):
    """Service.unit_months and Service.ranks (the unit page's, made without every unit's months of every KPI)
    give the rows of the whole panel: the sample, with two communes merged into a new one from January 2025."""
    from kpi import history, setup
    from kpi.service import Service
    from kpi.store import Store

    store = Store(tmp_path / "mau.duckdb")
    setup.initialise(store, sample="district")
    store.merge_units([MY_TU, PHU_MY], "Xã Mỹ Phú", 202501, group=store.units().set_index("unit").at[MY_TU, "group"])
    door, last = Service(store.path), (2025, 1)
    whole = door.panel(last, 36)
    for unit in ("Xã Mỹ Phú", MY_HUONG):
        own = door.unit_months(unit, last)
        expected = whole[whole["unit"] == unit]
        assert len(own) == len(expected) == 24 * 7
        pd.testing.assert_frame_equal(own.reset_index(drop=True), expected.reset_index(drop=True))
    assert door.unit_months(MY_TU, last).empty  # merged by then: its months are Mỹ Phú's, not shown as its own
    ranked = door.ranks("online", last)
    pd.testing.assert_frame_equal(ranked, history.ranks(whole, "online"))
    june = ranked[(ranked["unit"] == "Xã Mỹ Phú") & (ranked["month"] == 6) & (ranked["year"] == 2024)].iloc[0]
    assert june["denominator"] == row(scorecard.build(store, Period(2024, 6)), MY_TU)["denominator"] + \
        row(scorecard.build(store, Period(2024, 6)), PHU_MY)["denominator"]
