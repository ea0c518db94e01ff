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
