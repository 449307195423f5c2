"""Working days: official calendar where known, documented fallback elsewhere."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.errors import ValidationError
from shuangsuiji.workdays import (
    Deadline,
    add_workdays,
    coverage,
    is_estimated,
    is_workday,
    publication_deadline,
    status,
    workdays_between,
)

FIRST, LAST = coverage()
official_dates = st.dates(min_value=date(FIRST, 1, 1) + timedelta(days=120),
                          max_value=date(LAST, 12, 31) - timedelta(days=120))
any_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


def test_coverage_matches_what_chinese_calendar_accepts() -> None:
    chinese_calendar.is_workday(date(FIRST, 6, 1))
    chinese_calendar.is_workday(date(LAST, 6, 1))
    for year in (FIRST - 1, LAST + 1):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(year, 6, 1))
    assert FIRST == 2004 and LAST >= 2025


def test_known_dates_2024() -> None:
    assert date(2024, 9, 29).weekday() == 6
    assert is_workday(date(2024, 9, 29)) is chinese_calendar.is_workday(date(2024, 9, 29)) is True
    assert is_workday(date(2024, 10, 1)) is False and chinese_calendar.is_holiday(date(2024, 10, 1))
    assert is_workday(date(2024, 10, 12)) is True          # Saturday make-up day
    assert is_workday(date(2024, 10, 13)) is False         # ordinary Sunday
    assert [is_workday(date(2024, 10, d)) for d in range(1, 8)] == [False] * 7
    assert not any(is_estimated(date(2024, m, 1)) for m in range(1, 13))


@settings(max_examples=300)
@given(official_dates)
def test_agrees_with_chinese_calendar(d: date) -> None:
    assert is_workday(d) == chinese_calendar.is_workday(d)


@settings(max_examples=150)
@given(official_dates, st.integers(min_value=1, max_value=60))
def test_add_workdays_matches_find_workday(start: date, n: int) -> None:
    assert add_workdays(start, n) == chinese_calendar.find_workday(n - 1, start + timedelta(days=1))
    assert add_workdays(start, -n) == chinese_calendar.find_workday(-n, start)


@settings(max_examples=150)
@given(official_dates, st.integers(min_value=0, max_value=90))
def test_workdays_between_matches_get_workdays(a: date, span: int) -> None:
    b = a + timedelta(days=span)
    expected = len(chinese_calendar.get_workdays(a + timedelta(days=1), b)) if span else 0
    assert workdays_between(a, b) == expected
    backwards = len(chinese_calendar.get_workdays(a, b - timedelta(days=1))) if span else 0
    assert workdays_between(b, a) == -backwards


@settings(max_examples=200)
@given(any_dates, st.integers(min_value=-80, max_value=80))
def test_add_and_between_are_inverse(start: date, n: int) -> None:
    end = add_workdays(start, n)
    assert workdays_between(start, end) == n
    if n:
        assert is_workday(end)
        assert (end > start) == (n > 0)


def test_fallback_2030_behaves_as_documented() -> None:
    assert is_estimated(date(2030, 3, 1)) and is_estimated(date(2003, 3, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2030, 1, 1))
    assert date(2030, 1, 1).weekday() == 1 and not is_workday(date(2030, 1, 1))   # Tue, 元旦
    assert is_workday(date(2030, 1, 2))
    assert [is_workday(date(2030, 5, d)) for d in range(1, 8)] == [False] * 5 + [True, True]  # Mon 6, Tue 7
    assert [is_workday(date(2030, 10, d)) for d in range(1, 9)] == [False] * 7 + [True]      # Tue 8
    assert not is_workday(date(2030, 3, 2)) and not is_workday(date(2030, 3, 3))            # Sat, Sun
    # no lunar holidays in the fallback: Tue 5 Feb 2030, in the 春节 week (3 Feb), is a working day
    assert is_workday(date(2030, 2, 5))


@settings(max_examples=200)
@given(st.dates(min_value=date(LAST + 1, 1, 1), max_value=date(2200, 12, 31)))
def test_fallback_rule(d: date) -> None:
    fixed = (d.month == 1 and d.day == 1) or (d.month == 5 and d.day <= 5) or (d.month == 10 and d.day <= 7)
    assert is_workday(d) == (d.weekday() < 5 and not fixed)


def test_publication_deadline_known_case() -> None:
    # ends Fri 20 Sep 2024; 20 working days counted by hand with the 2024 notice:
    # 23-27 Sep (5), Sun 29 (6), Mon 30 (7), 1-7 Oct off, 8-11 (11), Sat 12 (12),
    # 14-18 (17), 21-23 (20)
    dl = publication_deadline(date(2024, 9, 20))
    assert dl == Deadline(due=date(2024, 10, 23), estimated=False, end=date(2024, 9, 20), workdays=20)
    assert publication_deadline(date(2024, 9, 20), workdays=0).due == date(2024, 9, 20)


def test_deadline_across_coverage_edge_is_estimated() -> None:
    assert not publication_deadline(date(LAST, 6, 1)).estimated
    assert publication_deadline(date(LAST, 12, 20)).estimated
    dl = publication_deadline(date(2030, 9, 27))
    assert dl.estimated
    # Fri 27 Sep 2030: 30 Sep (1), 1-7 Oct off, 8-11 (5), 14-18 (10), 21-25 (15), 28 Oct-1 Nov (20)
    assert dl.due == date(2030, 11, 1)


def test_status() -> None:
    dl = publication_deadline(date(2024, 9, 20))        # due 23 Oct 2024 (Wed)
    assert status(dl, date(2024, 10, 24)) == "overdue"
    assert status(dl, date(2024, 10, 23)) == "due_soon"
    assert status(dl, date(2024, 10, 16)) == "due_soon"  # 17,18,21,22,23 → 5 left
    assert status(dl, date(2024, 10, 15)) == "ok"        # 6 left
    assert status(dl, date(2024, 10, 15), due_soon=6) == "due_soon"
    assert status(dl, date(2024, 10, 23), due_soon=0) == "due_soon"
    assert status(dl, date(2024, 10, 22), due_soon=0) == "ok"


@settings(max_examples=100)
@given(any_dates, st.integers(min_value=0, max_value=40), st.integers(min_value=-60, max_value=60),
       st.integers(min_value=0, max_value=10))
def test_status_property(end: date, n: int, offset: int, window: int) -> None:
    dl = publication_deadline(end, n)
    today = dl.due + timedelta(days=offset)
    result = status(dl, today, window)
    if today > dl.due:
        assert result == "overdue"
    else:
        left = sum(is_workday(today + timedelta(days=i)) for i in range(1, (dl.due - today).days + 1))
        assert result == ("due_soon" if left <= window else "ok")


@pytest.mark.parametrize("call", [
    lambda: add_workdays("2024-01-01", 1),  # type: ignore[arg-type]
    lambda: add_workdays(datetime(2024, 1, 1), 1),  # type: ignore[arg-type]
    lambda: add_workdays(date(2024, 1, 1), 1.5),  # type: ignore[arg-type]
    lambda: add_workdays(date(2024, 1, 1), True),  # type: ignore[arg-type]
    lambda: workdays_between(date(2024, 1, 1), None),  # type: ignore[arg-type]
    lambda: publication_deadline(date(2024, 1, 1), -1),
    lambda: status(publication_deadline(date(2024, 1, 1)), date(2024, 1, 1), -2),
])
def test_bad_arguments_raise_validation_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.message("zh") and info.value.message("en")
