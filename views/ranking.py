"""Xếp hạng: every unit ranked by a KPI, against its own target, with the dossiers still needed."""
import streamlit as st

from views import ui, widgets
from kpi import charts, exports, measures, scorecard

st.title("Xếp hạng")
ui.require_data()
card = ui.card()
widgets.caption(card)

left, right = st.columns(2)
with left:
    key = ui.url_widget(st.selectbox, "Chỉ tiêu", "kpi", card.kpis_with_data(), "online",
                        format_func=lambda k: measures.get(k).label)
with right:
    groups = ["", *card.sums["group"].drop_duplicates()]  # "": every group
    group = ui.url_widget(st.selectbox, "Nhóm đơn vị", "group", groups, "", format_func=lambda g: g or "Tất cả") or None
kpi = measures.get(key)
st.caption(f"{kpi.label} = {kpi.ratio(card.definitions).note}. Màu: xanh đạt, vàng chưa đạt nhưng cách chỉ tiêu "
           f"không quá {scorecard.NEAR_POINTS} điểm %, đỏ chưa đạt.")

ranked = card.ranking(key, group)
rated = ranked[ranked["rate"].notna()]
met, assessed = card.met_count(key, group)
if assessed:
    st.markdown(f"**{met}/{assessed}** đơn vị đạt chỉ tiêu; {assessed - met} đơn vị chưa đạt.")
if assessed > met:
    st.markdown("**Đơn vị chưa đạt**")
    widgets.below_list(card, key, group=group)
ahead = card.ahead(key)
widgets.judged_table(scorecard.ranking_text(rated, ahead), rated, key="table")

export = scorecard.ranking_export(ranked, key, ahead)
name = f"xep-hang-{key}-{card.period.key}-{card.period.scope}"
down_xlsx, down_csv = st.columns(2)
# the files are made when asked for, not on every rerun
down_xlsx.download_button("Tải bảng (.xlsx)", lambda: exports.to_xlsx(export, "Xếp hạng"), file_name=f"{name}.xlsx",
                          icon=":material/download:", key="download_xlsx", on_click="ignore")
down_csv.download_button("Tải bảng (.csv)", lambda: exports.to_csv(export), file_name=f"{name}.csv",
                         icon=":material/download:", key="download_csv", on_click="ignore")

for status in (scorecard.NO_DOSSIERS, scorecard.OTHER_DEFINITION, scorecard.NO_DATA):
    apart = ranked[ranked["status"] == status]
    if not apart.empty:
        st.markdown(f"**{scorecard.STATUS_LABELS[status]}** ({len(apart)} đơn vị): " + ", ".join(apart["unit"].map(ui.plain)))

if not rated.empty:
    shown = "" if len(rated) <= charts.MAX_BARS else f" ({charts.MAX_BARS} đơn vị xa chỉ tiêu nhất)"
    st.plotly_chart(charts.ranking_bars(ranked, key, f"{kpi.label} — {card.period.label}{shown}"), key="bars",
                    config=widgets.chart_config(name))

st.subheader("Kiểm tra số liệu")
found = ui.flags()
if group:
    found = found[found["unit"].isin(ranked["unit"])]
widgets.flag_list(found)
