import pytest

from kpi.periods import Period


@pytest.mark.parametrize("scope, months, label", [
    ("month", [5], "Tháng 5/2024"),
    ("quarter", [4, 5, 6], "Quý II/2024"),
    ("half", [1, 2, 3, 4, 5, 6], "6 tháng đầu năm 2024"),
    ("nine", list(range(1, 10)), "9 tháng năm 2024"),
    ("year", list(range(1, 13)), "Năm 2024"),
    ("ytd", [1, 2, 3, 4, 5], "Lũy kế đến tháng 5/2024"),
])
def test_period_months_and_label(scope, months, label):
    period = Period(2024, 5, scope)
    assert period.months() == [(2024, m) for m in months]
    assert period.label == label


def test_second_half_and_fourth_quarter():
    assert Period(2024, 11, "half").months()[0] == (2024, 7)
    assert Period(2024, 11, "half").label == "6 tháng cuối năm 2024"
    assert Period(2024, 11, "quarter").label == "Quý IV/2024"


def test_previous_and_year_earlier():
    assert Period(2024, 1).previous() == Period(2023, 12)
    assert Period(2024, 2, "quarter").previous().months() == [(2023, 10), (2023, 11), (2023, 12)]
    assert Period(2024, 6, "ytd").previous() == Period(2023, 6, "ytd")
    assert Period(2024, 6, "quarter").year_earlier() == Period(2023, 6, "quarter")


def test_parse():
    assert Period.parse("2024-06", "ytd") == Period(2024, 6, "ytd")
    assert Period.parse("06/2024") == Period(2024, 6)
    with pytest.raises(ValueError, match="Kỳ không hợp lệ"):
        Period.parse("tháng 6")
    with pytest.raises(ValueError, match="Tháng không hợp lệ"):
        Period.parse("2024-13")


def test_a_period_is_read_beside_its_counterpart():
    """The overview shows a month beside its year-to-date, and a longer period beside its last month."""
    assert Period(2024, 6).counterpart() == Period(2024, 6, "ytd")
    assert Period(2024, 5, "quarter").counterpart() == Period(2024, 6)
    assert Period(2024, 10, "ytd").counterpart() == Period(2024, 10)
