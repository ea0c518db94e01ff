"""The monthly outputs: an Excel workbook, a PowerPoint deck, a Word report and PNG charts, all
built from one `Report` of the engine's figures. No streamlit here."""
from __future__ import annotations

import atexit
import io
import os
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpi import charts, exports, fmt, history, measures, roster, scorecard, targets
from kpi.periods import Period
from kpi.store import DEMO_LABEL, Store

SHOWN = ("online", "cashless")  # the KPIs of Appendix 1, in every output
VERDICT = {True: "đạt", False: "chưa đạt"}


@dataclass(frozen=True)
class Report:
    card: scorecard.Scorecard
    previous: scorecard.Scorecard
    monthly: pd.DataFrame  # the area's rates month by month (history.trend)
    counts: pd.DataFrame  # the period's counts per unit: unit, group, *COUNTS summed over its months
    definitions: dict[int, dict[str, str]]  # each year's plan's definitions (Store.definitions_by_year)

    @property
    def period(self) -> Period:
        return self.card.period

    @property
    def name(self) -> str:
        """A file name: bao-cao-2024-03-month."""
        return f"bao-cao-{self.period.key}-{self.period.scope}"


def build(store: Store, period: Period, span: int = 24) -> Report:
    card = scorecard.build(store, period)
    previous = scorecard.build(store, period.previous())
    with store.reading():
        units, definitions = store.units(), store.definitions_by_year()
        trend = history.trend(history.panel(
            store.monthly_counts(history.window(store, (period.year, period.last_month), span)), units, definitions))
        counts = store.monthly_counts(period.months())
    counts = roster.fold(counts, units, roster.month_key(period.year, period.last_month))
    listed = card.sums[["unit", "group", "position"]].drop_duplicates("unit")
    counts = counts.merge(units[["unit_id", "unit"]], on="unit_id").merge(listed, on="unit")
    summed = counts.groupby(["position", "unit", "group"], sort=True)[list(measures.COUNTS)].sum(min_count=1)
    return Report(card, previous, trend, summed.reset_index().drop(columns="position"), definitions)


def _area_word(area: str) -> str:
    lowered = area.lower()
    for level in ("huyện", "tỉnh", "thành phố", "thị xã", "quận"):
        if lowered.startswith(level):
            return f"toàn {level}"
    return "toàn địa bàn"


def _scope_and_definitions(card: scorecard.Scorecard) -> str:
    """What every file states beside its figures: the coverage, then each judged KPI's definition."""
    said = [f"{measures.get(k).short}: {s}" for k in card.kpis_judged() if (s := card.coverage_said(k))]
    scope = "; ".join(said) + "." if said else "Số liệu của mọi đơn vị, mọi tháng trong kỳ."
    return scope + " Cách tính: " + "; ".join(
        f"{measures.get(k).label} = {measures.get(k).ratio(card.definitions).note}" for k in card.kpis_judged()) + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _verdict(row) -> str | None:
    """"đạt" or "chưa đạt" for a totals row that has a target and a verdict; else None."""
    return VERDICT[bool(row["met"])] if isinstance(row["target"], str) and pd.notna(row["met"]) else None


# -- Word ---------------------------------------------------------------------------------------------
def narrative(report: Report) -> list[str]:
    """The paragraphs the office writes by hand today, in Vietnamese, from the figures."""
    card = report.card
    totals = card.totals().set_index("kpi")
    scope = card.coverage("online")
    where = (_area_word(card.area) if scope["complete"] else  # a partial set is never the whole area
             f"{fmt.number(scope['units'])}/{fmt.number(scope['units_expected'])} đơn vị đã có số liệu"
             + (f" ({scope['months']}/{scope['months_expected']} tháng)" if scope["months_expected"] > 1 else ""))
    paragraphs = [] if card.plan else [f"{card.plan_name}: các tỷ lệ dưới đây không được đánh giá đạt hay chưa đạt."]
    online = totals.loc["online"]
    met, assessed = card.met_count("online")
    if pd.isna(online["denominator"]):
        paragraphs.append(f"{card.period.label}: chưa có số liệu hồ sơ tiếp nhận.")
    else:
        verdict = f"; chỉ tiêu {_lower_first(online['target'])}: {v}" if (v := _verdict(online)) else ""
        text = (f"{card.period.label}, {where} tiếp nhận {fmt.number(online['denominator'])} hồ sơ, trong đó "
                f"{fmt.number(online['numerator'])} hồ sơ trực tuyến ({online['shown']}{verdict}).")
        if assessed:
            text += f" {met}/{assessed} đơn vị đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến."
        change = fmt.change(online["rate"], report.previous.totals().set_index("kpi").at["online", "rate"])
        if change:
            differs = card.same_scope(report.previous, "online")
            text += f" So với {_lower_first(report.previous.period.label)}: {change}" + (
                f" ({differs})." if differs else ".")
        paragraphs.append(text)
        below = card.below_target("online")
        if not below.empty:
            listed = "; ".join(f"{r.unit} {r.shown} (chỉ tiêu {_lower_first(r.target)}, "
                               f"{scorecard.needed_phrase('online', r.needed)})" for r in below.itertuples())
            paragraphs.append(f"Các đơn vị chưa đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến: {listed}.")
    cashless = totals.loc["cashless"]
    if pd.isna(cashless["denominator"]) or cashless["denominator"] == 0:
        paragraphs.append("Thanh toán trực tuyến: kỳ này chưa có số liệu hồ sơ có nghĩa vụ tài chính.")
    else:
        met, assessed = card.met_count("cashless")
        verdict = f"; chỉ tiêu {_lower_first(cashless['target'])}: {v}" if (v := _verdict(cashless)) else ""
        text = (f"Thanh toán không dùng tiền mặt: {fmt.number(cashless['numerator'])}/"
                f"{fmt.number(cashless['denominator'])} hồ sơ ({cashless['shown']}{verdict}), tính trên "
                f"{measures.get('cashless').ratio(card.definitions).note.split(' / ', 1)[1]}"
                + (f"; {_lower_first(said)}." if (said := card.coverage_said("cashless")) else "."))
        if assessed:
            text += f" {met}/{assessed} đơn vị đạt chỉ tiêu."
        below = card.below_target("cashless")
        if not below.empty:
            text += " Chưa đạt: " + "; ".join(f"{r.unit} {r.shown} ({scorecard.needed_phrase('cashless', r.needed)})"
                                              for r in below.itertuples()) + "."
        paragraphs.append(text)
    ontime = totals.loc["ontime"]
    if pd.notna(ontime["denominator"]) and ontime["denominator"] > 0:
        late = int(report.counts["resolved_late"].sum()) if report.counts["resolved_late"].notna().any() else None
        verdict = f"; chỉ tiêu {_lower_first(ontime['target'])}: {v}" if (v := _verdict(ontime)) else ""
        text = (f"Giải quyết hồ sơ: {fmt.number(ontime['numerator'])}/{fmt.number(ontime['denominator'])} hồ sơ "
                f"giải quyết trước hạn và đúng hạn ({ontime['shown']}{verdict})")
        text += f"; {fmt.number(late)} hồ sơ quá hạn." if late is not None else "."
        apology = totals.loc["apology"]
        if late and pd.notna(apology["numerator"]):
            text += f" Đã gửi thư xin lỗi cho {fmt.number(apology['numerator'])}/{fmt.number(apology['denominator'])}" \
                    f" hồ sơ quá hạn."
        paragraphs.append(text)
    said = {*measures.ALWAYS_SHOWN, *(("ontime",) if pd.notna(ontime["denominator"]) and ontime["denominator"] > 0 else ())}
    judged = [k for k in card.kpis_judged() if k not in said]
    verdicts = []
    for key in judged:  # every other target of the plan gets its verdict
        row, kpi = totals.loc[key], measures.get(key)
        if pd.isna(row["denominator"]) or row["denominator"] == 0:
            verdicts.append(f"{kpi.label}: chưa có số liệu")
            continue
        met, assessed = card.met_count(key)
        verdict = f"; chỉ tiêu {_lower_first(row['target'])}: {v}" if (v := _verdict(row)) else ""
        verdicts.append(f"{kpi.label}: {fmt.number(row['numerator'])}/{fmt.number(row['denominator'])} hồ sơ "
                        f"({row['shown']}{verdict})" + (f", {met}/{assessed} đơn vị đạt" if assessed else ""))
    if verdicts:
        paragraphs.append("Các chỉ tiêu khác của kế hoạch: " + "; ".join(verdicts) + ".")
    return paragraphs


def to_docx(report: Report) -> bytes:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    card = report.card
    doc = Document()
    section = doc.sections[0]  # A4, as Vietnamese offices print (python-docx starts from US Letter)
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = Cm(3), Cm(2), Cm(2), Cm(2)
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(13)
    doc.add_heading(f"Báo cáo kết quả thực hiện dịch vụ công trực tuyến — {card.period.label}", level=1)
    doc.add_paragraph(f"{card.area} · {card.plan_name}")
    if card.sample:
        doc.add_paragraph().add_run(f"{DEMO_LABEL}: số liệu trong báo cáo này là dữ liệu mẫu.").bold = True
    for text in narrative(report):
        doc.add_paragraph(text)
    doc.add_paragraph(_scope_and_definitions(card))
    doc.add_heading("Xếp hạng đơn vị theo tỷ lệ hồ sơ trực tuyến", level=2)
    ranked = card.ranking("online")
    if ranked["rate"].notna().any():
        try:  # the ranking chart as a picture, drawn by the system's Chromium
            picture = png(charts.ranking_bars(ranked, "online", f"{measures.get('online').label} — {card.period.label}"),
                          width=1100, scale=2)
            doc.add_picture(io.BytesIO(picture), width=Cm(16))
        except ChartImageError as error:
            doc.add_paragraph(str(error))
    table_frame = _ranking_frame(card)
    table = doc.add_table(rows=1, cols=len(table_frame.columns))
    table.style = "Table Grid"
    table.autofit = False
    widths = {"Hạng": 1.3, "Đơn vị": 4.8, "Trực tuyến": 2.1, "Chỉ tiêu": 1.8, "Đánh giá": 1.8,
              "Không dùng tiền mặt": 2.0}  # cm, 16 across with "Cần thêm"; the unit's name the widest
    for cell, column in zip(table.rows[0].cells, table_frame.columns):
        cell.text = str(column)
        cell.paragraphs[0].runs[0].bold = True
    header = table.rows[0]._tr.get_or_add_trPr()  # the header row repeated on every page
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for row in table_frame.itertuples(index=False):
        for cell, value in zip(table.add_row().cells, row):
            cell.text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    for column, grid, name in zip(table.columns, table._tbl.tblGrid.gridCol_lst, table_frame.columns):
        grid.w = Cm(widths.get(name, 2.2))  # the grid is what Word and LibreOffice lay out by
        for cell in column.cells:
            cell.width = Cm(widths.get(name, 2.2))
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(11)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _ranking_frame(card: scorecard.Scorecard) -> pd.DataFrame:
    """The ranking by the online rate with the cashless rate beside it, as text for documents."""
    ranked = card.ranking("online")
    cashless = card.judged("cashless").set_index("unit")
    text = scorecard.ranking_text(ranked).assign(**{"Chỉ tiêu": ranked["target"].fillna("")})
    return text[["Hạng", "Đơn vị", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", scorecard.needed_heading("online")]].rename(
        columns={"Tỷ lệ": "Trực tuyến"}).assign(
        **{"Không dùng tiền mặt": ranked["unit"].map(cashless["shown"])})


# -- Excel --------------------------------------------------------------------------------------------
def to_xlsx(report: Report) -> bytes:
    """Ranking (frozen header, number formats, verdict colours by conditional formatting), the
    period's counts, and the plan's targets; every text cell stays text."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill

    card = report.card
    book = Workbook()
    sheet = book.active
    sheet.title = "Xếp hạng"
    sheet["A1"] = f"Xếp hạng đơn vị — {card.period.label} — {card.area}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"{card.plan_name}" + (f" · {DEMO_LABEL}" if card.sample else "")
    sheet["A3"] = _scope_and_definitions(card)
    rows = []
    ranked = card.ranking("online")
    by_unit = card.units.set_index(["unit", "kpi"])
    for r in ranked.itertuples():
        row = {"Hạng": r.rank, "Đơn vị": r.unit, "Nhóm": r.group}
        for key in SHOWN:
            v = by_unit.loc[(r.unit, key)]
            label = measures.get(key).short
            row[f"{label} (%)"] = None if pd.isna(v["rate"]) else round(float(v["rate"]), 2)
            row[f"{label}: chỉ tiêu"] = v["target"] if isinstance(v["target"], str) else None
            row[f"{label}: đánh giá"] = scorecard.STATUS_LABELS[v["status"]]
            row[f"{label}: {scorecard.needed_heading(key).lower()}"] = (int(v["needed"]) if v["status"] == scorecard.NOT_MET
                                                                       else None)
            row[f"{label}: tử số"] = None if pd.isna(v["numerator"]) else int(v["numerator"])
            row[f"{label}: mẫu số"] = None if pd.isna(v["denominator"]) else int(v["denominator"])
            row[f"{label}: thiếu (điểm %)"] = (round(float(v["gap"]), 2) if v["status"] == scorecard.NOT_MET
                                               else None)
        rows.append(row)
    frame = pd.DataFrame(rows)
    formats = {c: "0.00" for c in frame.columns if c.endswith("(%)") or c.endswith("(điểm %)")}
    formats |= {c: "#,##0" for c in frame.columns if c.endswith(("tử số", "mẫu số")) or "cần thêm" in c}
    exports.write_sheet(sheet, frame, formats, start_row=4)
    last = 4 + len(frame)
    green, amber, red = (PatternFill("solid", start_color=c, end_color=c) for c in ("C8E6C9", "FFF3C4", "FFCDD2"))
    for key in SHOWN:
        label = measures.get(key).short
        verdict = frame.columns.get_loc(f"{label}: đánh giá") + 1
        gap = frame.columns.get_loc(f"{label}: thiếu (điểm %)") + 1
        col, gap_col = sheet.cell(4, verdict).column_letter, sheet.cell(4, gap).column_letter
        area = f"{col}5:{col}{last}"
        sheet.conditional_formatting.add(area, FormulaRule(formula=[f'{col}5="Đạt"'], fill=green))
        sheet.conditional_formatting.add(area, FormulaRule(
            formula=[f'AND({col}5="Chưa đạt",{gap_col}5<={scorecard.NEAR_POINTS})'], fill=amber, stopIfTrue=True))
        sheet.conditional_formatting.add(area, FormulaRule(formula=[f'{col}5="Chưa đạt"'], fill=red))

    counts = report.counts.rename(columns={"unit": "Đơn vị", "group": "Nhóm", **measures.COUNTS})
    counts = counts.dropna(axis=1, how="all")
    exports.write_sheet(book.create_sheet("Số liệu"), counts, {c: "#,##0" for c in measures.COUNTS.values()})
    plan_targets = card.target_table.assign(
        level=card.target_table["level"].map(targets.LEVELS),
        kpi=card.target_table["kpi"].map(lambda k: measures.get(k).label))
    exports.write_sheet(book.create_sheet("Chỉ tiêu"), pd.DataFrame({
        "Chỉ tiêu": plan_targets["kpi"], "Áp dụng cho": plan_targets["level"], "Đơn vị / nhóm": plan_targets["subject"],
        "Mức (theo kế hoạch)": plan_targets["wording"],
        "So sánh": plan_targets["comparator"].map({"gt": "lớn hơn", "ge": "từ … trở lên"}),
        "Ngưỡng (%)": plan_targets["threshold"].astype(float)}), {"Ngưỡng (%)": "0.00"})
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- PowerPoint ---------------------------------------------------------------------------------------
UNITS_PER_SLIDE = 25
BAND_RGB = {"met": "2E7D32", "near": "F9A825", "below": "C62828", None: "9E9E9E"}


def _ranking_chart(s, rows: pd.DataFrame, kpi: str, left, top, width, height) -> None:
    """One bar a unit, coloured by its band, its own target in its label: one series, labels that do not
    overlap (the same design as the pages' chart)."""
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    data = CategoryChartData(number_format='0.00"%"')
    data.categories = [f"{u} (chỉ tiêu {t})" if isinstance(t, str) else u for u, t in zip(rows["unit"], rows["target"])]
    data.add_series(measures.get(kpi).label, [float(v) for v in rows["figure"]])
    chart = s.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data).chart
    chart.has_legend, chart.has_title = False, False  # the slide's title says it
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.has_data_labels = True
    plot.data_labels.position, plot.data_labels.font.size = XL_LABEL_POSITION.OUTSIDE_END, Pt(11)
    for point, band, figure in zip(plot.series[0].points, rows["band"], rows["shown"]):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(BAND_RGB.get(band if isinstance(band, str) else None))
        point.data_label.text_frame.text = figure  # "90,00%" the Vietnamese way, whatever the viewer's locale
        point.data_label.position = XL_LABEL_POSITION.OUTSIDE_END
        point.data_label.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
    chart.category_axis.tick_labels.font.size = Pt(10)
    axis = chart.category_axis._element  # every unit's name, none skipped to make room
    skip = axis.makeelement(qn("c:tickLblSkip"), {"val": "1"})
    after = axis.find(qn("c:noMultiLvlLbl"))
    after.addprevious(skip) if after is not None else axis.append(skip)
    chart.value_axis.maximum_scale, chart.value_axis.minimum_scale = 110.0, 0.0
    chart.value_axis.has_major_gridlines = False


def to_pptx(report: Report) -> bytes:
    """Title, area summary, ranking, units below target, trend; native, editable charts."""
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    card = report.card
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(40 / 3), Inches(7.5)  # 16:9
    title_only = deck.slide_layouts[5]
    label = f" · {DEMO_LABEL}" if card.sample else ""

    def slide(title: str):
        s = deck.slides.add_slide(title_only)
        # the template's placeholders are laid out for 4:3: stretched across the 16:9 slide
        s.shapes.title.left, s.shapes.title.top = Inches(0.5), Inches(0.3)
        s.shapes.title.width, s.shapes.title.height = Inches(12.3), Inches(1.0)
        s.shapes.title.text = title
        s.shapes.title.text_frame.paragraphs[0].font.size = Pt(32)
        footer = s.shapes.add_textbox(Inches(0.5), Inches(7.0), Inches(12.3), Inches(0.4)).text_frame
        footer.text = f"{card.area} · {card.period.label} · {card.plan_name}{label}"
        footer.paragraphs[0].font.size = Pt(12)
        return s

    first = deck.slides.add_slide(deck.slide_layouts[0])
    for shape, top, height in ((first.shapes.title, 1.8, 2.0), (first.placeholders[1], 4.0, 1.8)):
        shape.left, shape.top, shape.width, shape.height = Inches(0.8), Inches(top), Inches(11.7), Inches(height)
    first.shapes.title.text = f"Kết quả dịch vụ công trực tuyến\n{card.period.label}"
    first.placeholders[1].text = f"{card.area}\n{card.plan_name}" + (f"\n{DEMO_LABEL}" if card.sample
                                                                               else "")

    summary = slide(f"{card.area}: kết quả {_lower_first(card.period.label)}")
    totals = card.totals().set_index("kpi")
    shown = card.kpis_judged()
    table = summary.shapes.add_table(len(shown) + 1, 5, Inches(0.5), Inches(1.6), Inches(12.3), Inches(3)).table
    for i, head in enumerate(["Chỉ tiêu", "Tỷ lệ", "Số hồ sơ", "Chỉ tiêu kế hoạch", "Đơn vị đạt"]):
        table.cell(0, i).text = head
    for r, key in enumerate(shown, start=1):
        row = totals.loc[key]
        met, assessed = card.met_count(key)
        values = [measures.get(key).label, row["shown"],
                  f"{fmt.number(row['numerator'])}/{fmt.number(row['denominator'])}",
                  (f"{row['target']}: {v}" if (v := _verdict(row)) else
                   row["target"] if isinstance(row["target"], str) else "—"),
                  f"{met}/{assessed}" if assessed else "—"]
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for row in table.rows:
        for cell in row.cells:
            cell.text_frame.paragraphs[0].font.size = Pt(20 if len(shown) <= 3 else 14)
    # what the figures cover and how each is counted, on the slide that gives them, above the footer
    notes = summary.shapes.add_textbox(Inches(0.5), Inches(6.0), Inches(12.3), Inches(0.9)).text_frame
    notes.word_wrap = True
    notes.text = _scope_and_definitions(card)
    for paragraph in notes.paragraphs:
        paragraph.font.size = Pt(12)

    for key in SHOWN:
        ranked = card.ranking(key)
        rated = ranked[ranked["rate"].notna()]
        if rated.empty:
            s = slide(f"Xếp hạng: {_lower_first(measures.get(key).label)}")
            s.shapes.add_textbox(Inches(0.5), Inches(2), Inches(12), Inches(1)).text_frame.text = "Chưa có số liệu."
            continue
        parts = [rated.iloc[i:i + UNITS_PER_SLIDE] for i in range(0, len(rated), UNITS_PER_SLIDE)]
        for n, part in enumerate(parts, start=1):  # at most UNITS_PER_SLIDE bars a slide, continued on the next
            more = f" ({n}/{len(parts)})" if len(parts) > 1 else ""
            s = slide(f"Xếp hạng: {_lower_first(measures.get(key).label)}{more}")
            _ranking_chart(s, part.iloc[::-1], key, Inches(0.5), Inches(1.3), Inches(12.3), Inches(5.6))

    below = slide("Đơn vị chưa đạt chỉ tiêu và số hồ sơ cần thêm")
    rows = pd.concat([card.below_target(k).assign(kpi=k) for k in SHOWN])
    if rows.empty:
        below.shapes.add_textbox(Inches(0.5), Inches(2), Inches(12), Inches(1)).text_frame.text = "\n".join(
            dict.fromkeys(f"{measures.get(k).label}: {card.none_below(k)[1]}" for k in SHOWN))
    else:
        rows = rows.head(14)
        grid = below.shapes.add_table(len(rows) + 1, 5, Inches(0.5), Inches(1.4), Inches(12.3),
                                      Inches(0.4) * (len(rows) + 1)).table
        for i, head in enumerate(["Đơn vị", "Chỉ tiêu", "Tỷ lệ", "Mức kế hoạch", "Cần thêm để đạt"]):
            grid.cell(0, i).text = head
        for r, row in enumerate(rows.itertuples(), start=1):
            for c, value in enumerate([row.unit, measures.get(row.kpi).short, row.shown, row.target,
                                       scorecard.needed_phrase(row.kpi, row.needed)[9:]]):
                grid.cell(r, c).text = value

    trend = slide(f"Diễn biến theo tháng: {card.area}")
    monthly = report.monthly
    months = monthly[["year", "month"]].drop_duplicates().sort_values(["year", "month"])
    if not months.empty:
        data = CategoryChartData(number_format='0.00"%"')
        data.categories = [f"{m:02d}/{y}" for y, m in zip(months["year"], months["month"])]
        for key in SHOWN:
            series = months.merge(monthly[monthly["kpi"] == key], on=["year", "month"], how="left")["rate"]
            data.add_series(measures.get(key).label, [None if pd.isna(v) else round(float(v), 2) for v in series])
            target = totals.loc[key]
            if pd.notna(target["threshold"]):  # over the months of the plan's own year only
                data.add_series(f"Chỉ tiêu: {target['target']}", [float(target["threshold"]) if y == card.period.year
                                                                 else None for y in months["year"]])
        chart = trend.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(0.5), Inches(1.4), Inches(12.3),
                                       Inches(5.5), data).chart
        chart.has_legend, chart.legend.position, chart.legend.include_in_layout = True, XL_LEGEND_POSITION.BOTTOM, False
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# -- PNG ----------------------------------------------------------------------------------------------
_server_lock = threading.Lock()
_server_started = False


class ChartImageError(RuntimeError):
    """No browser to draw chart images with; the message says what to install, in Vietnamese."""


def _ensure_server() -> None:
    """One kaleido server (one Chromium) for every chart of the process, not a Chromium per chart."""
    global _server_started
    with _server_lock:
        if not _server_started:
            import kaleido

            # kaleido's server thread dies without a word when it finds no browser: look first
            explicit = os.environ.get("BROWSER_PATH")
            if explicit:
                found = explicit if os.path.exists(explicit) else None
            else:
                found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome",
                                                             "chrome"))), None)
            if not found:
                raise ChartImageError("Không vẽ được ảnh biểu đồ: máy chưa có trình duyệt Chromium (gói Debian "
                                      "«chromium», hoặc đặt biến BROWSER_PATH tới trình duyệt).")
            kaleido.start_sync_server(silence_warnings=True)
            atexit.register(kaleido.stop_sync_server, silence_warnings=True)
            _server_started = True


def png(figure, width: int = 1600, height: int | None = None, scale: float = 2) -> bytes:
    """The figure as a PNG, drawn by the persistent kaleido server with the system's Chromium."""
    _ensure_server()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")  # plotly's, with a server
        return figure.to_image(format="png", width=width, height=height or figure.layout.height or 700, scale=scale)


def figures(report: Report) -> dict[str, object]:
    """The report's charts by file name (without .png)."""
    card = report.card
    totals = card.totals().set_index("kpi")
    lines = charts.target_lines(totals)
    out = {"dien-bien-theo-thang": charts.trend(
        report.monthly, list(SHOWN), lines, f"{card.area}: tỷ lệ theo tháng", target_year=card.period.year,
        breaks=history.definition_breaks(report.monthly, report.definitions, list(SHOWN)))}
    for key in SHOWN:
        ranked = card.ranking(key)
        if ranked["rate"].notna().any():
            out[f"xep-hang-{key}"] = charts.ranking_bars(ranked, key, f"{measures.get(key).label} — "
                                                                      f"{card.period.label}")
    return out


def write_pngs(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures(report).items():
        path = folder / f"{name}-{report.period.key}.png"
        path.write_bytes(png(figure))
        written.append(path)
    return written
