"""The monthly outputs, opened with their own libraries: the figures inside are the engine's."""
import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pandas as pd
import pytest
from docx import Document
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from conftest import ROOT, count_rows, download
from kpi import fmt, plan, reports, scorecard, setup
from kpi.periods import Period
from kpi.store import Store

EVIL = '=HYPERLINK("http://example.com","x")'


@pytest.fixture(scope="module")
def june(demo_db):
    return reports.build(Store(demo_db), Period(2024, 6))


def test_xlsx_ranking_counts_and_targets(june):
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(june)))
    assert book.sheetnames == ["Xếp hạng", "Số liệu", "Chỉ tiêu"]
    sheet = book["Xếp hạng"]
    assert sheet["A1"].value == "Xếp hạng đơn vị — Tháng 6/2024 — Huyện Mỹ Tú"
    assert "Dữ liệu mẫu" in sheet["A2"].value
    assert sheet["A3"].value.startswith("Số liệu của mọi đơn vị, mọi tháng trong kỳ. Cách tính: Tỷ lệ hồ sơ trực "
                                        "tuyến = hồ sơ trực tuyến / hồ sơ mới tiếp nhận")
    assert sheet.freeze_panes == "A5"
    for printed in book:  # A4 landscape, one page wide, the header row on every printed page
        assert (int(printed.page_setup.paperSize), printed.page_setup.orientation) == (9, "landscape")  # 9: A4
        assert printed.sheet_properties.pageSetUpPr.fitToPage and printed.page_setup.fitToWidth == 1
        assert printed.page_setup.fitToHeight == 0 and printed.print_title_rows
    assert sheet.print_title_rows == "$4:$4"
    header = [c.value for c in sheet[4]]
    rows = pd.DataFrame([[c.value for c in row] for row in sheet.iter_rows(min_row=5)], columns=header)
    ranked = june.card.ranking("online")
    assert rows["Đơn vị"].tolist() == ranked["unit"].tolist()
    assert rows["Trực tuyến (%)"].tolist() == [round(float(r), 2) for r in ranked["rate"]]
    tu_phap = rows.set_index("Đơn vị").loc["Phòng Tư pháp"]
    assert (tu_phap["Trực tuyến (%)"], tu_phap["Trực tuyến: chỉ tiêu"], tu_phap["Trực tuyến: đánh giá"],
            tu_phap["Trực tuyến: cần thêm (hồ sơ trực tuyến)"], tu_phap["Trực tuyến: tử số"], tu_phap["Trực tuyến: mẫu số"]) == \
        (90.0, "Trên 90", "Chưa đạt", 1, 45, 50)
    assert sheet.cell(5, header.index("Trực tuyến (%)") + 1).number_format == "0.00"
    rules = [r for rng in sheet.conditional_formatting for r in rng.rules]
    assert len(rules) == 6 and any('="Đạt"' in r.formula[0] for r in rules)
    counts = book["Số liệu"]
    count_rows_ = {row[0].value: row for row in counts.iter_rows(min_row=2)}
    heads = [c.value for c in counts[1]]
    assert count_rows_["Phòng Tư pháp"][heads.index("Tiếp nhận trực tuyến")].value == 45
    targets = [[c.value for c in row] for row in book["Chỉ tiêu"].iter_rows(min_row=2)]
    assert ["Tỷ lệ hồ sơ trực tuyến", "Toàn địa bàn", "Huyện Mỹ Tú", "Trên 80%", "lớn hơn", 80.0] in targets


def test_pptx_native_charts_hold_the_engines_rates(june):
    deck = Presentation(io.BytesIO(reports.to_pptx(june)))
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)  # 16:9
    slides = list(deck.slides)
    assert all(sh.left + sh.width <= deck.slide_width for s in slides for sh in s.shapes)  # nothing laid out for 4:3
    assert "Tháng 6/2024" in slides[0].shapes.title.text
    assert "Dữ liệu mẫu" in slides[0].placeholders[1].text
    summary = next(s for s in slides if s.shapes.title.text.startswith("Huyện Mỹ Tú: kết quả"))
    table = next(sh for sh in summary.shapes if sh.has_table).table
    assert any(sh.has_text_frame and sh.text_frame.text.startswith("Số liệu của mọi đơn vị, mọi tháng trong kỳ. Cách "
                                                                    "tính:") for sh in summary.shapes)
    assert [table.cell(1, c).text for c in range(5)] == ["Tỷ lệ hồ sơ trực tuyến", "90,51%", "1.469/1.623",
                                                        "Trên 80%: đạt", "14/21"]
    ranking = next(s for s in slides if s.shapes.title.text == "Xếp hạng: tỷ lệ hồ sơ trực tuyến")
    chart = next(sh for sh in ranking.shapes if sh.has_chart).chart
    assert len(chart.series) == 1  # one bar a unit; its target is in its label, not a second bar
    categories = list(chart.plots[0].categories)
    values = dict(zip(categories, chart.series[0].values))
    ranked = june.card.ranking("online")
    assert len(categories) == 21
    assert values["Phòng Tư pháp (chỉ tiêu Trên 90)"] == 90.0
    assert values["Văn phòng đăng ký đất đai (chỉ tiêu Trên 80)"] == float(
        ranked.set_index("unit").at["Văn phòng đăng ký đất đai", "figure"])
    assert sorted(values.values()) == sorted(float(f) for f in ranked["figure"])
    below = next(s for s in slides if s.shapes.title.text.startswith("Đơn vị chưa đạt"))
    grid = next(sh for sh in below.shapes if sh.has_table).table
    lines = [[grid.cell(r, c).text for c in range(5)] for r in range(1, len(grid.rows))]
    assert ["Phòng Tư pháp", "Trực tuyến", "90,00%", "Trên 90", "1 hồ sơ trực tuyến"] in lines
    trend = next(s for s in slides if s.shapes.title.text.startswith("Diễn biến"))
    line = next(sh for sh in trend.shapes if sh.has_chart).chart
    assert list(line.plots[0].categories)[-1] == "06/2024"
    assert line.series[0].values[-1] == round(90.51139864448552, 2)


def test_docx_narrative(june):
    doc = Document(io.BytesIO(reports.to_docx(june)))
    text = [p.text for p in doc.paragraphs]
    assert "Tháng 6/2024, toàn huyện tiếp nhận 1.623 hồ sơ, trong đó 1.469 hồ sơ trực tuyến (90,51%; chỉ tiêu trên " \
           "80%: đạt). 14/21 đơn vị đạt chỉ tiêu tỷ lệ hồ sơ trực tuyến." in " ".join(text)
    assert any("Phòng Tư pháp 90,00% (chỉ tiêu trên 90, cần thêm 1 hồ sơ trực tuyến)" in t for t in text)
    assert any(t.startswith("Thanh toán không dùng tiền mặt: 382/616 hồ sơ (62,01%; chỉ tiêu trên 40%: đạt)")
               for t in text)
    assert any(t.startswith("Dữ liệu mẫu") for t in text)
    table = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0][:3] == ["Hạng", "Đơn vị", "Trực tuyến"]
    assert ["15", "Phòng Tư pháp", "90,00%", "Trên 90", "Chưa đạt", "1"] == rows[15][:6]
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # A4
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # the header row repeats on each page
    widths = [g.w.cm for g in table._tbl.tblGrid.gridCol_lst]
    assert widths[1] == max(widths) and round(sum(widths), 1) <= 16.1  # the unit's name the widest, within A4
    assert len(doc.inline_shapes) == 1  # the ranking chart as a picture


def test_pngs_are_real_images(june, tmp_path):
    from PIL import Image
    written = reports.write_pngs(june, tmp_path)
    assert [p.name for p in written] == ["dien-bien-theo-thang-2024-06.png", "xep-hang-online-2024-06.png",
                                         "xep-hang-cashless-2024-06.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            assert image.width == 3200  # 1600 px at scale 2


def test_hyperlink_unit_is_text_in_every_export(tmp_path):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    store.import_counts(count_rows([{"unit": EVIL, "year": 2024, "month": 3, "received_online": 3,
                                     "received_offline": 7, "fee_online": 2, "paid_online": 0}]),
                        file_name="t3.xlsx", new_units=pd.DataFrame({"unit": [EVIL], "group": ["Một cửa cấp xã"]}))
    report = reports.build(store, Period(2024, 3))
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(report)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)  # ranking and counts
    deck = Presentation(io.BytesIO(reports.to_pptx(report)))
    texts = [sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame]
    tables = [c.text for s in deck.slides for sh in s.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    charts = [str(cat) for s in deck.slides for sh in s.shapes if sh.has_chart for cat in sh.chart.plots[0].categories]
    assert EVIL in tables and f"{EVIL} (chỉ tiêu Trên 90)" in charts and not any(t.startswith("=") for t in texts)
    doc = Document(io.BytesIO(reports.to_docx(report)))
    assert any(EVIL in c.text for row in doc.tables[0].rows for c in row.cells)
    assert not doc.element.xpath("//w:fldSimple | //w:instrText")  # no Word field codes


def test_report_cli_writes_every_file(cli_env, tmp_path):
    assert subprocess.run([sys.executable, "-m", "kpi", "init", "--demo"], cwd=ROOT, env=cli_env).returncode == 0
    out = subprocess.run([sys.executable, "-m", "kpi", "report", "--period", "2024-06", "--scope", "quarter",
                          "--xlsx", str(tmp_path / "q.xlsx"), "--pptx", str(tmp_path / "q.pptx"),
                          "--docx", str(tmp_path / "q.docx"), "--png", str(tmp_path / "png")],
                         cwd=ROOT, env=cli_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Đã ghi báo cáo Quý II/2024:")
    rank = json.loads(subprocess.run([sys.executable, "-m", "kpi", "ranking", "--period", "2024-06", "--scope",
                                      "quarter", "--format", "json"], cwd=ROOT, env=cli_env, capture_output=True,
                                     text=True).stdout)
    sheet = openpyxl.load_workbook(tmp_path / "q.xlsx")["Xếp hạng"]
    first = [c.value for c in sheet[5]]
    assert first[1] == rank["units"][0]["unit"] and first[3] == round(rank["units"][0]["kpis"]["online"]["rate"], 2)
    assert len(list((tmp_path / "png").glob("*.png"))) == 3
    none = subprocess.run([sys.executable, "-m", "kpi", "report", "--period", "2024-06"], cwd=ROOT, env=cli_env,
                          capture_output=True, text=True)
    assert none.returncode == 2 and "Hãy chọn ít nhất một đầu ra" in none.stderr


def test_report_page_downloads_each_file(demo_env, served):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["period"] = "2024-06"
    at.run()
    at.switch_page("views/report.py").run()
    assert not at.exception
    card = scorecard.build(Store(demo_env), Period(2024, 6))
    online = card.totals().set_index("kpi").loc["online"]
    assert at.markdown[0].value.startswith(f"Tháng 6/2024, toàn huyện tiếp nhận {fmt.number(online['denominator'])}")
    xlsx = openpyxl.load_workbook(io.BytesIO(download(at, "Excel (.xlsx)", served)))
    assert xlsx["Xếp hạng"]["B5"].value == card.ranking("online")["unit"].iloc[0]
    deck = Presentation(io.BytesIO(download(at, "PowerPoint (.pptx)", served)))
    assert len(deck.slides) == 6
    doc = Document(io.BytesIO(download(at, "Word (.docx)", served)))
    assert doc.paragraphs[0].text == "Báo cáo kết quả thực hiện dịch vụ công trực tuyến — Tháng 6/2024"
    pngs = zipfile.ZipFile(io.BytesIO(download(at, "Biểu đồ PNG (.zip)", served)))
    assert sorted(pngs.namelist()) == ["dien-bien-theo-thang-2024-06.png", "xep-hang-cashless-2024-06.png",
                                       "xep-hang-online-2024-06.png"]
    assert all(pngs.read(n)[:4] == b"\x89PNG" for n in pngs.namelist())


def test_presentation_mode_steps_through_its_views(demo_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["period"] = "2024-06"
    at.query_params["view"] = "chua-dat"
    at.run()
    at.switch_page("views/present.py").run()
    assert at.title[0].value == "Đơn vị chưa đạt — Tháng 6/2024"
    online = at.table[0].value  # the units below target, as on the other pages
    assert online.loc["Phòng Tư pháp"].tolist() == ["90,00%", "Trên 90", "1"]
    assert at.button(key="next_page").label == "Trang sau"  # PageDown's button, unseen
    at.button(key="next").click().run()
    assert at.title[0].value == "Diễn biến đơn vị — Tháng 6/2024" and at.query_params["view"] == "don-vi"
    at.button(key="next").click().run()
    assert at.title[0].value == "Tóm tắt — Tháng 6/2024"
    assert [m.value for m in at.metric] == ["90,51%", "62,01%"]
    at.button(key="previous_page").click().run()  # PageUp
    assert at.title[0].value == "Diễn biến đơn vị — Tháng 6/2024"


def test_png_without_a_browser_says_what_to_install(cli_env, tmp_path):
    assert subprocess.run([sys.executable, "-m", "kpi", "init", "--demo"], cwd=ROOT, env=cli_env).returncode == 0
    out = subprocess.run([sys.executable, "-m", "kpi", "report", "--period", "2024-06", "--png", str(tmp_path)],
                         cwd=ROOT, env={**cli_env, "BROWSER_PATH": str(tmp_path / "no-chromium")},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "Không vẽ được ảnh biểu đồ: máy chưa có trình duyệt Chromium" in out.stderr


def test_a_partial_month_and_a_year_to_date_with_missing_months_say_what_they_cover(store):
    from conftest import app_test
    rows = [{"unit": u, "year": 2024, "month": 3, "received_online": 45, "received_offline": 5}
            for u in ["Phòng Tư pháp", "Phòng Nội vụ", "Xã Mỹ Hương"]]  # 3 of the plan's 21 units
    rows += [{"unit": "Phòng Tư pháp", "year": 2024, "month": m, "received_online": 10, "received_offline": 0,
              "fee_online": 10 if m == 3 else None, "paid_online": 5 if m == 3 else None} for m in (1, 2)]
    rows[0].update(fee_online=10, paid_online=5)
    store.import_counts(count_rows(rows), file_name="t3.xlsx")
    month = scorecard.build(store, Period(2024, 3))
    assert month.coverage_said("online") == "Số liệu của 3/21 đơn vị"
    paragraphs = reports.narrative(reports.build(store, Period(2024, 3)))
    assert paragraphs[0].startswith("Tháng 3/2024, 3/21 đơn vị đã có số liệu tiếp nhận 150 hồ sơ")
    assert not any("toàn huyện" in p for p in paragraphs)
    ytd = scorecard.build(store, Period(2024, 3, "ytd"))
    assert ytd.coverage_said("cashless") == "Số liệu của 1/21 đơn vị, 1/3 tháng (thiếu tháng 1–2/2024)"
    assert ytd.coverage_said("online") == "Số liệu của 3/21 đơn vị, 3/3 tháng"
    import os
    os.environ["KPI_DB"] = str(store.path)
    try:
        at = app_test(period="2024-03", scope="ytd")
        at.run()
    finally:
        del os.environ["KPI_DB"]
    assert not at.exception
    warning = at.warning[0].value
    assert warning == ("Lũy kế đến tháng 3/2024 chưa đủ số liệu: «Trực tuyến»: số liệu của 3/21 đơn vị, 3/3 tháng; «Không "
                       "dùng tiền mặt»: số liệu của 1/21 đơn vị, 1/3 tháng (thiếu tháng 1–2/2024); các tỷ lệ chỉ tính "
                       "trên phần đã có.")
    assert ":orange[Số liệu của 3/21 đơn vị, 3/3 tháng]" in [c.value for c in at.caption]


def test_every_target_of_a_plan_that_sets_six_kpis_gets_its_verdict(store):
    from conftest import app_test
    plan_id = int(store.plan_of_year(2024)["plan_id"])
    area = store.area()["name"]
    more = pd.DataFrame([
        {"kpi": k, "level": "area", "subject": area, "comparator": "ge", "threshold": t, "wording": w}
        for k, t, w in [("ontime", 98, "Từ 98% trở lên"), ("fully_online", 30, "Tối thiểu 30%"),
                        ("digitised", 100, "100%"), ("apology", 100, "100%")]])
    store.set_targets(plan_id, pd.concat([store.targets(plan_id), more], ignore_index=True))
    store.import_counts(count_rows([{
        "unit": "Phòng Tư pháp", "year": 2024, "month": 3, "received_online": 45, "received_offline": 5,
        "resolved": 50, "resolved_early": 40, "resolved_on_time": 9, "resolved_late": 1, "fully_online": 20,
        "digitised": 50, "apology_letters": 1}]), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    assert card.kpis_judged() == ["online", "cashless", "ontime", "fully_online", "digitised", "apology"]
    paragraphs = reports.narrative(reports.build(store, Period(2024, 3)))
    assert paragraphs[-1] == (
        "Các chỉ tiêu khác của kế hoạch: Tỷ lệ hồ sơ trực tuyến toàn trình: 20/50 hồ sơ (40,00%; chỉ tiêu tối thiểu "
        "30%: đạt); Tỷ lệ số hóa hồ sơ: 50/50 hồ sơ (100,00%; chỉ tiêu 100%: đạt); Tỷ lệ hồ sơ quá hạn có thư xin lỗi: "
        "1/1 hồ sơ (100,00%; chỉ tiêu 100%: đạt).")
    import os
    os.environ["KPI_DB"] = str(store.path)
    try:
        at = app_test(period="2024-03")
        at.run()
    finally:
        del os.environ["KPI_DB"]
    assert not at.exception
    assert [m.label for m in at.metric] == ["Tỷ lệ hồ sơ trực tuyến", "Tỷ lệ thanh toán không dùng tiền mặt",
                                            "Tỷ lệ giải quyết đúng hạn", "Tỷ lệ hồ sơ trực tuyến toàn trình",
                                            "Tỷ lệ số hóa hồ sơ", "Tỷ lệ hồ sơ quá hạn có thư xin lỗi"]
    assert [m.value for m in at.metric][2:] == ["98,00%", "40,00%", "100,00%", "100,00%"]
