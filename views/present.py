"""Trình chiếu: full-width, large-type views for a projector, with next / previous; the view and
the period are in the URL, so a copied link opens the same slide."""
import streamlit as st

from views import ui
from kpi import charts, fmt, measures

VIEWS = {"tom-tat": "Tóm tắt", "xep-hang": "Xếp hạng", "chua-dat": "Đơn vị chưa đạt", "don-vi": "Diễn biến đơn vị"}
st.html("<style>.stMainBlockContainer{max-width:100%;padding-top:2rem}"
        ".stMain .stMarkdown p,.stMain .stMarkdown li{font-size:1.9rem;line-height:1.45}"
        "[data-testid=stMetricValue]{font-size:4.5rem}[data-testid=stMetricLabel] p{font-size:1.6rem}</style>")
ui.require_data()
card = ui.card()
keys = list(VIEWS)
back, picker, forward = st.columns([1, 4, 1], vertical_alignment="bottom")
current = st.session_state.get("_view", keys[0])
if back.button("◀ Trước", key="previous", width="stretch"):
    st.session_state["_view"] = keys[(keys.index(current) - 1) % len(keys)]
if forward.button("Tiếp ▶", key="next", width="stretch"):
    st.session_state["_view"] = keys[(keys.index(current) + 1) % len(keys)]
with picker:
    view = ui.url_widget(st.selectbox, "Màn hình", "view", keys, keys[0], format_func=VIEWS.get,
                         label_visibility="collapsed")
st.title(f"{VIEWS[view]} — {card.period.label}")
st.caption(ui.plain(f"{card.area} · {card.plan_name}"))
for instead in card.instead():  # a rate left without data by the plan's definition, though the data has it
    st.caption(ui.plain(instead.sentence))

if view == "tom-tat":
    totals = card.totals().set_index("kpi")
    for column, key in zip(st.columns(len(measures.ALWAYS_SHOWN)), measures.ALWAYS_SHOWN):
        row = totals.loc[key]
        met, assessed = card.met_count(key)
        verdict = {True: ":green[đạt]", False: ":red[chưa đạt]"}.get(row["met"], "chưa đánh giá")
        with column:
            st.metric(measures.get(key).label, row["shown"],
                      help=f"{measures.get(key).label} = {measures.get(key).ratio(card.definitions).note}")
            st.markdown(f"Chỉ tiêu **{row['target']}**: {verdict}" if isinstance(row["target"], str) else "")
            st.markdown(f"**{met}/{assessed}** đơn vị đạt" if assessed else "")
elif view == "xep-hang":
    key = ui.url_widget(st.selectbox, "Chỉ tiêu", "kpi", list(measures.ALWAYS_SHOWN), "online",
                        format_func=lambda k: measures.get(k).label)
    st.plotly_chart(charts.large(charts.ranking_bars(card.ranking(key), key, measures.get(key).label)),
                    key="present_bars", config=ui.chart_config(f"trinh-chieu-xep-hang-{key}"))
elif view == "chua-dat":
    for key in measures.ALWAYS_SHOWN:
        below = card.below_target(key)
        st.subheader(measures.get(key).label)
        if below.empty:
            st.markdown(card.none_below(key)[1])
        for r in below.itertuples():
            st.markdown(f"- **{ui.plain(r.unit)}**: {r.shown} (chỉ tiêu {r.target}) — cần thêm "
                        f"**{fmt.number(r.needed)}** hồ sơ")
else:
    units = ui.facts()["units"]["unit"].tolist()
    unit = ui.url_widget(st.selectbox, "Đơn vị", "unit", units, units[0])
    own = ui.panel()
    own = own[own["unit"] == unit]
    mine = card.units[card.units["unit"] == unit].set_index("kpi")
    targets = charts.target_lines(mine)
    st.plotly_chart(charts.large(ui.trend(own, list(measures.ALWAYS_SHOWN), card, targets, unit)),
                    key="present_trend", config=ui.chart_config(f"trinh-chieu-{unit}"))
