"""Files made to hurt: far cells that make the parser ask for hundreds of gigabytes, formulas without
values, duplicate zip entries, DTDs, broken CSV. Each is refused in Vietnamese, the process that read
it survives, and the database is left as it was."""
import io
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import app_test
from kpi import ingest
from kpi.ingest import isolation, readers
from kpi.ingest.readers import InputError
from kpi.store import Store
from sheets import bieu06, counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def raw_xlsx(cells: str, workbook_head: str = "", extra: list[tuple[str, str]] = (), sheets: int = 1) -> bytes:
    """A minimal workbook written by hand, as a crafted file would be: `cells` is the sheetData of
    every sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
                   'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        listed = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?>{workbook_head}<workbook xmlns="{MAIN}" xmlns:r="http://'
                   f'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">' + "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, sheets + 1)) + "</Relationships>")
        for i in range(1, sheets + 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData>'
                       '</worksheet>')
        for name, text in extra:
            z.writestr(name, text)
    return out.getvalue()


def refused(data: bytes, name: str = "t.xlsx") -> str:
    """The sentence a file is refused with; the store it would go to does not exist: a refused file never
    reaches it."""
    with pytest.raises(InputError) as caught:
        ingest.prepare(name, data, Store(Path(tempfile.gettempdir()) / "never-made" / "kpi.duckdb"))
    return str(caught.value)


def test_a_cell_far_beyond_the_limits_is_refused_by_the_scan_whichever_finishes_first():
    """The cells are parsed while the XML is scanned: on this tiny file the parser often asks for its 512 GB
    grid and dies before the scan has refused the far cell; the scan's own sentence is given either way."""
    far = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    assert len(far) < 2000
    for _ in range(4):
        assert refused(far) == ("Tệp t.xlsx, trang «S1» có dòng 1.048.576, ngoài giới hạn 300.000 dòng × 200 cột "
                                "(đến cột GR); tệp này không phải báo cáo tháng hoặc đã bị sửa hỏng.")
    wide = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c><c r="ZZ9"><v>1</v></c></row>')
    assert "có ô ZZ9, ngoài giới hạn" in refused(wide)


def test_a_grid_too_big_for_memory_kills_only_the_worker():
    """GR300000 is within the row and column limits, but its grid is 60 million cells: the parser runs out
    of its worker's memory and aborts there; this process answers, and the next file reads."""
    huge = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="299999"><c r="GR299999"><v>1</v></c></row>')
    assert refused(huge) == ("Tệp t.xlsx không đọc được: quá lớn hoặc hỏng (bộ đọc bảng tính cần quá 1.024 MB bộ "
                             "nhớ, hoặc dừng đột ngột).")
    good = bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5))])])
    assert isolation.read("t3.xlsx", good)[0].height > 5


def test_a_formula_without_its_value_names_its_cell():
    data = raw_xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                    '<row r="7"><c r="C7"><f>SUM(C8:C9)</f></c></row>')
    assert refused(data) == ("Tệp t.xlsx, trang «S1», ô C7: công thức chưa có giá trị đã tính (tệp do một chương "
                             "trình ghi, chưa mở bằng Excel). Hãy mở tệp bằng Excel, lưu lại rồi tải lên.")
    with_value = raw_xlsx('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>')
    assert readers.read("t.xlsx", with_value)[0].rows() == [["2"]]


@pytest.mark.filterwarnings("ignore:Duplicate name")  # the crafted file itself
def test_two_copies_of_one_entry_make_the_file_damaged():
    data = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>',
                    extra=[("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>')])
    assert refused(data) == ("Tệp t.xlsx bị hỏng: thành phần xl/worksheets/sheet1.xml có hai bản trong tệp nén "
                             "(không rõ bản nào đúng).")


def test_a_doctype_in_the_workbook_is_refused_in_words():
    data = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>', workbook_head='<!DOCTYPE x [<!ENTITY a "b">]>')
    assert refused(data) == ("Tệp t.xlsx bị từ chối: phần mô tả bảng tính chứa khai báo DTD hoặc thực thể XML, điều "
                             "Excel không bao giờ ghi.")


def test_too_many_sheets_and_too_long_a_cell_are_refused():
    assert refused(raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row>', sheets=51)) == \
        "Tệp t.xlsx có 51 trang, vượt giới hạn 50 trang."
    long = "Ủy ban " * 400
    data = raw_xlsx(f'<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>{long}</t></is></c></row>')
    assert refused(data) == "Tệp t.xlsx, trang «S1», ô B1: 2.799 ký tự, vượt giới hạn 2.000 ký tự một ô."


def test_a_csv_field_over_the_csv_modules_limit_is_said_with_its_line():
    message = refused(("STT,Đơn vị\n1,\"" + "x" * 200_000 + "\"\n").encode("utf-8"), "t.csv")
    assert message == "Tệp t.csv, dòng 2: không đọc được như tệp .csv (một ô dài quá giới hạn)."


def test_an_unclosed_quote_is_a_file_not_recognised():
    message = refused('STT,Đơn vị\n1,"Phòng Tư pháp\n'.encode("utf-8"), "t.csv")
    assert message.startswith("Tệp t.csv, trang «t»: không tìm thấy dòng tiêu đề")


def test_the_page_survives_a_file_that_aborts_the_parser(demo_env):
    at = app_test(role="admin")
    at.switch_page("views/imports.py").run()
    huge = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="299999"><c r="GR299999"><v>1</v></c></row>')
    at.file_uploader[0].set_value(("bao-cao.xlsx", huge, XLSX)).run()
    assert not at.exception and at.error[0].value.startswith("Tệp bao-cao.xlsx không đọc được: quá lớn hoặc hỏng")
    at.switch_page("views/overview.py").run()  # the same server, still answering
    assert not at.exception and at.metric[0].value


def cli(env, *args):
    import subprocess
    import sys

    from conftest import ROOT
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture
def district(cli_env):
    assert cli(cli_env, "init", "--plan", "data/plans/my-tu-2024.toml").returncode == 0
    return cli_env


def test_several_files_are_stored_all_together_or_not_at_all(district, tmp_path):
    from kpi.store import Store, default_path

    def month(name, period, rows):
        path = tmp_path / name
        path.write_bytes(bieu06([("I", "x", rows)], title_period=period))
        return str(path)

    march = month("t3.xlsx", "Tháng 3 năm 2024", [("Phòng Tư pháp", counts(45, 5)), ("UBND xã Mới Lập", counts(9, 1))])
    same = month("t3-ban-khac.xlsx", "Tháng 3 năm 2024", [("Phòng Tư pháp", counts(40, 10))])
    both = cli(district, "import", march, same, "--add-units")
    assert both.returncode == 2 and both.stderr.strip() == (
        f"Lỗi: Tệp {march} và tệp {same} cùng có số liệu tháng 3/2024 của Phòng Tư pháp; không nhập tệp nào. "
        "Hãy bỏ một tệp.")
    (tmp_path / "khac").mkdir()
    twin = tmp_path / "khac" / "t3.xlsx"  # the same name in another folder, another content
    twin.write_bytes(bieu06([("I", "x", [("Phòng Tư pháp", counts(30, 20))])], title_period="Tháng 3 năm 2024"))
    named = cli(district, "import", march, str(twin), "--add-units", "--replace")
    assert named.returncode == 2 and "cùng có số liệu tháng 3/2024 của Phòng Tư pháp" in named.stderr
    db = Store(default_path().__class__(district["KPI_DB"]))
    assert db.months() == []

    assert cli(district, "unit", "retire", "Phòng Tư pháp", "--from", "2024-04").returncode == 0
    april = month("t4.xlsx", "Tháng 4 năm 2024", [("Phòng Tư pháp", counts(45, 5))])
    late = cli(district, "import", march, april, "--add-units")  # the store refuses April's retired unit
    assert late.returncode == 2 and "Phòng Tư pháp" in late.stderr and db.months() == []
    assert db.imports().empty and "UBND xã Mới Lập" not in db.units()["unit"].tolist()

    may = month("t5.xlsx", "Tháng 5 năm 2024", [("UBND xã Mới Lập", counts(8, 2))])
    done = cli(district, "import", march, may, "--add-units")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "Đã nhập t5.xlsx: tháng 5/2024, 1 đơn vị, 1 dòng (lần nhập số 2)."
    assert db.months() == [(2024, 3), (2024, 5)] and db.units()["unit"].tolist().count("UBND xã Mới Lập") == 1


def test_the_cli_csv_keeps_formulas_as_text(district, tmp_path):
    evil = '=HYPERLINK("http://example.com","x")'
    assert cli(district, "unit", "add", evil, "--group", "Một cửa cấp xã").returncode == 0
    out = cli(district, "ranking", "--period", "2024-03", "--format", "csv").stdout
    assert "'=HYPERLINK" in out and "\n=HYPERLINK" not in out and ',=HYPERLINK' not in out


def test_names_that_would_not_show_as_written_are_refused_with_their_row():
    rtl, tab, long = "Xã Mỹ\u202eTú", "Xã\u200bMỹ Tú", "Xã " + "Mỹ Tú " * 40
    data = bieu06([("I", "x", [(rtl, counts(5, 5)), (tab, counts(5, 5)), (long, counts(5, 5)),
                               ("+Xã Mới", counts(5, 5))])])
    prepared = ingest.prepare("t3.xlsx", data, _store_of_the_plan())
    assert prepared.errors == [
        "Tệp t3.xlsx, trang «Biểu 06», dòng 10: tên đơn vị «Xã Mỹ�Tú» có ký tự ẩn hoặc điều khiển (U+202E).",
        "Tệp t3.xlsx, trang «Biểu 06», dòng 11: tên đơn vị «Xã�Mỹ Tú» có ký tự ẩn hoặc điều khiển (U+200B).",
        f"Tệp t3.xlsx, trang «Biểu 06», dòng 12: tên đơn vị «{long.strip()[:80]}…» dài 242 ký tự, quá 150 ký tự.",
    ]
    assert prepared.warnings[-1] == ("Tệp t3.xlsx, trang «Biểu 06», dòng 13: tên đơn vị «+Xã Mới» bắt đầu bằng «+» như một "
                                     "công thức; tên được lưu như chữ. Hãy kiểm tra đây đúng là tên đơn vị.")


def _store_of_the_plan():
    import tempfile
    from pathlib import Path

    from kpi import plan, setup
    from kpi.store import Store
    store = Store(Path(tempfile.mkdtemp()) / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    return store


def test_the_store_refuses_a_hidden_character_whoever_asks(district):
    added = cli(district, "unit", "add", "Xã\x0bMới", "--group", "Một cửa cấp xã")
    assert added.returncode == 2 and added.stderr.strip() == (
        "Lỗi: Tên «Xã�Mới» có ký tự ẩn hoặc điều khiển (U+000B); hãy sửa tên.")
    renamed = cli(district, "unit", "rename", "Phòng Tư pháp", "Phòng Tư pháp\u200f")
    assert renamed.returncode == 2 and "(U+200F)" in renamed.stderr


def test_names_show_as_plain_text_on_the_pages_and_in_charts(tmp_path, monkeypatch):

    from kpi import charts, plan, setup, scorecard
    from kpi.periods import Period
    from kpi.service import Actor, Service
    from kpi.store import Store
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    door = Service(path, Actor("quantri", "admin"))
    door.commit(door.prepare("t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(40, 10))])])), (2024, 3))
    evil = "![](http://evil.example/x.png) [bấm](http://evil.example) <b>đậm</b>"
    with Store(path).transaction() as con:  # a name stored before names were checked
        con.execute("UPDATE units SET name = ? WHERE name = 'Phòng Tư pháp'", [evil])
        con.execute("UPDATE plan_targets SET subject = ? WHERE subject = 'Phòng Tư pháp'", [evil])
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(role="admin", period="2024-03")
    at.switch_page("views/ranking.py").run()
    below = at.table[0].value  # st.table reads its cells as Markdown: the name is escaped
    assert below.index.tolist() == ["!\\[\\](http:\u200b//evil.example/x.png) \\[bấm\\](http:\u200b//evil.example) "
                                    "\\<b\\>đậm\\</b\\>"]
    assert below.iloc[0].tolist() == ["80,00%", "Trên 90", "6"]
    figure = charts.ranking_bars(scorecard.build(Store(path), Period(2024, 3)).ranking("online"), "online", "t")
    assert "&lt;b&gt;đậm&lt;/b&gt;" in figure.data[0].y[0] and "<" not in "".join(figure.data[0].y)


def test_a_sheet_of_too_many_cells_is_refused():
    wide = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="60000"><c r="GR60000"><v>1</v></c></row>')
    assert refused(wide) == "Tệp t.xlsx, trang «S1»: 60.000 dòng × 200 cột, vượt giới hạn 10.000.000 ô một trang."
