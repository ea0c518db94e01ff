"""Trình chiếu: full-width, large-type views for a projector and a presenter's clicker: ← / → (and
PageUp / PageDown, Space) change the slide; the view and the period are in the URL, so a copied
link opens the same slide."""
import streamlit as st

from views import ui, widgets
from kpi import charts, measures

VIEWS = {"tom-tat": "Tóm tắt", "xep-hang": "Xếp hạng", "chua-dat": "Đơn vị chưa đạt", "don-vi": "Diễn biến đơn vị"}
# Streamlit's header and the sidebar out of the way, the controls on top; large type; the extra keys' buttons hidden
st.html("<style>[data-testid=stHeader],[data-testid=stSidebar],[data-testid=stSidebarCollapsedControl]{display:none}"
        ".stMainBlockContainer{max-width:100%;padding:1rem 2rem}"
        ".stMain .stMarkdown p,.stMain .stMarkdown li,.stMain td,.stMain th{font-size:1.9rem;line-height:1.45}"
        "[data-testid=stMetricValue]{font-size:4.5rem}[data-testid=stMetricLabel] p{font-size:1.6rem}"
        ".st-key-next_page,.st-key-next_space,.st-key-previous_page{display:none}</style>")
ui.require_data()
card = ui.card()
keys = list(VIEWS)
back, picker, forward, leave = st.columns([1, 4, 1, 1], vertical_alignment="bottom")


def go(step: int) -> None:
    """A callback: run once per press, even when a busy projector's run is interrupted and started again. It moves
    from the slide on screen: a press that comes while the slide is still drawn may come with the picker's value
    of the slide before, which would otherwise count as a second move."""
    current = st.session_state.get("_on_screen", st.session_state.get("_view", keys[0]))
    st.session_state["_view"] = keys[(keys.index(current) + step) % len(keys)]


# a clicker sends ← → or PageUp PageDown; a keyboard also Space: one button per key, the extra ones unseen
back.button("◀ Trước", key="previous", width="stretch", shortcut="Left", on_click=go, args=(-1,))
st.button("Trang trước", key="previous_page", shortcut="PageUp", on_click=go, args=(-1,))
forward.button("Tiếp ▶", key="next", width="stretch", shortcut="Right", on_click=go, args=(1,))
st.button("Trang sau", key="next_page", shortcut="PageDown", on_click=go, args=(1,))
st.button("Tiếp", key="next_space", shortcut="Space", on_click=go, args=(1,))
leave.page_link("views/overview.py", label="Thoát", icon=":material/close:")
with picker:
    view = ui.url_widget(st.selectbox, "Màn hình", "view", keys, keys[0], format_func=VIEWS.get,
                         label_visibility="collapsed")
st.title(f"{VIEWS[view]} — {card.period.label}")
st.session_state["_on_screen"] = view
st.caption(ui.plain(f"{card.area} · {card.plan_name}"))
for instead in card.instead():  # a rate left without data by the plan's definition, though the data has it
    st.caption(ui.plain(instead.sentence))

if view == "tom-tat":
    totals = card.totals().set_index("kpi")
    shown = card.kpis_judged()
    for column, key in zip(st.columns(len(shown)), shown):
        row = totals.loc[key]
        met, assessed = card.met_count(key)
        verdict = {True: ":green[đạt]", False: ":red[chưa đạt]"}.get(row["met"], "chưa đánh giá")
        with column:
            st.metric(measures.get(key).label, row["shown"],
                      help=f"{measures.get(key).label} = {measures.get(key).ratio(card.definitions).note}")
            st.markdown(f"Chỉ tiêu **{row['target']}**: {verdict}" if isinstance(row["target"], str) else "")
            st.markdown(f"**{met}/{assessed}** đơn vị đạt" if assessed else "")
            if said := card.coverage_said(key):
                st.caption(said)
elif view == "xep-hang":
    key = ui.url_widget(st.selectbox, "Chỉ tiêu", "kpi", card.kpis_judged(), "online",
                        format_func=lambda k: measures.get(k).label)
    st.plotly_chart(charts.large(charts.ranking_bars(card.ranking(key), key, measures.get(key).label)),
                    key="present_bars", config=widgets.chart_config(f"trinh-chieu-xep-hang-{key}"))
elif view == "chua-dat":
    for column, key in zip(st.columns(len(measures.ALWAYS_SHOWN)), measures.ALWAYS_SHOWN):
        column.subheader(measures.get(key).label)
        widgets.below_list(card, key, limit=12, container=column)
else:
    units = card.sums["unit"].drop_duplicates().tolist()  # the period's units, as the unit page lists them
    unit = ui.url_widget(st.selectbox, "Đơn vị", "unit", units, units[0])
    own = ui.unit_months(unit)
    mine = card.judged(unit=unit).set_index("kpi")
    targets = charts.target_lines(mine)
    st.plotly_chart(charts.large(widgets.trend(own, list(measures.ALWAYS_SHOWN), card, targets, unit)),
                    key="present_trend", config=widgets.chart_config(f"trinh-chieu-{unit}"))
