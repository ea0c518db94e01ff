"""Plotly figures: DataFrame in, figure out, no I/O. Numbers the Vietnamese way (82,13%)."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from kpi import fmt, measures
from kpi.text import HIDDEN

COLOURS = {"met": "#2e7d32", "near": "#f9a825", "below": "#c62828", None: "#9e9e9e"}
LINE_COLOURS = {"online": "#1565c0", "cashless": "#6a1b9a", "ontime": "#00838f", "fully_online": "#ef6c00",
                "digitised": "#5d4037", "ecert": "#ad1457", "apology": "#455a64"}
MAX_BARS = 60  # a province has thousands of units: the bar chart shows the units most below target


def shown(value) -> str:
    """A name inside a chart, shown as written: plotly reads <a>, <b>, <img-like> tags in its texts."""
    return html.escape(HIDDEN.sub("�", str(value)), quote=False)


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=shown(title), separators=",.", height=height, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", y=-0.15), template="plotly_white",
                      font=dict(family="Arial, sans-serif", size=14))
    return fig


def _month_labels(frame: pd.DataFrame) -> list[str]:
    return [f"{m:02d}/{y}" for y, m in zip(frame["year"], frame["month"])]


def target_lines(rows: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """kpi -> (threshold, wording) for `trend`, from rows indexed by kpi (Scorecard.totals, or a
    unit's rows of Scorecard.units); a KPI without a target has no line."""
    return {k: (float(r["threshold"]), r["target"]) for k, r in rows.iterrows() if pd.notna(r["threshold"])}


def trend(rows: pd.DataFrame, kpis: list[str], targets: dict[str, tuple[float, str]], title: str,
          target_year: int | None = None, breaks: list[tuple[int, str]] = ()) -> go.Figure:
    """Monthly rates of `kpis` (rows: year, month, kpi, rate, numerator, denominator), each with
    its target as a dashed line labelled in the plan's words (targets: kpi -> (threshold, wording)),
    drawn over the months of `target_year` only: a plan judges its own year. `breaks`: (year, text)
    where the KPIs start being counted another way, marked at that year's first month."""
    fig = go.Figure()
    months = rows[["year", "month"]].drop_duplicates().sort_values(["year", "month"])
    labels = _month_labels(months)
    for key in kpis:
        line = rows[rows["kpi"] == key].sort_values(["year", "month"])
        if line.empty:
            continue
        label = measures.get(key).label
        fig.add_trace(go.Scatter(
            x=_month_labels(line), y=line["rate"].astype(float), mode="lines+markers", name=label,
            line=dict(color=LINE_COLOURS.get(key), width=3),
            customdata=[[fmt.percent(r), fmt.number(n), fmt.number(d)] for r, n, d in
                        zip(line["rate"], line["numerator"], line["denominator"])],
            hovertemplate="%{x}: %{customdata[0]} (%{customdata[1]}/%{customdata[2]} hồ sơ)<extra>" + label
                          + "</extra>"))
        if key in targets:
            threshold, wording = targets[key]
            judged = [i for i, y in enumerate(months["year"]) if target_year is None or y == target_year]
            if not judged:
                continue
            fig.add_shape(type="line", xref="x", x0=judged[0] - 0.4, x1=judged[-1] + 0.4, y0=threshold, y1=threshold,
                          line=dict(color=LINE_COLOURS.get(key), dash="dash", width=2))
            # short and ending at the line's end: a phone's narrow chart keeps it whole; the colour says which KPI
            fig.add_annotation(x=judged[-1] + 0.4, y=threshold, xref="x", text=f"Chỉ tiêu: {wording}",
                               showarrow=False, xanchor="right", yanchor="bottom", font=dict(color=LINE_COLOURS.get(key)))
    for year, text in breaks:
        first = [i for i, y in enumerate(months["year"]) if y == year]
        if first and first[0] > 0:
            fig.add_vline(x=first[0] - 0.5, line_dash="dot", line_color="#616161")
            fig.add_annotation(x=first[0] - 0.5, y=0, yref="paper", text=text, showarrow=False, xanchor="left",
                               yanchor="bottom", font=dict(size=12, color="#424242"), bgcolor="rgba(255,255,255,0.8)")
    fig.update_yaxes(title="Tỷ lệ (%)", ticksuffix="%", rangemode="tozero")
    # at most 12 month names, slanted: they never run into each other, even on a phone
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, nticks=12, tickangle=-45)
    # the legend above the plot, under the title: the slanted month names below take the room they need
    return _layout(fig, title).update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
                                             margin=dict(t=90))


def ranking_bars(ranked: pd.DataFrame, kpi: str, title: str) -> go.Figure:
    """Each unit's rate as a bar coloured by its band, its own target marked on the bar.
    ranked: Scorecard.ranking rows (unit, rate, threshold, target, band, needed)."""
    rows = ranked[ranked["rate"].notna()]
    if len(rows) > MAX_BARS:
        rows = rows.sort_values("gap", ascending=False, na_position="last").head(MAX_BARS)
        rows = rows.sort_values("rate", ascending=False)
    rows = rows.iloc[::-1]  # best at the top
    labels = [shown(u) for u in rows["unit"]]
    fig = go.Figure(go.Bar(
        x=rows["rate"].astype(float), y=labels, orientation="h", name=measures.get(kpi).label,
        marker_color=[COLOURS.get(b if isinstance(b, str) else None) for b in rows["band"]],
        text=rows["shown"].tolist(), textposition="none",
        customdata=[[t if isinstance(t, str) else fmt.MISSING, fmt.number(n) if pd.notna(n) and n else ""]
                    for t, n in zip(rows["target"], rows["needed"])],
        hovertemplate="%{y}: %{text} — chỉ tiêu %{customdata[0]}<extra></extra>"))
    # each value beyond both its bar and its target's marker: never struck through by the marker
    beyond = pd.concat([rows["rate"].astype(float), rows["threshold"].astype(float)], axis=1).max(axis=1)
    fig.add_trace(go.Scatter(x=beyond, y=labels, mode="text", text=rows["shown"].tolist(), textposition="middle right",
                             texttemplate="  %{text}", cliponaxis=False, showlegend=False, hoverinfo="skip"))
    marked = rows[rows["threshold"].notna()]
    fig.add_trace(go.Scatter(
        x=marked["threshold"].astype(float), y=[shown(u) for u in marked["unit"]], mode="markers",
        name="Chỉ tiêu của đơn vị",
        marker=dict(symbol="line-ns-open", size=22, color="#212121", line=dict(width=3, color="#212121")),
        hovertemplate="%{y}: chỉ tiêu %{x}%<extra></extra>"))
    fig.update_xaxes(title="Tỷ lệ (%)", ticksuffix="%", range=[0, 118])
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(320, 28 * len(rows) + 140))


def ranks(rows: pd.DataFrame, title: str) -> go.Figure:
    """A unit's rank month by month (rows: year, month, rank, group_rank), first place on top."""
    fig = go.Figure()
    x = _month_labels(rows)
    fig.add_trace(go.Scatter(x=x, y=rows["rank"].astype(float), mode="lines+markers", name="Hạng chung"))
    fig.add_trace(go.Scatter(x=x, y=rows["group_rank"].astype(float), mode="lines+markers", name="Hạng trong nhóm"))
    fig.update_yaxes(autorange="reversed", title="Hạng", rangemode="tozero")
    fig.update_xaxes(type="category")
    return _layout(fig, title, height=360)


def large(fig: go.Figure) -> go.Figure:
    """The same figure in type a projector's back row can read."""
    fig.update_layout(font=dict(size=22), title_font=dict(size=32), margin=dict(l=20, r=20, t=80, b=20),
                      legend_font_size=22)
    # said on each axis: a theme (Streamlit's) sets tick labels of its own, 12 px
    fig.update_xaxes(tickfont_size=22, title_font_size=22)
    fig.update_yaxes(tickfont_size=22, title_font_size=22)
    fig.update_traces(textfont_size=22, selector=dict(mode="text"))
    bars = [t for t in fig.data if t.type == "bar"]
    if bars:  # a row of 22 px type per unit, so that no unit's name is skipped; the legend below the axis title
        fig.update_layout(height=max(fig.layout.height or 0, 46 * len(bars[0].y) + 240),
                          legend=dict(y=-0.12 - 2.6 / max(len(bars[0].y), 6) * 0.1, yanchor="top"))
    return fig
