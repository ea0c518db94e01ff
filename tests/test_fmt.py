import pytest

from kpi import fmt


def test_vietnamese_numbers():
    assert fmt.number(1234) == "1.234"
    assert fmt.number(1234567) == "1.234.567"
    assert fmt.percent(82.1345) == "82,13%"
    assert fmt.percent(90.0) == "90,00%"
    assert fmt.percent(None) == "—"
    assert fmt.change(91.5, 90.0) == "+1,50 điểm %"
    assert fmt.change(88.0, 90.25) == "-2,25 điểm %"
    assert fmt.change(None, 90.0) is None


@pytest.mark.parametrize("rate, shown", [
    (5 / 32 * 100, "15,63%"),           # Excel rounds halves up; Python's format would say 15,62%
    (17999 / 20000 * 100, "90,00%"),    # 89,995%, read to Excel's 15 digits first
    (89.994, "89,99%"),
    (2.5, "2,50%"),
])
def test_percent_rounds_half_up_as_excel_does(rate, shown):
    from kpi import fmt
    assert fmt.percent(rate) == shown


@pytest.mark.parametrize("rate, comparator, threshold, met, decimals, figure", [
    (89.996, "ge", 90, False, 3, 89.996),   # «Tối thiểu 90%» not met: never «90,00% — Chưa đạt»
    (90.004, "gt", 90, True, 3, 90.004),    # «Trên 90» met: never «90,00% — Đạt»
    (99.996, "ge", 100, False, 3, 99.996),  # «100%» not met: never «100,00% — Chưa đạt»
    (99.9996, "ge", 100, False, 4, 99.9996),
    (90.0, "gt", 90, False, 2, 90.0),       # «Trên 90» at exactly 90,00%: the figure already agrees
    (89.995, "ge", 90, None, 2, 90.0),      # no verdict: two decimals
])
def test_a_figure_never_contradicts_its_verdict(rate, comparator, threshold, met, decimals, figure):
    from kpi import fmt
    assert fmt.judged(rate, comparator, threshold, met) == (decimals, figure)
