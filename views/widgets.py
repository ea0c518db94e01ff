"""What the pages show of a scorecard: the period's caption and coverage, targets and verdicts, the units
below target, charts and tables in Vietnamese. Built on `ui` (the store, the session, the period frame)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, fmt, history, measures, plan, scorecard, service
from kpi.service import StoreError
from views.ui import actor, attempt, doorway, facts, months, plain

# a verdict's colour: green met, amber below by at most NEAR_POINTS, red further below; grey, no verdict
BAND_COLOURS = {"met": "#c8e6c9", "near": "#fff3c4", "below": "#ffcdd2"}
_UNJUDGED = [s for s in scorecard.STATUS_LABELS if s not in (scorecard.MET, scorecard.NOT_MET)]
_VERDICT_WORDS = {**scorecard.STATUS_LABELS, "near": scorecard.STATUS_LABELS[scorecard.NOT_MET],
                  "below": scorecard.STATUS_LABELS[scorecard.NOT_MET]}


def caption(card: scorecard.Scorecard) -> None:
    st.caption(plain(f"{card.area} · {card.period.label} · {card.plan_name}")
               + (f" · Kỳ báo cáo {card.windows_said}" if card.windows else ""))
    if card.plan is None:
        no_plan(card.period.year)
    if not card.months_present:
        st.info(f"Chưa có số liệu của {card.period.label}.", icon=":material/info:")
        have = months()
        if have:  # the nearest month with data, one click away
            end = card.period.year * 12 + card.period.last_month
            nearest = min(have, key=lambda ym: (abs(ym[0] * 12 + ym[1] - end), -(ym[0] * 12 + ym[1])))
            if st.button(f"Xem tháng gần nhất có số liệu: tháng {nearest[1]}/{nearest[0]}", key="nearest_month",
                         icon=":material/event_available:"):
                st.session_state["_period"] = nearest
                st.session_state.pop("_asked_month", None)
                st.rerun()
    else:
        said = {k: s for k in card.kpis_with_data() if card.coverage(k)["units"] and (s := card.coverage_said(k))}
        if said:  # a figure over part of the units or months is never the whole area's
            common = set(said.values())
            what = (f"{next(iter(common)).lower()}" if len(common) == 1 and len(said) == len(
                [k for k in card.kpis_with_data() if card.coverage(k)["units"]]) else
                "; ".join(f"«{measures.get(k).short}»: {s[0].lower()}{s[1:]}" for k, s in said.items()))
            st.warning(f"{card.period.label} chưa đủ số liệu: {what}; các tỷ lệ chỉ tính trên phần đã có.",
                       icon=":material/rule:")
    definitions_allowed(card.instead(), card.plan)


def definitions_allowed(found: list, plan: dict | None) -> None:
    """Say which KPIs the plan's definition leaves without data while another definition has it, and
    let an admin switch the plan to that definition."""
    for i, instead in enumerate(found):
        st.info(plain(instead.sentence), icon=":material/rule:")
        if plan is None:
            continue
        if actor().may(service.ACTIONS["definition"][0]):
            if st.button(f"Tính theo định nghĩa này cho {plan['name']}", key=f"instead_{instead.kpi.key}_{i}",
                         icon=":material/published_with_changes:"):
                attempt(lambda: doorway().set_definition(int(plan["plan_id"]), instead.kpi.key, instead.other),
                        f"Đã đổi cách tính «{instead.kpi.label}» của {plan['name']}: {instead.kpi.variants[instead.other].note}.")
        else:
            st.caption("Quản trị viên có thể đổi cách tính ở trang «Chỉ tiêu».")


def no_plan(year: int) -> None:
    """Say that the year has no plan, so nothing is judged, and offer to copy the nearest year's."""
    plans = facts()["plans"]
    st.warning(f"**{plan.no_plan(year)}**: các tỷ lệ dưới đây không được đánh giá đạt hay chưa đạt, vì năm {year} "
               "chưa có chỉ tiêu.", icon=":material/event_busy:")
    left, right = st.columns([1, 1])
    earlier, later = plans[plans["year"] < year], plans[plans["year"] > year]
    if (len(earlier) or len(later)) and actor().may("admin"):
        source = int(earlier["year"].max()) if len(earlier) else int(later["year"].min())
        left.button(f"Chép kế hoạch năm {source} sang năm {year}", key=f"copy_plan_{year}", icon=":material/content_copy:",
                    on_click=copy_plan, args=(source, year))
    right.page_link("views/targets.py", label=f"Nhập hoặc soạn kế hoạch năm {year}", icon=":material/target:")


def copy_plan(source: int, year: int) -> None:
    """Next year's plan to start from: the chosen year's, copied (a button's callback)."""
    try:
        stored = doorway().copy_plan(source, year)
    except (ValueError, StoreError) as error:
        st.session_state["flash"] = ("error", str(error))
        return
    st.session_state["flash"] = ("success", f"Đã chép kế hoạch năm {source} sang năm {year}: «{stored.name}». Sửa chỉ "
                                            f"tiêu của năm {year} ở trang «Chỉ tiêu».")


def trend(rows: pd.DataFrame, kpis: list[str], card: scorecard.Scorecard, lines: dict, title: str):
    """charts.trend with the card's targets over its own year, and where a KPI starts being counted
    another way."""
    return charts.trend(rows, kpis, lines, title, target_year=card.period.year,
                        breaks=history.definition_breaks(rows, facts()["definitions"], kpis))


def below_list(card: scorecard.Scorecard, kpi: str, limit: int | None = None, group: str | None = None,
               container=st) -> None:
    """The units below target for a KPI as a short table, "và N đơn vị khác" when the list is cut, and
    what the dossiers needed count."""
    below = card.below_target(kpi, group=group)
    if below.empty:
        good, why = card.none_below(kpi)
        (container.success if good else container.info)(why, icon=":material/check_circle:" if good else
                                                        ":material/info:")
        return
    shown = below.head(limit) if limit else below
    # a plain table: read on a phone without sideways scrolling, its text found by a browser's search
    ahead = card.ahead(kpi)
    table = scorecard.below_table(shown, kpi, ahead)
    table[["Đơn vị", "Chỉ tiêu"]] = table[["Đơn vị", "Chỉ tiêu"]].map(plain)  # st.table reads its cells as Markdown
    container.table(table.set_index("Đơn vị"))
    more = (f"Và {fmt.number(len(below) - len(shown))} đơn vị khác chưa đạt (xem trang «Xếp hạng»). "
            if len(below) > len(shown) else "")
    container.caption(more + scorecard.needed_help(kpi, card.definitions) + (" " + ahead.help if ahead else ""))


def counted_otherwise(earlier: scorecard.Scorecard, card: scorecard.Scorecard, kpi: str) -> str:
    """'; kỳ đó tính theo …' when the earlier period's plan counts a KPI another way: a change across
    definitions is said, not hidden."""
    was, now = measures.get(kpi).ratio(earlier.definitions), measures.get(kpi).ratio(card.definitions)
    return "" if was == now else f" (kỳ đó tính theo cách khác: {was.note})"


def target_line(card: scorecard.Scorecard, target, verdict: str) -> str:
    """'Chỉ tiêu: **Trên 90** — Đạt', or that the plan sets none, or that the year has no plan."""
    if card.plan is None:
        return f"{card.plan_name}: không đánh giá"
    if not isinstance(target, str):
        return "Không có chỉ tiêu"
    return f"Chỉ tiêu: **{target}** — {verdict}"


def chart_config(file_name: str) -> dict:
    """plotly's toolbar: a PNG download with a Vietnamese file name, at a high resolution."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 3}}


def judged_table(table: pd.DataFrame, rows: pd.DataFrame, key: str, column: str = "Đánh giá") -> None:
    """A table of units (scorecard.ranking_text of `rows`) with each verdict on its band's colour, drawn by the
    table itself: a pandas Styler would cost about a second and 35 MB a run for 3.321 units."""
    verdicts = rows["band"].where(rows["band"].notna(), rows["status"])
    options = [*BAND_COLOURS, *_UNJUDGED]
    st.dataframe(table.assign(**{column: [[v] for v in verdicts]}), hide_index=True, width="stretch", key=key,
                 column_config={column: st.column_config.MultiselectColumn(
                     column, options=options, format_func=_VERDICT_WORDS.get,
                     color=[*BAND_COLOURS.values(), *["#eeeeee"] * len(_UNJUDGED)])})


def flag_list(found: pd.DataFrame) -> None:
    """Data-quality flags as a list the user reads."""
    if found.empty:
        st.caption("Không phát hiện bất thường trong số liệu của kỳ này.")
        return
    st.warning(f"{len(found)} điểm cần kiểm tra trong số liệu:", icon=":material/flag:")
    st.dataframe(pd.DataFrame({"Đơn vị": found["unit"], "Nội dung": found["message"]}), hide_index=True,
                 width="stretch")
