from fractions import Fraction

import pytest

from kpi.targets import Target


@pytest.mark.parametrize("wording, comparator, threshold", [
    # the plans' own phrasings (issue 9): each to its comparator and threshold
    ("Trên 90", "gt", 90),
    ("Trên 90%", "gt", 90),
    ("> 90", "gt", 90),
    ("Tối thiểu 40%", "ge", 40),
    ("Đạt tối thiểu 30%", "ge", 30),
    ("Ít nhất 50%", "ge", 50),
    ("Không thấp hơn 95%", "ge", 95),
    ("Từ 98% trở lên", "ge", 98),
    (">= 98", "ge", 98),
    ("≥ 98", "ge", 98),
    ("≥98%", "ge", 98),
    ("100%", "ge", 100),
    ("Đạt 100%", "ge", 100),
    ("Phấn đấu 100%", "ge", 100),
    ("Đảm bảo 100%", "ge", 100),
    ("Phấn đấu đạt trên 80%", "gt", 80),
    # as typed: other cases, no diacritics, decimal commas, extra spaces
    ("Trên 80%", "gt", 80),
    ("từ 98% trở lên", "ge", 98),
    ("Tren 90", "gt", 90),
    ("TỐI THIỂU  40 %", "ge", 40),
    ("Trên 98,5%", "gt", Fraction(197, 2)),
])
def test_parse_wording(wording, comparator, threshold):
    target = Target.parse(wording)
    assert (target.comparator, target.threshold) == (comparator, threshold)
    assert target.wording == " ".join(wording.split())  # kept as written


@pytest.mark.parametrize("wording, why", [
    ("khá", "không hiểu mức chỉ tiêu «khá»"),
    ("Dưới 10%", "không hiểu mức chỉ tiêu «Dưới 10%»"),
    ("Trên 90 hồ sơ", "không hiểu"),
    ("", "không hiểu"),
    ("Trên 120%", "mức chỉ tiêu «Trên 120%» nằm ngoài khoảng 0–100%"),
])
def test_unreadable_wording_is_refused_in_vietnamese(wording, why):
    with pytest.raises(ValueError, match=why):
        Target.parse(wording)


def test_tren_90_is_strict_at_exactly_90_percent():
    target = Target.parse("Trên 90")
    assert target.met(45, 50) is False  # 90,00% exactly
    assert target.needed(45, 50) == 1
    assert target.met(46, 50) is True
    assert target.needed(46, 50) == 0


def test_toi_thieu_40_includes_40_percent():
    target = Target.parse("Tối thiểu 40%")
    assert target.met(2, 5) is True
    assert target.met(1, 5) is False
    assert target.needed(1, 5) == 1
    assert target.needed(0, 3) == 2  # 2 of 3 = 66,67%; 1 of 3 = 33,33% is not enough


def test_dossiers_needed_37_of_50():
    assert Target.parse("Trên 90").needed(37, 50) == 9  # 46 of 50 = 92% > 90; 45 would be 90%


def test_no_dossiers_no_verdict():
    target = Target.parse("Trên 90")
    assert target.met(0, 0) is None
    assert target.needed(0, 0) is None
    assert target.met(None, None) is None


def test_unreachable_target_has_no_needed_figure():
    assert Target.parse("Trên 100").needed(3, 4) is None
    assert Target.parse("100%").needed(3, 4) == 1
