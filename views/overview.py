"""Tổng quan: the area's verdicts against the plan's targets and the units below target with the
dossiers each needs, month and year-to-date side by side (the answer above the fold), then the
monthly trend."""
import streamlit as st

from views import ui, widgets
from kpi import charts, fmt, measures

st.title("Tổng quan")
ui.require_data()
# the chosen period, and below it side by side its counterpart (a month and its year-to-date, a longer period and
# its last month); the period before and a year earlier, compared with
card, other_card, previous, year_before = ui.overview_cards(ui.chosen_period())
widgets.caption(card)
totals = card.totals().set_index("kpi")
before, last_year = previous.totals().set_index("kpi"), year_before.totals().set_index("kpi")

CARDS = card.kpis_on_cards()
PER_ROW = min(len(CARDS), 4)
cells = [c for start in range(0, len(CARDS), PER_ROW) for c in st.columns(PER_ROW)][:len(CARDS)]
for column, key in zip(cells, CARDS):
    kpi, row = measures.get(key), totals.loc[key]
    verdict = {True: ":green[**Đạt**]", False: ":red[**Chưa đạt**]"}.get(row["met"], "chưa đánh giá")
    met, assessed = card.met_count(key)
    change = fmt.change(row["rate"], before.loc[key, "rate"])
    scope = card.same_scope(previous, key)
    yearly = fmt.change(row["rate"], last_year.loc[key, "rate"])
    year_scope = card.same_scope(year_before, key)
    # the detail a chairperson does not need at a glance sits in the figure's tooltip
    detail = (f"{fmt.number(row['numerator'])} / {fmt.number(row['denominator'])} hồ sơ · "
              f"{kpi.ratio(card.definitions).note}.\n\n"
              f"Thay đổi so với {previous.period.label}" + (widgets.counted_otherwise(previous, card, key) if change else "")
              + (f" ({scope})" if scope and change else "") + ".\n\n"
              f"So với cùng kỳ năm trước ({year_before.period.label}): {yearly or fmt.MISSING}"
              + (widgets.counted_otherwise(year_before, card, key) if yearly else "")
              + (f" ({year_scope})" if year_scope and yearly else "") + ".")
    with column.container(border=True):
        st.metric(kpi.label, row["shown"], delta=change, help=detail)
        st.markdown(widgets.target_line(card, row["target"], verdict)
                    + (f"  \n**{met}/{assessed}** đơn vị đạt" if assessed else
                       "" if not isinstance(row["target"], str) else "  \nChưa có đơn vị để đánh giá"))
        said = card.coverage_said(key)
        if said and card.coverage(key)["units"] and len({card.coverage_said(k) for k in CARDS
                                                        if card.coverage(k)["units"]}) > 1:
            st.caption(f":orange[{said}]")  # said above for all, when it is the same for every card

st.markdown("#### Đơn vị chưa đạt chỉ tiêu")
below_kpis = [k for k in CARDS if card.met_count(k)[1] or other_card.met_count(k)[1]] or list(measures.ALWAYS_SHOWN)
for tab, key in zip(st.tabs([measures.get(k).short for k in below_kpis]), below_kpis):
    for column, shown in zip(tab.columns(2), (card, other_card)):
        column.markdown(f"**{shown.period.label}**")
        widgets.below_list(shown, key, limit=5, container=column)

st.subheader("Diễn biến theo tháng")
monthly = ui.area_trend(span=24)
area_targets = charts.target_lines(totals)
shown_kpis = [k for k in ("online", "cashless") if k in set(monthly["kpi"])]
st.plotly_chart(widgets.trend(monthly, shown_kpis, card, area_targets, f"{card.area}: tỷ lệ theo tháng"),
                key="trend", config=widgets.chart_config("dien-bien-theo-thang"))
