"""Importing real spreadsheets written by openpyxl (and CSV bytes): what is read, what is refused."""
import io

import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import REALDATA
from kpi import ingest, scorecard
from kpi.ingest import InputError, Limits
from kpi.measures import COUNTS
from kpi.periods import Period
from sheets import bieu06, counts, docx_bytes, flat_csv, to_cp1258, zip_bomb



def snapshot(store):
    """Everything an import may touch."""
    return (store.query("SELECT * FROM monthly_counts ORDER BY unit_id, year, month"),
            store.query("SELECT * FROM replaced_counts ORDER BY ALL"),
            store.query("SELECT * FROM imports ORDER BY import_id"),
            store.units(), store.query("SELECT * FROM unit_aliases ORDER BY alias"))


def unchanged(before, after):
    return all(a.equals(b) for a, b in zip(before, after))


def stored(store, unit, year=2024, month=3):
    rows = store.monthly_counts([(year, month)]).merge(store.units()[["unit_id", "unit"]])
    return rows.set_index("unit").loc[unit]


SECTIONS = [
    ("I", "Cơ quan chuyên môn", [
        ("Phòng Tư pháp", counts(45, 5, carried=2, late=1, pending=3, overdue=1)),
        ("Phòng Lao động - Thương binh và Xã hội", counts(30, 3)),
    ]),
    ("II", "UBND các xã, thị trấn", [
        ("UBND xã Mỹ Hương", counts(1234, 100, carried=10, pending=40)),
        ("UBND Thị trấn Huỳnh Hữu Nghĩa", counts(200, 20)),
    ]),
]


def test_bieu06_with_merged_headers_sections_total_text_numbers_and_blank_row(store):
    data = bieu06(SECTIONS, as_text=("UBND xã Mỹ Hương",), blank_row_after=1)
    prepared = ingest.prepare("bao-cao-thang-3.xlsx", data, store)
    assert prepared.title_period == (2024, 3)
    assert prepared.problems == [] and prepared.unknown == []
    assert prepared.rows["unit"].tolist() == ["Phòng Tư pháp", "Phòng Lao động, Thương binh và Xã hội",
                                              "Xã Mỹ Hương", "Thị trấn Huỳnh Hữu Nghĩa"]
    assert prepared.rows["row"].tolist() == [10, 12, 14, 15]  # Excel rows: the blank row 11 and section 13 skipped
    result = prepared.commit(store, (2024, 3))
    assert (result["rows"], result["units"], result["replaced"]) == (4, 4, 0)
    my_huong = stored(store, "Xã Mỹ Hương")
    assert (my_huong["received"], my_huong["received_online"], my_huong["received_offline"],
            my_huong["carried_over"]) == (1344, 1234, 100, 10)
    assert (my_huong["resolved"], my_huong["pending"], my_huong["pending_not_due"]) == (1304, 40, 40)
    tu_phap = stored(store, "Phòng Tư pháp")
    assert (tu_phap["received"], tu_phap["resolved_late"], tu_phap["pending_overdue"]) == (52, 1, 1)
    assert pd.isna(tu_phap["paid_online"]) and pd.isna(tu_phap["fee_dossiers"])  # not in the file: NULL
    history = store.imports().iloc[0]
    assert (history["file_name"], history["period"], history["units"], history["rows"]) == \
        ("bao-cao-thang-3.xlsx", "2024-03", 4, 4)
    assert len(history["sha256"]) == 64
    online = scorecard.build(store, Period(2024, 3)).ranking("online").set_index("unit")
    assert online.loc["Phòng Tư pháp", "rate"] == 90.0 and online.loc["Xã Mỹ Hương", "numerator"] == 1234


def test_headers_without_diacritics_in_capitals(store):
    data = bieu06(SECTIONS, no_diacritics=True, upper=True, title_period="Thang 03/2024")
    prepared = ingest.prepare("BAO CAO.xlsx", data, store)
    assert prepared.title_period == (2024, 3)
    assert prepared.problems == [] and prepared.unknown == []
    assert prepared.rows["name"].tolist()[0] == "PHONG TU PHAP"
    prepared.commit(store, (2024, 3))
    assert stored(store, "Phòng Tư pháp")["received_online"] == 45
    assert stored(store, "Xã Mỹ Hương")["received_online"] == 1234


def test_extra_columns_for_fees_payment_fully_online_and_digitised(store):
    sections = [("I", "Xã", [("Xã Mỹ Tú", counts(80, 20, fee_dossiers=30, paid_online=12, fully_online=25,
                                                  digitised=90))])]
    data = bieu06(sections, extras=("fee_dossiers", "paid_online", "fully_online", "digitised"))
    prepared = ingest.prepare("b06.xlsx", data, store)
    assert set(prepared.columns) >= {"fee_dossiers", "paid_online", "fully_online", "digitised"}
    prepared.commit(store, (2024, 3))
    row = stored(store, "Xã Mỹ Tú")
    assert (row["fee_dossiers"], row["paid_online"], row["fully_online"], row["digitised"]) == (30, 12, 25, 90)
    assert pd.isna(row["fee_online"])


def test_windows_1258_csv_with_combining_marks_and_single_row_header(store):
    header = ["STT", "Tên đơn vị", "Tổng số", "Trực tuyến", "Trực tiếp", "Từ kỳ trước", "Đã giải quyết", "Trước hạn",
              "Đúng hạn", "Quá hạn", "Đang giải quyết", "Trong hạn", "Quá hạn"]
    rows = [[1, "Phòng Văn hoá và Thông tin", 12, 10, 2, 0, 12, 6, 5, 1, 0, 0, 0],
            [2, "Xã Phú Mỹ", "1.050", "1.000", 50, 0, "1.050", "1.000", 50, 0, 0, 0, 0]]
    text = flat_csv(header, rows, title="Kỳ báo cáo: Từ ngày 01/03/2024 đến ngày 31/03/2024")
    data = to_cp1258(text)
    assert b"\xcc" in data or b"\xec" in data or b"\xde" in data  # tone marks as combining bytes
    prepared = ingest.prepare("bao_cao.csv", data, store)
    assert prepared.title_period == (2024, 3)
    assert prepared.problems == [] and prepared.unknown == []
    prepared.commit(store, (2024, 3))
    culture = stored(store, "Phòng Văn hoá và Thông tin")
    assert (culture["resolved"], culture["resolved_early"], culture["resolved_on_time"], culture["resolved_late"],
            culture["pending_overdue"]) == (12, 6, 5, 1, 0)
    assert stored(store, "Xã Phú Mỹ")["received_online"] == 1000


def test_utf8_bom_csv_with_commas(store):
    text = flat_csv(["Đơn vị", "Số mới tiếp nhận trực tuyến", "Số mới tiếp nhận trực tiếp", "Số kỳ trước chuyển qua"],
                    [["Xã Mỹ Thuận", 9, 1, 3]], sep=",")
    prepared = ingest.prepare("a.csv", "\ufeff".encode() + text.encode("utf-8"), store)
    assert prepared.title_period is None
    prepared.commit(store, (2024, 5))
    row = stored(store, "Xã Mỹ Thuận", month=5)
    assert (row["received_online"], row["received_offline"], row["carried_over"]) == (9, 1, 3)
    assert pd.isna(row["received"])


def test_flat_template_round_trip(store):
    data = ingest.template(store.units(), (2024, 4))
    book = __import__("openpyxl").load_workbook(io.BytesIO(data))
    sheet = book.active
    assert [c.value for c in sheet[2]][:4] == ["STT", "Đơn vị", "Tổng số hồ sơ nhận giải quyết", "Tiếp nhận trực tuyến"]
    values = counts(91, 9, fee_online=40, fee_dossiers=50, paid_online=20, fully_online=30, digitised=100,
                    certification=10, certification_electronic=4, apology_letters=0)
    fields = list(COUNTS)
    for row in sheet.iter_rows(min_row=3):
        if row[1].value == "Xã Long Hưng":
            for i, f in enumerate(fields):
                row[2 + i].value = values[f]
    # other units left blank: not stored
    for row in list(sheet.iter_rows(min_row=3)):
        if row[1].value != "Xã Long Hưng":
            row[1].value = None
    buffer = io.BytesIO()
    book.save(buffer)
    prepared = ingest.prepare("mau.xlsx", buffer.getvalue(), store)
    assert prepared.title_period == (2024, 4)
    assert prepared.problems == [] and sorted(prepared.columns) == sorted(fields)
    prepared.commit(store, (2024, 4))
    row = stored(store, "Xã Long Hưng", month=4)
    assert {f: int(row[f]) for f in fields} == {f: values[f] for f in fields}
    assert len(store.monthly_counts([(2024, 4)])) == 1


def test_sheet_that_starts_in_column_c_keeps_its_merged_header_and_excel_positions(store):
    """The reader's range starts at the first filled cell; rows, columns and merges stay the sheet's own."""
    book = Workbook()
    sheet = book.active
    sheet["C2"] = "Kỳ báo cáo: tháng 03/2024"
    sheet["C4"], sheet["D4"], sheet["E4"], sheet["G4"] = "STT", "Đơn vị", "Số hồ sơ nhận giải quyết", "Đã giải quyết"
    sheet["E5"], sheet["F5"], sheet["G5"] = "Trực tuyến", "Trực tiếp", "Tổng số"
    for merged in ("C4:C5", "D4:D5", "E4:F4"):
        sheet.merge_cells(merged)
    sheet.append([None, None, 1, "Xã Mỹ Tú", 40, 10, 50])
    sheet.append([None, None, 2, "Xã Mỹ Hương", "4.5", 5, 9])
    buffer = io.BytesIO()
    book.save(buffer)
    prepared = ingest.prepare("c.xlsx", buffer.getvalue(), store)
    assert prepared.title_period == (2024, 3)
    assert prepared.rows["row"].tolist() == [6, 7]
    assert prepared.errors == ["Tệp c.xlsx, trang «Sheet», dòng 7, cột E (Số hồ sơ nhận giải quyết / Trực tuyến): "
                               "«4.5» không phải là số nguyên."]
    assert prepared.rows.loc[0, ["received_online", "received_offline", "resolved"]].tolist() == [40, 10, 50]


@pytest.mark.parametrize("written, expected", [
    ("58", 58), ("1.234", 1234), ("1,234", 1234), ("1 234", 1234), ("1\u00a0234\u00a0567", 1234567), ("-", None),
    ("x", None), (None, None), ("0", 0), ("999999999999999", 999999999999999),
])
def test_counts_as_offices_write_them(written, expected):
    import pyarrow as pa
    from kpi.ingest.checks import parse_counts
    numbers, wrong, messages = parse_counts(pa.array(["7", written, "8"], pa.string()))
    assert numbers.to_pylist() == [7, expected, 8] and len(wrong) == 0 and messages == []


@pytest.mark.parametrize("written, message", [
    ("2.5", "«2.5» không phải là số nguyên"), ("12,5", "«12,5» không phải là số nguyên"),
    ("mười", "«mười» không phải là số"), ("1.23", "«1.23» không phải là số nguyên"),
    ("1234567890123456", "«1234567890123456» không phải là số"), ("true", "«true» không phải là số"),
    ("１２", "«１２» không phải là số"), ("12a", "«12a» không phải là số"),
])
def test_cells_that_are_not_counts(written, message):
    import pyarrow as pa
    from kpi.ingest.checks import parse_counts
    numbers, wrong, messages = parse_counts(pa.array(["7", written, "8"], pa.string()))
    assert numbers.to_pylist() == [7, None, 8] and wrong.tolist() == [1] and messages == [message]


# -- bad input: a clear message, nothing written ------------------------------------------------------


T3 = bieu06(SECTIONS)  # written once: openpyxl stamps the time, so a second build may differ by a byte


@pytest.fixture
def filled(store):
    """A store that already holds March 2024 for four units."""
    ingest.prepare("t3.xlsx", T3, store).commit(store, (2024, 3))
    return store


def refused(store, name, data, match, **commit):
    before = snapshot(store)
    with pytest.raises((InputError, ValueError)) as caught:
        prepared = ingest.prepare(name, data, store, limits=commit.pop("limits", None))
        prepared.commit(store, commit.pop("period", (2024, 4)), **commit)
    assert match in str(caught.value), str(caught.value)
    assert unchanged(before, snapshot(store))
    return str(caught.value)


def test_not_a_number(filled):
    sections = [("I", "x", [("Phòng Tư pháp", {**counts(45, 5), "received_online": "bốn lăm"})])]
    message = refused(filled, "a.xlsx", bieu06(sections, total=False), "không phải là số")
    assert message.startswith("Tệp a.xlsx, trang «Biểu 06», dòng 10, cột D (Số hồ sơ nhận giải quyết / Trực tuyến)")


def test_negative_count(filled):
    sections = [("I", "x", [("Phòng Tư pháp", {**counts(45, 5), "carried_over": -2})])]
    refused(filled, "a.xlsx", bieu06(sections, total=False), "dòng 10, cột F (Số hồ sơ nhận giải quyết / Từ kỳ trước): "
                                                            "số âm (-2)")


def test_part_larger_than_whole(filled):
    sections = [("I", "x", [("Xã Mỹ Tú", {**counts(45, 5), "received_online": 60, "received": 50})])]
    refused(filled, "a.xlsx", bieu06(sections, total=False),
            "dòng 10, cột D (Số hồ sơ nhận giải quyết / Trực tuyến): 60 lớn hơn «Tổng số hồ sơ nhận giải quyết» "
            "(50, cột C) của Xã Mỹ Tú")


def test_paid_larger_than_fee_dossiers(filled):
    sections = [("I", "x", [("Xã Mỹ Tú", counts(45, 5, fee_dossiers=10, paid_online=11))])]
    refused(filled, "a.xlsx", bieu06(sections, total=False, extras=("fee_dossiers", "paid_online")),
            "cột O (Số HS đã TTTT): 11 lớn hơn «Hồ sơ có nghĩa vụ tài chính» (10, cột N)")


def test_unit_listed_twice(filled):
    sections = [("I", "x", [("Xã Mỹ Tú", counts(1, 1)), ("UBND xã Mỹ Tú", counts(2, 2))])]
    refused(filled, "a.xlsx", bieu06(sections), "dòng 10, 11: đơn vị Xã Mỹ Tú có 2 dòng")


def test_broken_identity_is_a_warning_the_user_can_accept(filled):
    sections = [("I", "x", [("Xã Mỹ Tú", {**counts(45, 5), "received": 52})])]
    data = bieu06(sections, total=False)
    message = refused(filled, "a.xlsx", data, "Có cảnh báo")
    assert "cột C (Số hồ sơ nhận giải quyết / Tổng số): Xã Mỹ Tú có «Tổng số hồ sơ nhận giải quyết» 52 nhưng " \
           "Tiếp nhận trực tuyến 45 + Tiếp nhận trực tiếp, bưu chính 5 + Từ kỳ trước chuyển sang 0 = 50" in message
    prepared = ingest.prepare("a.xlsx", data, filled)
    assert prepared.errors == [] and len(prepared.warnings) == 2  # (3) = (4)+(5)+(6) and (3) = (7)+(11)
    prepared.commit(filled, (2024, 4), accept_warnings=True)
    assert stored(filled, "Xã Mỹ Tú", month=4)["received"] == 52


def test_total_row_that_does_not_match_is_a_warning(filled):
    total = {f: v for f, v in counts(45, 5).items()}
    total["received_online"] = 99
    message = refused(filled, "a.xlsx", bieu06([("I", "x", [("Xã Mỹ Tú", counts(45, 5))])], total=total), "cảnh báo")
    assert "dòng 11, cột D (Số hồ sơ nhận giải quyết / Trực tuyến): dòng tổng cộng ghi 99 nhưng cộng các đơn vị " \
           "được 45" in message


def test_month_already_stored_is_replaced_only_when_asked_and_can_be_restored(filled):
    before = snapshot(filled)
    again = bieu06([("I", "x", [("Phòng Tư pháp", counts(49, 1))])])
    with pytest.raises(Exception, match="Đã có số liệu của: Phòng Tư pháp tháng 3/2024"):
        ingest.prepare("t3-sua.xlsx", again, filled).commit(filled, (2024, 3))
    assert unchanged(before, snapshot(filled))
    result = ingest.prepare("t3-sua.xlsx", again, filled).commit(filled, (2024, 3), replace=True)
    assert result["replaced"] == 1 and stored(filled, "Phòng Tư pháp")["received_online"] == 49
    filled.undo_import(result["import_id"])
    assert stored(filled, "Phòng Tư pháp")["received_online"] == 45
    after = snapshot(filled)
    assert after[0].equals(before[0])  # the counts are exactly as they were


def test_same_file_twice_is_recognised_by_its_hash(filled):
    data = T3
    prepared = ingest.prepare("copy-of-t3.xlsx", data, filled)
    assert prepared.earlier_import is not None and prepared.earlier_import["file_name"] == "t3.xlsx"
    refused(filled, "copy-of-t3.xlsx", data, "đã được nhập (lần nhập số 1", replace=True)


def test_more_than_one_month_is_refused(store):
    refused(store, "q1.xlsx", bieu06(SECTIONS, title_period="Từ ngày 01/01/2024 đến ngày 31/03/2024"),
            "là báo cáo từ 01/01/2024 đến 31/03/2024 (91 ngày), nhiều hơn một tháng")
    refused(store, "q1.xlsx", bieu06(SECTIONS, title_period="Quý I năm 2024"),
            "là báo cáo nhiều hơn một tháng: «Kỳ báo cáo: Quý I năm 2024»")
    refused(store, "32.xlsx", bieu06(SECTIONS, title_period="Từ ngày 20/09/2025 đến ngày 21/10/2025"), "(32 ngày)")


def test_a_month_from_the_21st_to_the_20th_is_the_month_of_its_end_date(store):
    data = bieu06(SECTIONS, title_period="Từ ngày 21/09/2025 đến ngày 20/10/2025")
    prepared = ingest.prepare("gia-lai-t10.xlsx", data, store)
    assert prepared.title_period == (2025, 10) and prepared.problems == []
    assert prepared.window_label == "21/09–20/10/2025"
    prepared.commit(store, (2025, 10))
    assert stored(store, "Xã Mỹ Hương", 2025, 10)["received_online"] == 1234
    history = ingest.history_table(store.imports())
    assert history.loc[0, "Kỳ"] == "2025-10 (21/09–20/10/2025)"
    assert scorecard.build(store, Period(2025, 10, "ytd")).windows_said == "tháng 10/2025: 21/09–20/10/2025"
    # across a year, and a window written short with its year elsewhere in the title
    across = ingest.prepare("t1.xlsx", bieu06(SECTIONS, title_period="Từ 21/12/2024 đến 20/01/2025"), store)
    assert (across.title_period, across.window_label) == ((2025, 1), "21/12/2024–20/01/2025")
    short = ingest.prepare("t3.xlsx", bieu06(SECTIONS, title_period="15/02–14/03 năm 2025"), store)
    assert (short.title_period, short.window_label) == ((2025, 3), "15/02–14/03/2025")


def test_a_window_shorter_than_a_month_is_a_warning(store):
    prepared = ingest.prepare("nua.xlsx", bieu06(SECTIONS, title_period="Từ ngày 01/03/2024 đến ngày 15/03/2024"),
                              store)
    assert prepared.warnings == ["Tệp nua.xlsx: kỳ báo cáo trong tiêu đề chỉ có 15 ngày (01/03–15/03/2024), chưa "
                                 "đủ một tháng; số liệu được nhập là của tháng 3/2024."]


def test_truncated_xlsx(filled):
    data = bieu06(SECTIONS)
    refused(filled, "cut.xlsx", data[: len(data) // 2], "bị hỏng")


def test_zip_bomb_is_refused_before_parsing(filled):
    refused(filled, "bomb.xlsx", zip_bomb(300), "tỷ lệ nén bất thường")


def test_docx_renamed_to_xlsx(filled):
    refused(filled, "bao-cao.xlsx", docx_bytes(), "không phải bảng tính Excel mà là tài liệu Word")


def test_empty_file(filled):
    refused(filled, "rong.xlsx", b"", "Tệp rong.xlsx rỗng (0 byte)")


def test_size_cap(filled):
    refused(filled, "big.xlsx", bieu06(SECTIONS), "vượt giới hạn", limits=Limits(max_bytes=1000))


def test_sheet_without_a_report_header(filled):
    book = Workbook()
    book.active.append(["Họ tên", "Ngày sinh"])
    book.active.append(["Nguyễn Văn A", "01/01/1990"])
    buffer = io.BytesIO()
    book.save(buffer)
    refused(filled, "khac.xlsx", buffer.getvalue(), "không tìm thấy dòng tiêu đề có cột «Đơn vị»")


def test_real_766_score_export_is_not_taken_for_a_monthly_report(filled):
    """A real export from the national portal (shared/realdata) is another report: refused, named."""
    data = (REALDATA / "bao_cao_thang_10_2025.xlsx").read_bytes()
    refused(filled, "bao_cao_thang_10_2025.xlsx", data, "không nhận ra cột «Trực tuyến»")


def test_unknown_unit_is_never_dropped(filled):
    data = bieu06([("II", "UBND các xã, thị trấn", [("Xã Mỹ Hương", counts(5, 5)),
                                                     ("UBND xã Tân Lập - huyện Mỹ Tú", counts(8, 2))])])
    prepared = ingest.prepare("t4.xlsx", data, filled)
    assert prepared.unknown == ["UBND xã Tân Lập - huyện Mỹ Tú"]
    assert prepared.groups == {"UBND xã Tân Lập - huyện Mỹ Tú": "Một cửa cấp xã"}
    with pytest.raises(InputError, match="chưa xác định đơn vị cho UBND xã Tân Lập"):
        prepared.commit(filled, (2024, 4))
    prepared.commit(filled, (2024, 4), mapping={"UBND xã Tân Lập - huyện Mỹ Tú": "Xã Mỹ Phước"})
    assert stored(filled, "Xã Mỹ Phước", month=4)["received_online"] == 8
    # remembered: next month the same name is matched
    later = ingest.prepare("t5.xlsx", bieu06([("II", "x", [("UBND xã Tân Lập - huyện Mỹ Tú", counts(1, 0))])]), filled)
    assert later.unknown == [] and later.rows["unit"].tolist() == ["Xã Mỹ Phước"]


def test_legacy_xls_with_two_merged_header_rows(store):
    from sheets import bieu06_xls
    data = bieu06_xls([("UBND xã Thuận Hưng", counts(70, 30, carried=5, pending=10, overdue=2)),
                       ("Công an huyện Mỹ Tú", counts(300, 12))])
    prepared = ingest.prepare("bc.xls", data, store)
    assert prepared.title_period == (2024, 3) and prepared.problems == [] and prepared.unknown == []
    prepared.commit(store, (2024, 3))
    thuan_hung = stored(store, "Xã Thuận Hưng")
    assert (thuan_hung["received"], thuan_hung["carried_over"], thuan_hung["pending_not_due"],
            thuan_hung["pending_overdue"]) == (105, 5, 8, 2)
    assert stored(store, "Công an huyện")["received_online"] == 300


@pytest.mark.parametrize("header, field", [
    ("Số mới tiếp nhận trực tuyến", "received_online"),
    ("Số mới tiếp nhận trực tiếp", "received_offline"),
    ("Số kỳ trước chuyển qua", "carried_over"),
    ("Đã giải quyết - Trước hạn", "resolved_early"),
    ("Trả đúng thời hạn", "resolved_on_time"),
    ("Trả quá hạn", "resolved_late"),
    ("Đang giải quyết - Chưa đến hạn", "pending_not_due"),
    ("DANG GIAI QUYET - QUA HAN", "pending_overdue"),
    ("Tổng HS có nghĩa vụ tài chính", "fee_dossiers"),
    ("Số HS đã thanh toán trực tuyến", "paid_online"),
    ("Hồ sơ toàn trình", "fully_online"),
    ("Số hồ sơ số hóa", "digitised"),
    ("Chờ bổ sung", None),
    ("Trả lại/Rút HS", None),
    ("Tỷ lệ hài lòng", None),
])
def test_header_variants(header, field):
    from kpi.ingest.layout import _classify
    from kpi.text import plain
    found, _, understood = _classify(plain(header), "received")
    assert (found, understood) == (field, True)


def test_flat_header_groups_by_place():
    """"Quá hạn" after "Đã giải quyết" is a late resolution; after "Đang giải quyết", overdue."""
    from kpi.ingest.layout import _classify
    from kpi.text import plain
    group, found = "received", []
    for header in ["Tổng số", "Trực tuyến", "Đã giải quyết", "Quá hạn", "Đang giải quyết", "Quá hạn"]:
        field, group, _ = _classify(plain(header), group)
        found.append(field)
    assert found == ["received", "received_online", "resolved", "resolved_late", "pending", "pending_overdue"]


def test_merged_ranges_scanned_from_the_sheet_xml_are_calamines_own():
    """The reader scans the sheet XML for <mergeCell> instead of parsing it twice; same ranges."""
    import python_calamine
    from kpi.ingest import readers
    data = bieu06(SECTIONS, extras=("fee_dossiers", "paid_online"), sheet="Biểu 06 & tháng")
    sheet = readers.read("a.xlsx", data)[0]
    ranges = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).merged_cell_ranges
    assert sheet.name == "Biểu 06 & tháng" and len(sheet.merged) >= 10
    assert sheet.merged == sorted((r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges)


# -- real exports as they come ------------------------------------------------------------------
def test_html_table_saved_as_xls_by_a_one_stop_system(store):
    from sheets import html_xls
    data = html_xls([("I", "Cơ quan chuyên môn", None),
                     (1, "Phòng Tư pháp", counts(1234, 56, carried=7, late=3)),
                     ("II", "UBND các xã, thị trấn", None),
                     (2, "UBND xã Mỹ Hương", counts(2345, 100, pending=40, overdue=4))])
    assert data.startswith(b"\xef\xbb\xbf<html") and b'rowspan="3"' in data and b"<td>1.234</td>" in data
    prepared = ingest.prepare("BaoCao_06a.xls", data, store)
    assert prepared.title_period is None and prepared.problems == [] and prepared.unknown == []
    assert prepared.sheet == "Bảng 1" and prepared.rows["row"].tolist() == [6, 8]  # the table's own rows
    assert prepared.rows["section"].tolist() == ["Cơ quan chuyên môn", "UBND các xã, thị trấn"]
    prepared.commit(store, (2025, 10))
    tu_phap = stored(store, "Phòng Tư pháp", 2025, 10)
    assert (tu_phap["received"], tu_phap["received_online"], tu_phap["resolved_late"]) == (1297, 1234, 3)
    assert stored(store, "Xã Mỹ Hương", 2025, 10)["pending_overdue"] == 4


def test_html_xls_period_from_its_heading_and_the_cli_asks_for_one_without(store, tmp_path, cli_env):
    import subprocess
    import sys
    from sheets import html_xls
    rows = [(1, "Phòng Tư pháp", counts(10, 5))]
    titled = ingest.prepare("a.xls", html_xls(rows, title="Kỳ báo cáo: Từ ngày 21/09/2025 đến ngày 20/10/2025"), store)
    assert (titled.title_period, titled.window_label, titled.problems) == ((2025, 10), "21/09–20/10/2025", [])
    path = tmp_path / "BaoCao.xls"
    path.write_bytes(html_xls(rows))
    subprocess.run([sys.executable, "-m", "kpi", "init", "--demo"], env=cli_env, check=True, capture_output=True)
    run = subprocess.run([sys.executable, "-m", "kpi", "import", str(path)], env=cli_env, capture_output=True, text=True)
    assert run.returncode != 0 and "tiêu đề không ghi tháng báo cáo; hãy chỉ rõ bằng --period" in run.stderr


@pytest.mark.parametrize("data, kind", [
    (b"\xef\xbb\xbf<html><body><table><tr><td>x</td></tr></table></body></html>", "html"),
    (b"  <TABLE border=1><tr><td>x</td></tr></TABLE>", "html"),
    (b"PK\x03\x04rest", "xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xls"),
    (b"STT;Don vi\r\n1;a\r\n", "csv"),
])
def test_a_file_is_what_its_bytes_say_whatever_its_name(data, kind):
    from kpi.ingest import readers
    assert readers.kind_of("bao-cao.xls", data) == kind


def test_html_without_a_table_and_html_that_fetches_nothing(store):
    with pytest.raises(InputError, match="là trang web \\(HTML\\) nhưng không có bảng số liệu nào"):
        ingest.prepare("a.xls", "<html><body><p>Lỗi 500</p></body></html>".encode(), store)
    # an external entity and a remote image are never fetched; the table still reads
    from sheets import html_xls
    hostile = html_xls([(1, "Phòng Tư pháp", counts(10, 5))]).replace(
        b"<html", b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><html', 1).replace(
        b"<table", b'<img src="http://192.0.2.1/x.png">&x;<table', 1)
    prepared = ingest.prepare("a.xls", hostile, store)
    assert prepared.rows["name"].tolist() == ["Phòng Tư pháp"]
    assert "root:" not in " ".join(str(v) for v in prepared.rows.to_numpy().ravel())


def test_html_table_too_wide_is_refused(store):
    row = "<tr>" + "<td>1</td>" * 250 + "</tr>"
    with pytest.raises(InputError, match="hơn 200 cột, vượt giới hạn"):
        ingest.prepare("a.xls", f"<table>{row}</table>".encode(), store)
    with pytest.raises(InputError, match="hơn 200 cột, vượt giới hạn"):
        ingest.prepare("a.xls", b'<table><tr><td colspan="100000">1</td></tr></table>', store)


def test_sections_that_carry_their_subtotals_are_neither_units_nor_counted_twice(store):
    data = bieu06(SECTIONS, subtotals=True)
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.problems == [] and prepared.unknown == []
    assert prepared.rows["unit"].tolist() == ["Phòng Tư pháp", "Phòng Lao động, Thương binh và Xã hội",
                                              "Xã Mỹ Hương", "Thị trấn Huỳnh Hữu Nghĩa"]
    assert prepared.rows["section"].tolist() == ["Cơ quan chuyên môn"] * 2 + ["UBND các xã, thị trấn"] * 2
    prepared.commit(store, (2024, 3))
    assert store.query("SELECT sum(received_online) AS n FROM monthly_counts")["n"].iloc[0] == 45 + 30 + 1234 + 200


def test_a_subtotal_row_without_a_numeral_is_known_by_its_sum(store):
    data = flat([[None, "UBND cấp xã", 70, 60, 10], [1, "UBND xã Mỹ Hương", 30, 25, 5], [2, "UBND xã Mỹ Tú", 40, 35, 5],
                 [None, "Khối cơ quan chuyên môn", 12, 9, 3], [3, "Phòng Tư pháp", 10, 8, 2],
                 [None, "Tổng cộng", 80, 68, 12]],
                ["STT", "Đơn vị", "Tổng số hồ sơ nhận giải quyết", "Trực tuyến", "Trực tiếp"])
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.rows["unit"].tolist() == ["Xã Mỹ Hương", "Xã Mỹ Tú", "Phòng Tư pháp"]
    assert prepared.warnings == [
        "Tệp t3.xlsx, trang «Sheet», dòng 6: dòng nhóm «Khối cơ quan chuyên môn» không khớp với các đơn vị trong "
        "nhóm: Tổng số hồ sơ nhận giải quyết ghi 12, cộng các đơn vị được 10; Tiếp nhận trực tuyến ghi 9, cộng các "
        "đơn vị được 8; Tiếp nhận trực tiếp, bưu chính ghi 3, cộng các đơn vị được 2."]


def test_a_police_section_titled_like_its_only_unit(store):
    police = counts(3, 40)
    data = bieu06([*SECTIONS, ("III", "Công an huyện", [("Công an huyện Mỹ Tú", police)])], subtotals=True)
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.errors == [] and prepared.warnings == []
    assert prepared.rows.loc[prepared.rows["section"] == "Công an huyện", "unit"].tolist() == ["Công an huyện"]
    prepared.commit(store, (2024, 3))
    assert stored(store, "Công an huyện")["received_offline"] == 40


def test_subtotals_read_as_units_are_diagnosed_once():
    from kpi.ingest import checks
    from kpi.ingest.layout import Layout
    from kpi.ingest.readers import Sheet
    import pyarrow as pa
    rows = pd.DataFrame({"name": ["A", "B"], "section": [None, None], "row": [5, 6],
                         **{c: pd.array([None, None], "Int64") for c in COUNTS}})
    rows["received"] = pd.array([3383, 3383], "Int64")
    rows["received_online"] = pd.array([3000, 3000], "Int64")
    sheet = Sheet("Biểu 06", pa.table({"0": pa.array(["x"] * 8)}))
    found = Layout(sheet, range(0, 1), 1, 0, None, {1: "received", 2: "received_online"},
                   {1: "Tổng số", 2: "Trực tuyến"})
    total = {"row": 7, "received": 3383, "received_online": 3000}
    problems = checks.check(checks.Extracted(rows, total, []), found, "a.xlsx")
    assert [p.message for p in problems] == [
        "Tệp a.xlsx, trang «Biểu 06», dòng 7: cộng các đơn vị được gấp đôi dòng tổng cộng ở 2 cột (như «Tổng số hồ "
        "sơ nhận giải quyết»: ghi 3.383, cộng được 6.766): có thể tệp có các dòng tổng nhóm được đọc như đơn vị. Hãy "
        "xem danh sách đơn vị dưới đây; nếu có dòng là tổng của một nhóm, hãy bỏ qua dòng đó."]


def test_paid_online_above_online_fee_dossiers_is_a_warning_that_explains(store):
    data = flat([[1, "UBND xã Mỹ Hương", 30, 25, 5, 10, 20, 12], [2, "UBND xã Mỹ Tú", 40, 35, 5, 10, 20, 8]],
                ["STT", "Đơn vị", "Tổng số hồ sơ nhận giải quyết", "Trực tuyến", "Trực tiếp",
                 "Hồ sơ trực tuyến có nghĩa vụ tài chính", "Tổng HS có nghĩa vụ tài chính", "Số HS đã TTTT"],
                title="Kỳ báo cáo: Tháng 10 năm 2025")
    prepared = ingest.prepare("t10.xlsx", data, store)
    assert prepared.errors == []
    assert prepared.warnings == [
        "Tệp t10.xlsx, trang «Sheet», dòng 3, cột H (Số HS đã TTTT): ở 1 đơn vị, «Hồ sơ đã thanh toán trực tuyến» "
        "lớn hơn «Hồ sơ trực tuyến có nghĩa vụ tài chính» (cột F): UBND xã Mỹ Hương (dòng 3: 12 > 10). Hệ thống một "
        "cửa đếm hồ sơ đã thanh toán trực tuyến dù hồ sơ được nộp theo cách nào, nên số này có thể lớn hơn số hồ sơ "
        "trực tuyến có nghĩa vụ tài chính; theo định nghĩa của Phụ lục 1, tỷ lệ thanh toán không dùng tiền mặt của "
        "đơn vị sẽ trên 100%."]
    prepared.commit(store, (2025, 10), accept_warnings=True)
    assert stored(store, "Xã Mỹ Hương", 2025, 10)["paid_online"] == 12


def test_phu_my_of_gia_lai_is_not_phu_my_of_the_sample_district(store):
    data = bieu06([("II", "Các xã", [("UBND xã Phù Mỹ", counts(30, 3)), ("UBND xã Phú Mỹ", counts(20, 2))])])
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.rows["unit"].fillna("—").tolist() == ["—", "Xã Phú Mỹ"] and prepared.unknown == ["UBND xã Phù Mỹ"]
    assert prepared.errors == []
    prepared.commit(store, (2024, 3), new_units={"UBND xã Phù Mỹ": "Một cửa cấp xã"})
    assert stored(store, "UBND xã Phù Mỹ")["received_online"] == 30
    assert stored(store, "Xã Phú Mỹ")["received_online"] == 20


def test_an_unknown_row_can_be_skipped(store):
    data = bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5)), ("Cộng khối huyện", counts(45, 5))])], total=False)
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.unknown == ["Cộng khối huyện"]
    preview = prepared.preview((2024, 3), skip={"Cộng khối huyện"})
    assert preview["name"].tolist() == ["Phòng Tư pháp"]
    result = prepared.commit(store, (2024, 3), skip={"Cộng khối huyện"})
    assert (result["units"], result["rows"]) == (1, 1)
    assert "Cộng khối huyện" not in store.units()["unit"].tolist()


CASHLESS_INSTEAD = ("«Tỷ lệ thanh toán không dùng tiền mặt» theo định nghĩa của kế hoạch (hồ sơ đã thanh toán trực "
                    "tuyến / hồ sơ trực tuyến có nghĩa vụ tài chính (Phụ lục 1)) cần số «Hồ sơ trực tuyến có nghĩa vụ "
                    "tài chính», số liệu không có; số liệu có đủ để tính theo định nghĩa hồ sơ đã thanh toán trực "
                    "tuyến / mọi hồ sơ có nghĩa vụ tài chính (Chỉ số 766).")


def test_all_fee_counts_under_the_appendix_1_definition_offer_the_definition_they_allow(store):
    data = bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5, fee_dossiers=20, paid_online=9))])],
                  extras=("fee_dossiers", "paid_online"))
    prepared = ingest.prepare("t3.xlsx", data, store)
    plan_id = int(store.plan_of_year(2024)["plan_id"])
    definitions = store.definitions(plan_id)
    assert [i.sentence for i in prepared.instead(definitions)] == [CASHLESS_INSTEAD]
    assert not any("thanh toán" in note for note in prepared.unavailable(definitions))  # said once, by `instead`
    prepared.commit(store, (2024, 3))
    card = scorecard.build(store, Period(2024, 3))
    assert [(i.kpi.key, i.variant, i.other) for i in card.instead()] == [("cashless", "fee_online", "fee_all")]
    assert card.ranking("cashless").set_index("unit").loc["Phòng Tư pháp", "status"] == scorecard.OTHER_DEFINITION
    assert scorecard.STATUS_LABELS[scorecard.OTHER_DEFINITION] == "Có số liệu theo định nghĩa khác"
    store.set_definition(plan_id, "cashless", "fee_all")
    card = scorecard.build(store, Period(2024, 3))
    assert card.instead() == []
    row = card.ranking("cashless").set_index("unit").loc["Phòng Tư pháp"]
    assert (row["numerator"], row["denominator"], row["rate"]) == (9, 20, 45.0)


def by_field_report(title_unit: str | None, header: str = "Lĩnh vực") -> bytes:
    """A Biểu 06 of one unit whose rows are its fields (lĩnh vực), as seed 004 asks on-time by field."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu 06"
    if title_unit:
        ws.append([f"Đơn vị: {title_unit}"])
    ws.append(["Kỳ báo cáo: Tháng 3 năm 2024"])
    ws.append(["STT", header, "Số hồ sơ nhận giải quyết", None, None, None, "Số hồ sơ đã giải quyết"])
    ws.append([None, None, "Tổng số", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", "Tổng số",
               "Trước hạn", "Đúng hạn", "Quá hạn"])
    ws.append([1, "Đất đai", 120, 100, 20, 0, 110, 60, 40, 10])
    ws.append([2, "Lĩnh vực Môi trường", 10, 5, 5, 0, 10, 10, 0, 0])
    ws.append([None, "Tổng cộng", 130, 105, 25, 0, 120, 70, 40, 10])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_bieu_06_by_field_is_its_units_month_and_keeps_the_fields(store):
    from kpi.service import Service, console
    prepared = ingest.prepare("tnmt-t3.xlsx", by_field_report("Phòng Tài nguyên và Môi trường"), store)
    assert (prepared.by_field, prepared.title_unit, prepared.unknown) == (True, "Phòng Tài nguyên và Môi trường", [])
    assert prepared.problems == []
    preview = prepared.preview((2024, 3))
    assert preview["name"].tolist() == ["Đất đai", "Lĩnh vực Môi trường"]
    assert preview["ontime_rate"].round(4).tolist() == [round(100 * 100 / 110, 4), 100.0]
    prepared.commit(store, (2024, 3))
    assert store.units()["unit"].tolist().count("Đất đai") == 0  # a field is never a unit
    unit = stored(store, "Phòng Tài nguyên và Môi trường")
    assert (unit["received"], unit["received_online"], unit["resolved_late"]) == (130, 105, 10)
    assert pd.isna(unit["pending"])  # no field gives it
    fields = Service(store.path, console()).fields("Phòng Tài nguyên và Môi trường", Period(2024, 3)).set_index("field")
    assert fields.loc["Đất đai", ["ontime_numerator", "ontime_denominator"]].tolist() == [100, 110]
    assert fields.loc["Đất đai", "online_rate"] == 100 * 100 / 120
    assert fields.loc["Lĩnh vực Môi trường", "received"] == 10


def test_a_report_by_field_without_its_unit_in_the_title_asks_for_one(store):
    prepared = ingest.prepare("t3.xlsx", by_field_report(None, header="Đơn vị / Lĩnh vực"), store)
    assert prepared.by_field and prepared.title_unit is None and prepared.unknown == []
    with pytest.raises(InputError, match="là báo cáo theo lĩnh vực của một đơn vị nhưng tiêu đề không ghi đơn vị"):
        prepared.commit(store, (2024, 3))
    prepared.commit(store, (2024, 3), unit="Phòng Tư pháp")
    assert stored(store, "Phòng Tư pháp")["received"] == 130


def test_a_report_by_field_from_the_command_line(cli_env, tmp_path):
    import subprocess
    import sys

    def kpi(*args):
        return subprocess.run([sys.executable, "-m", "kpi", *args], env=cli_env, capture_output=True, text=True)

    from kpi.plan import SHIPPED_PLAN
    assert kpi("init", "--plan", str(SHIPPED_PLAN)).returncode == 0
    untitled = tmp_path / "linh-vuc.xlsx"
    untitled.write_bytes(by_field_report(None))
    refused = kpi("import", str(untitled))
    assert refused.returncode == 2 and "tiêu đề không ghi đơn vị nào: hãy chỉ rõ bằng --unit TÊN" in refused.stderr
    done = kpi("import", str(untitled), "--unit", "Phòng TN&MT")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Đã nhập linh-vuc.xlsx: tháng 3/2024, 1 đơn vị, 1 dòng (lần nhập số 1; 2 lĩnh vực "
                                   "của Phòng Tài nguyên và Môi trường).")


def test_apology_letters_above_late_dossiers_and_identities_broken_on_many_rows_are_said_once(store):
    names = ["Xã Mỹ Hương", "Xã Mỹ Tú", "Xã Mỹ Phước", "Xã Mỹ Thuận", "Xã Long Hưng", "Xã Hưng Phú", "Xã Phú Mỹ"]
    data = flat([[i, name, 1100, 1000, 100, 1100, 1000, 80, 10, 12 if i == 2 else 10]
                 for i, name in enumerate(names, start=1)],
                ["STT", "Đơn vị", "Tổng số hồ sơ nhận giải quyết", "Trực tuyến", "Trực tiếp", "Đã giải quyết",
                 "Trước hạn", "Đúng hạn", "Quá hạn", "Số hồ sơ quá hạn có văn bản xin lỗi"])
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert prepared.errors == []
    assert prepared.warnings == [
        "Tệp t3.xlsx, trang «Sheet», dòng 4, cột J (Số hồ sơ quá hạn có văn bản xin lỗi): ở 1 đơn vị, «Hồ sơ quá hạn "
        "có thư xin lỗi» lớn hơn «Đã giải quyết quá hạn» (cột I): Xã Mỹ Tú (dòng 4: 12 > 10). Thư xin lỗi được gửi "
        "cả cho hồ sơ đang giải quyết đã quá hạn, nên số thư có thể lớn hơn số hồ sơ đã giải quyết quá hạn; tỷ lệ "
        "thư xin lỗi của đơn vị sẽ trên 100%.",
        "Tệp t3.xlsx, trang «Sheet», dòng 3, cột F (Đã giải quyết): ở 7 đơn vị, «Tổng số hồ sơ đã giải quyết» khác "
        "Đã giải quyết trước hạn + Đã giải quyết đúng hạn + Đã giải quyết quá hạn: Xã Mỹ Hương (dòng 3: 1.100 ≠ "
        "1.090); Xã Mỹ Tú (dòng 4: 1.100 ≠ 1.090); Xã Mỹ Phước (dòng 5: 1.100 ≠ 1.090); Xã Mỹ Thuận (dòng 6: 1.100 "
        "≠ 1.090); Xã Long Hưng (dòng 7: 1.100 ≠ 1.090) và 2 đơn vị khác. Hệ thống một cửa có thể tính các cột theo "
        "cách khác (hồ sơ trả lại, rút, chờ bổ sung); hãy xem lại tệp nếu không phải vậy."]


# -- what a review of the real-export work found ------------------------------------------------------
def flat(rows: list[list], header: list[str], title: str = "Kỳ báo cáo: Tháng 3 năm 2024") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_known_units_are_units_whatever_the_name_column_says(store):
    data = flat([[1, "Phòng Tư pháp", 10, 8, 2], [2, "Phòng Nội vụ", 5, 4, 1], [3, "Xã Mỹ Hương", 9, 9, 0]],
                ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Tổng số", "Trực tuyến", "Trực tiếp"],
                title="THANH TRA HUYỆN — Tháng 3 năm 2024")
    prepared = ingest.prepare("t3.xlsx", data, store)
    assert not prepared.by_field and prepared.rows["unit"].tolist() == ["Phòng Tư pháp", "Phòng Nội vụ", "Xã Mỹ Hương"]
    units = flat([[1, "Tài chính", 10, 8, 2], [2, "Y tế", 5, 4, 1]], ["STT", "Tên đơn vị", "Tổng số", "Trực tuyến",
                                                                       "Trực tiếp"])
    assert not ingest.prepare("t3.xlsx", units, store).by_field  # "Tên đơn vị": units, even named like fields


def test_an_unnumbered_row_above_a_single_unit_is_a_unit_and_a_row_taken_for_a_subtotal_is_named(store):
    rows = [[1, "Phòng Tư pháp", 10, 8, 2], [2, "Phòng Nội vụ", 5, 4, 1], [None, "Thanh tra", 3, 1, 2],
            [3, "Công an huyện", 3, 1, 2]]
    header = ["STT", "Đơn vị", "Tổng số", "Trực tuyến", "Trực tiếp"]
    prepared = ingest.prepare("t3.xlsx", flat(rows, header), store)
    assert prepared.rows["unit"].tolist() == ["Phòng Tư pháp", "Phòng Nội vụ", "Thanh tra", "Công an huyện"]
    summed = [[None, "Huyện Mỹ Tú", 15, 12, 3], [1, "Phòng Tư pháp", 10, 8, 2], [2, "Phòng Nội vụ", 5, 4, 1]]
    prepared = ingest.prepare("t3.xlsx", flat(summed, header), store)
    assert prepared.rows["unit"].tolist() == ["Phòng Tư pháp", "Phòng Nội vụ"]
    assert prepared.warnings == [
        "Tệp t3.xlsx, trang «Sheet»: dòng 3 «Huyện Mỹ Tú» không có số thứ tự và bằng tổng các đơn vị ngay dưới, nên "
        "được coi là dòng tổng nhóm, không nhập như một đơn vị. Nếu đó là một đơn vị, hãy ghi số thứ tự cho dòng đó."]


def test_a_window_that_disagrees_with_the_month_the_title_states_is_a_warning(store):
    data = bieu06(SECTIONS, title_period="Tháng 10 năm 2025 (Từ ngày 15/10/2025 đến ngày 14/11/2025)")
    prepared = ingest.prepare("t10.xlsx", data, store)
    assert prepared.title_period == (2025, 11)
    assert prepared.warnings == [
        "Tệp t10.xlsx: tiêu đề ghi tháng 10/2025 nhưng kỳ báo cáo 15/10–14/11/2025 kết thúc trong tháng 11/2025; số "
        "liệu được nhập là của tháng 11/2025 (tháng của ngày cuối kỳ) trừ khi bạn chọn tháng khác."]
    colons = ingest.prepare("a.xlsx", bieu06(SECTIONS, title_period="Từ ngày: 21/09/2025 Đến ngày: 20/10/2025"), store)
    assert colons.window_label == "21/09–20/10/2025"
    short_end = ingest.prepare("b.xlsx", bieu06(SECTIONS, title_period="Từ ngày 21/12/2024 đến ngày 20/01"), store)
    assert (short_end.title_period, short_end.window_label) == ((2025, 1), "21/12/2024–20/01/2025")


def test_html_exports_as_real_systems_shape_them(store):
    from sheets import html_xls
    rows = [(1, "UBND xã Mỹ Hương", counts(10, 5))]
    page = html_xls(rows).decode("utf-8-sig")
    broken = page.replace("<th>Trực tuyến</th>", "<th>Trực<br>tuyến</th>").replace("UBND xã Mỹ Hương",
                                                                                   "UBND xã<br/>Mỹ Hương")
    heading = '<h3>BÁO CÁO</h3>' + page[page.index("<table"):]
    declared = '<?xml version="1.0" encoding="utf-8"?>' + page
    wrapped = page.replace('<table border="1"', '<table><tr><td><table border="1"').replace(
        "</table></body>", "</table></td></tr></table></body>")
    titled = page.replace("<body>", "<body><table><tr><td>BÁO CÁO</td><td>Từ ngày 21/09/2025 đến ngày 20/10/2025"
                                    "</td></tr></table>")
    for variant in (broken, heading, declared, wrapped, titled):
        prepared = ingest.prepare("BaoCao.xls", variant.encode(), store)
        assert prepared.rows["unit"].tolist() == ["Xã Mỹ Hương"] and prepared.errors == []
    assert ingest.prepare("BaoCao.xls", titled.encode(), store).title_period == (2025, 10)
    excel_2003 = (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                  b'<Worksheet><Table></Table></Worksheet></Workbook>')
    with pytest.raises(InputError, match="là bảng tính XML của Excel 2003: hãy mở tệp bằng Excel, lưu thành .xlsx"):
        ingest.prepare("a.xls", excel_2003, store)


def test_units_with_data_only_under_another_definition_are_said_whatever_the_others_have(store):
    from kpi.measures import COUNTS as ALL
    rows = [{"unit": "Phòng Tư pháp", "year": 2024, "month": 3, "received_online": 5, "received_offline": 5,
             "fee_online": 4, "fee_dossiers": 6, "paid_online": 3},
            {"unit": "Phòng Nội vụ", "year": 2024, "month": 3, "received_online": 5, "received_offline": 5,
             "fee_dossiers": 6, "paid_online": 3}]
    from conftest import count_rows
    store.import_counts(count_rows(rows), file_name="t3.xlsx")
    card = scorecard.build(store, Period(2024, 3))
    ranked = card.ranking("cashless").set_index("unit")
    assert ranked.loc["Phòng Nội vụ", "status"] == scorecard.OTHER_DEFINITION and "fee_online" in ALL
    assert [i.sentence for i in card.instead()] == [
        "«Tỷ lệ thanh toán không dùng tiền mặt» theo định nghĩa của kế hoạch (hồ sơ đã thanh toán trực tuyến / hồ sơ "
        "trực tuyến có nghĩa vụ tài chính (Phụ lục 1)) cần số «Hồ sơ trực tuyến có nghĩa vụ tài chính», số liệu của 1 "
        "đơn vị không có; số liệu của 1 đơn vị có đủ để tính theo định nghĩa hồ sơ đã thanh toán trực tuyến / mọi hồ "
        "sơ có nghĩa vụ tài chính (Chỉ số 766)."]
