"""Reporting periods: a period is a set of months, named the way the plans name them."""
from __future__ import annotations

import re
from dataclasses import dataclass

# scope key -> Vietnamese name of the scope, for pickers
SCOPES: dict[str, str] = {
    "month": "Tháng",
    "quarter": "Quý",
    "half": "6 tháng",
    "nine": "9 tháng",
    "year": "Năm",
    "ytd": "Lũy kế từ đầu năm",
}

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True, order=True)
class Period:
    """The period that ends at or contains `month` of `year`, of the given scope.

    month: that month; quarter / half: the calendar quarter / half containing it;
    nine: January to September; year: January to December; ytd: January to the month.
    """

    year: int
    month: int
    scope: str = "month"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"Phạm vi kỳ không hợp lệ: {self.scope!r} (chọn một trong {', '.join(SCOPES)})")
        if not 1 <= self.month <= 12:
            raise ValueError(f"Tháng không hợp lệ: {self.month}")

    @classmethod
    def parse(cls, text: str, scope: str = "month") -> "Period":
        """'2024-06' (or '06/2024') -> Period(2024, 6, scope)."""
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text) or re.fullmatch(r"\s*(\d{1,2})/(\d{4})\s*", text)
        if not m:
            raise ValueError(f"Kỳ không hợp lệ: {text!r}; hãy viết theo dạng NNNN-TT, ví dụ 2024-06")
        a, b = (int(g) for g in m.groups())
        year, month = (a, b) if a > 12 else (b, a)
        return cls(year, month, scope)

    @property
    def first_month(self) -> int:
        if self.scope == "month":
            return self.month
        if self.scope == "quarter":
            return (self.month - 1) // 3 * 3 + 1
        if self.scope == "half":
            return 1 if self.month <= 6 else 7
        return 1  # nine, year, ytd

    @property
    def last_month(self) -> int:
        return {
            "month": self.month,
            "quarter": self.first_month + 2,
            "half": self.first_month + 5,
            "nine": 9,
            "year": 12,
            "ytd": self.month,
        }[self.scope]

    def months(self) -> list[tuple[int, int]]:
        return [(self.year, m) for m in range(self.first_month, self.last_month + 1)]

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        """The period as a report names it: 'Tháng 6/2024', 'Quý II/2024', 'Lũy kế đến tháng 6/2024'."""
        y = self.year
        if self.scope == "month":
            return f"Tháng {self.month}/{y}"
        if self.scope == "quarter":
            return f"Quý {_ROMAN[(self.first_month - 1) // 3 + 1]}/{y}"
        if self.scope == "half":
            return f"6 tháng {'đầu' if self.first_month == 1 else 'cuối'} năm {y}"
        if self.scope == "nine":
            return f"9 tháng năm {y}"
        if self.scope == "year":
            return f"Năm {y}"
        return f"Lũy kế đến tháng {self.month}/{y}"

    def previous(self) -> "Period":
        """The period just before: the previous month, quarter or half; for the others the year before."""
        step = {"month": 1, "quarter": 3, "half": 6}.get(self.scope)
        if step is None:
            return Period(self.year - 1, self.month, self.scope)
        index = self.year * 12 + self.month - 1 - step
        return Period(index // 12, index % 12 + 1, self.scope)

    def year_earlier(self) -> "Period":
        return Period(self.year - 1, self.month, self.scope)

    def counterpart(self) -> "Period":
        """What the period is read beside: a month's year-to-date, a longer period's last month."""
        return Period(self.year, self.last_month, "ytd") if self.scope == "month" else Period(self.year, self.last_month)
