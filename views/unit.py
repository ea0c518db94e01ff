"""Đơn vị: one unit's monthly rates against its targets, its counts, its rank month by month and
its place within its group."""
import pandas as pd
import streamlit as st

from views import ui, widgets
from kpi import charts, fmt, measures, scorecard
from kpi.measures import COUNTS

st.title("Đơn vị")
ui.require_data()
card = ui.card()
units = card.sums.drop_duplicates("unit")
unit = ui.url_widget(st.selectbox, "Đơn vị", "unit", units["unit"].tolist(), units["unit"].iloc[0])
widgets.caption(card)
group = units.set_index("unit").at[unit, "group"]
parts = ui.predecessors(unit)
if parts:
    st.caption(f"Đơn vị được gộp từ {ui.plain(', '.join(parts))}: so sánh với các kỳ trước tính trên số liệu cộng lại của các "
               "đơn vị đó.")

mine = card.judged(unit=unit).set_index("kpi")
year_before = ui.card(card.period.year_earlier(), as_of=card.period)
earlier = year_before.judged(unit=unit).set_index("kpi")
shown = [k for k in card.kpis_with_data() if pd.notna(mine.at[k, "denominator"]) or k in measures.ALWAYS_SHOWN]
for column, key in zip(st.columns(len(shown[:4])), shown[:4]):
    row = mine.loc[key]
    before = earlier.at[key, "rate"] if key in earlier.index else None
    with column.container(border=True):
        st.metric(measures.get(key).label, row["shown"], delta=fmt.change(row["rate"], before),
                  help=f"Thay đổi so với cùng kỳ năm trước ({year_before.period.label}: {fmt.percent(before)})")
        needed = f", cần thêm **{fmt.number(row['needed'])}** hồ sơ" if row["status"] == scorecard.NOT_MET else ""
        st.markdown(widgets.target_line(card, row["target"], scorecard.STATUS_LABELS[row["status"]] + needed))
        st.caption(f"{fmt.number(row['numerator'])} / {fmt.number(row['denominator'])} hồ sơ · "
                   f"{measures.get(key).ratio(card.definitions).note}")

in_group = card.ranking("online", group)
place = in_group.set_index("unit").at[unit, "rank"]
rated = int(in_group["rank"].notna().sum())
st.markdown(f"Trong nhóm **{ui.plain(group)}**: " + (f"hạng **{place}/{rated}** về {measures.get('online').label.lower()}."
                                             if pd.notna(place) else "chưa được xếp hạng trong kỳ này."))

own = ui.unit_months(unit)
targets = charts.target_lines(mine)
st.plotly_chart(widgets.trend(own, ["online", "cashless"], card, targets, f"{unit}: tỷ lệ theo tháng"), key="unit_trend",
                config=widgets.chart_config(f"don-vi-{unit}"))
ranks = ui.ranks("online")
ranks = ranks[ranks["unit"] == unit].dropna(subset=["rank"])
if not ranks.empty:
    st.plotly_chart(charts.ranks(ranks, f"{unit}: hạng theo tháng ({measures.get('online').short.lower()})"),
                    key="unit_ranks", config=widgets.chart_config(f"hang-{unit}"))

by_field = ui.fields(unit)
if not by_field.empty:
    st.subheader(f"Theo lĩnh vực — {card.period.label}")
    st.dataframe(scorecard.fields_table(by_field), hide_index=True, width="stretch", key="fields")
    st.caption(f"Từ báo cáo theo lĩnh vực của đơn vị. {measures.get('ontime').label}: "
               f"{measures.get('ontime').ratio(card.definitions).note}.")

st.subheader("Số liệu theo tháng")
counts = ui.counts_by_month(unit).sort_values(["year", "month"], ascending=False)
table = pd.DataFrame({"Tháng": [f"{m}/{y}" for y, m in zip(counts["year"], counts["month"])]})
for column, label in COUNTS.items():
    if counts[column].notna().any():
        table[label] = counts[column].map(fmt.number).to_numpy()
st.dataframe(table, hide_index=True, width="stretch", key="counts")

st.subheader(f"Các đơn vị trong nhóm {ui.plain(group)}")
widgets.judged_table(scorecard.ranking_text(in_group), in_group, key="group_table")

st.subheader("Kiểm tra số liệu")
found = ui.flags()
widgets.flag_list(found[found["unit"] == unit])
