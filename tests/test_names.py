"""Unit names as real files write them."""
import pandas as pd
import pytest

from conftest import REALDATA
from kpi import plan
from kpi.ingest import readers
from kpi.ingest.names import Matcher, key



@pytest.fixture(scope="module")
def matcher():
    return Matcher(plan.load().units)


@pytest.mark.parametrize("written, unit", [
    ("UBND xã Mỹ Hương", "Xã Mỹ Hương"),
    ("MỸ HƯƠNG", "Xã Mỹ Hương"),
    ("Xa My Huong", "Xã Mỹ Hương"),
    ("UBND Thị trấn Huỳnh Hữu Nghĩa", "Thị trấn Huỳnh Hữu Nghĩa"),
    ("TT Huỳnh Hữu Nghĩa", "Thị trấn Huỳnh Hữu Nghĩa"),
    ("Phòng Văn hóa và Thông tin", "Phòng Văn hoá và Thông tin"),
    ("Phòng VH&TT", "Phòng Văn hoá và Thông tin"),
    ("Phòng Lao động - Thương binh và Xã hội", "Phòng Lao động, Thương binh và Xã hội"),
    ("Phòng LĐTB&XH", "Phòng Lao động, Thương binh và Xã hội"),
    ("Phòng Nông nghiệp và Phát triển nông thôn", "Phòng Nông nghiệp và PTNT"),
    ("Phòng TN&MT", "Phòng Tài nguyên và Môi trường"),
    ("Phòng TC-KH", "Phòng Tài chính – Kế hoạch"),
    ("Phòng Tài chính - Kế hoạch", "Phòng Tài chính – Kế hoạch"),
    ("Phòng KT&HT", "Phòng Kinh tế và Hạ tầng"),
    ("Phòng GD&ĐT", "Phòng Giáo dục và Đào tạo"),
    ("VPĐKĐĐ", "Văn phòng đăng ký đất đai"),
    ("Thanh tra huyện", "Thanh tra"),
    ("Công an huyện Mỹ Tú", "Công an huyện"),
    ("Phòng Tư pháp huyện Mỹ Tú", "Phòng Tư pháp"),
    ("  phòng   tư  pháp ", "Phòng Tư pháp"),
    ("Xã Mỹ Tú", "Xã Mỹ Tú"),
    ("xã Không Có", None),
])
def test_names_match_their_unit(matcher, written, unit):
    assert matcher.match(written) == unit


def test_tone_placement_and_combining_marks():
    assert key("Phòng Văn hoá") == key("Phòng Văn hóa") == key("Pho\u0300ng Va\u0306n ho\u0301a")


def test_real_portal_names_lose_the_province_suffix():
    """Unit names of the October 2025 export of the national portal (shared/realdata)."""
    sheet = next(s for s in readers.read("x.xlsx", (REALDATA / "bao_cao_T10_2025.xlsx").read_bytes())
                 if s.name == "Xã Phường")
    names = [row[1] for row in sheet.rows(1) if row[1]]
    assert len(names) > 90 and all(n.endswith("- tỉnh An Giang") for n in names)
    keys = [key(n) for n in names]
    assert all("an giang" not in k and "tỉnh" not in k for k in keys)
    assert key("UBND xã Đông Thái - tỉnh An Giang") == "xã đông thái"
    assert key("UBND phường Long Phú - tỉnh An Giang") == "phường long phú"
    # a province's communes: every name keeps its own key
    units = pd.DataFrame({"unit": [n.removeprefix("UBND ").removesuffix(" - tỉnh An Giang") for n in names]})
    matcher = Matcher(units)
    assert [matcher.match(n) for n in names] == units["unit"].tolist()


def test_plain_of_a_column_is_plain_of_each_text():
    """The importer makes names plain a column at a time (Arrow); the rest of the code one at a time."""
    import pyarrow as pa
    from kpi.text import plain, plain_all
    written = ["UBND xã Mỹ Hương", "HOÁ  hóa", "Đ đ ĐỒNG", "Lao động – Thương binh", "Thu\u0309 nghi\u00ea\u0323m",
               "  a\tb\u00a0c ", "Ư ư Ơ ơ Ă â", "Tổng cộng:"]
    assert plain_all(pa.array(written)).to_pylist() == [plain(w) for w in written]


def test_names_that_differ_by_a_tone_mark_are_two_units():
    """"UBND xã Phù Mỹ" (Gia Lai) is not "Xã Phú Mỹ"; a name written without any diacritics is
    matched plain, and only when it names one unit."""
    one = Matcher(pd.DataFrame({"unit": ["Xã Phú Mỹ", "Phường Thủy An", "Phòng Văn hoá và Thông tin"]}))
    assert one.match("UBND xã Phù Mỹ") is None
    assert one.match("UBND xã Phú Mỹ") == "Xã Phú Mỹ"
    assert one.match("XA PHU MY") == "Xã Phú Mỹ" and one.match("Phu My") == "Xã Phú Mỹ"
    assert one.match("Phường Thuỷ An") == "Phường Thủy An"  # old and new tone placement
    assert one.match("Phòng Văn hóa - Thông tin") == "Phòng Văn hoá và Thông tin"
    both = Matcher(pd.DataFrame({"unit": ["Xã Phú Mỹ", "Xã Phù Mỹ"]}))
    assert both.match("UBND xã Phù Mỹ") == "Xã Phù Mỹ" and both.match("Xã Phú Mỹ") == "Xã Phú Mỹ"
    assert both.match("XA PHU MY") is None  # written plain, it could be either
    typed_plain = Matcher(pd.DataFrame({"unit": ["Xa Phu My"]}))
    assert typed_plain.match("UBND xã Phù Mỹ") == "Xa Phu My"  # the unit itself has no marks to compare


def test_aliases_match_by_the_name_as_written():
    aliases = pd.DataFrame({"alias": ["xã phù mỹ", "old plain key"], "unit": ["Xã Phú Mỹ", "Xã Mỹ Tú"],
                            "written": ["UBND xã Phù Mỹ", "old plain key"]})
    matcher = Matcher(pd.DataFrame({"unit": ["Xã Phú Mỹ", "Xã Mỹ Tú"]}), aliases)
    assert matcher.match("Xã Phù Mỹ") == "Xã Phú Mỹ"  # someone said so once
    assert matcher.match("OLD PLAIN KEY") == "Xã Mỹ Tú"


@pytest.mark.parametrize("written, unit", [
    ("Phường Qúy Hoà", "Phường Quý Hòa"),
    ("Phòng KT-HT", "Phòng Kinh tế và Hạ tầng"),
    ("PHÒNG LĐ-TB VÀ XH", "Phòng Lao động, Thương binh và Xã hội"),
    ("UBND TT Huỳnh Hữu Nghĩa", "Thị trấn Huỳnh Hữu Nghĩa"),
    ("P. TN&MT", "Phòng Tài nguyên và Môi trường"),
])
def test_more_ways_offices_write_names(written, unit):
    units = plan.load().units
    matcher = Matcher(pd.concat([units, pd.DataFrame({"unit": ["Phường Quý Hòa"], "group": ["x"]})]))
    assert matcher.match(written) == unit
