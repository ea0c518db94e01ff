"""Tổng quan: the area's rates against the plan's targets, how many units meet them, the monthly
trend, and the units furthest below target."""
import pandas as pd
import streamlit as st

from views import ui
from kpi import charts, fmt, history, measures

st.title("Tổng quan")
ui.require_data()
card = ui.card()
ui.caption(card)
previous, year_before = ui.card(card.period.previous()), ui.card(card.period.year_earlier())
totals = card.totals().set_index("kpi")
before, last_year = previous.totals().set_index("kpi"), year_before.totals().set_index("kpi")

CARDS = card.kpis_judged()  # a card for each KPI the plan sets a target for
PER_ROW = 4
cells = [c for start in range(0, len(CARDS), PER_ROW) for c in st.columns(PER_ROW)][:len(CARDS)]
for column, key in zip(cells, CARDS):
    kpi, row = measures.get(key), totals.loc[key]
    verdict = {True: ":green[**Đạt**]", False: ":red[**Chưa đạt**]"}.get(row["met"], "chưa đánh giá")
    met, assessed = card.met_count(key)
    with column.container(border=True):
        change = fmt.change(row["rate"], before.loc[key, "rate"])
        scope = card.same_scope(previous, key)
        st.metric(kpi.label, row["shown"], delta=change,
                  help=f"Thay đổi so với {previous.period.label}" + (ui.counted_otherwise(previous, card, key)
                                                                       if change else "")
                  + (f" ({scope})" if scope and change else ""))
        if said := card.coverage_said(key):
            st.caption(f":orange[{said}]")
        st.markdown(ui.target_line(card, row["target"], verdict))
        change = fmt.change(row["rate"], last_year.loc[key, "rate"])
        scope = card.same_scope(year_before, key)
        st.caption(f"So với cùng kỳ năm trước ({year_before.period.label}): {change or fmt.MISSING}"
                   + (ui.counted_otherwise(year_before, card, key) if change else "")
                   + (f" ({scope})" if scope and change else ""))
        st.markdown(f"**{met}/{assessed}** đơn vị đạt chỉ tiêu" if assessed else "Chưa có đơn vị nào để đánh giá")
        st.caption(f"{fmt.number(row['numerator'])} / {fmt.number(row['denominator'])} hồ sơ · "
                   f"{kpi.ratio(card.definitions).note}")

st.subheader("Diễn biến theo tháng")
monthly = history.trend(ui.panel(span=24))
area_targets = charts.target_lines(totals)
shown = [k for k in ("online", "cashless") if k in set(monthly["kpi"])]
st.plotly_chart(ui.trend(monthly, shown, card, area_targets, f"{card.area}: tỷ lệ theo tháng"),
                key="trend", config=ui.chart_config("dien-bien-theo-thang"))

st.subheader("Đơn vị xa chỉ tiêu nhất")
for tab, key in zip(st.tabs([measures.get(k).short for k in ("online", "cashless")]), ("online", "cashless")):
    below = card.below_target(key, limit=10)
    if below.empty:
        good, why = card.none_below(key)
        (tab.success if good else tab.info)(why, icon=":material/check_circle:" if good else ":material/info:")
        continue
    tab.dataframe(pd.DataFrame({
        "Đơn vị": below["unit"], "Tỷ lệ": below["shown"], "Chỉ tiêu": below["target"],
        "Thiếu (điểm %)": below["gap"].map(lambda g: fmt.number(g, 2)),
        "Cần thêm (hồ sơ)": below["needed"].map(fmt.number),
    }), hide_index=True, width="stretch", key=f"below_{key}")
