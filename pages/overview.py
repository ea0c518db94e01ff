"""Tổng quan: the area's online and cashless rates against the plan's targets for a month."""
import streamlit as st

import ui
from kpi import fmt, measures
from kpi.periods import Period

st.title("Tổng quan")
available = ui.months()
if not available:
    st.info("Chưa có số liệu. Hãy nhập báo cáo tháng từ Hệ thống một cửa điện tử.")
    st.stop()

year, month = st.sidebar.selectbox(
    "Tháng", options=available[::-1], format_func=lambda ym: f"Tháng {ym[1]}/{ym[0]}", key="month")
card = ui.card(Period(year, month))
ui.sample_banner(card)
st.caption(f"{card.plan['area']} · {card.period.label} · {card.plan['name']}")

previous = ui.card(card.period.previous()).totals().set_index("kpi")
totals = card.totals().set_index("kpi")
for column, key in zip(st.columns(len(measures.ALWAYS_SHOWN)), measures.ALWAYS_SHOWN):
    kpi, row = measures.get(key), totals.loc[key]
    verdict = {True: ":green[**Đạt**]", False: ":red[**Chưa đạt**]"}.get(row["met"], "không đánh giá")
    with column.container(border=True):
        st.metric(kpi.label, fmt.percent(row["rate"]), delta=fmt.change(row["rate"], previous.loc[key, "rate"]),
                  help=f"Thay đổi so với {card.period.previous().label}")
        st.markdown(f"Chỉ tiêu: **{row['target'] if isinstance(row['target'], str) else fmt.MISSING}** — {verdict}")
        st.caption(f"{fmt.number(row['numerator'])} / {fmt.number(row['denominator'])} hồ sơ · "
                   f"Cách tính: {kpi.ratio(card.settings).note}")
