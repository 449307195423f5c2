"""Chinese working days and the publication deadline (一公开 within N working days).

Official working days come from ``chinese_calendar`` (State Council holiday notices,
including 调休 make-up working weekends).  That package only knows the years from
2004 to the last notice it ships; for any other year this module falls back to an
*estimate*:

* Monday–Friday are working days, Saturday and Sunday are not;
* the statutory holidays on fixed Gregorian dates are days off: 元旦 1 January,
  劳动节 1–5 May, 国庆 1–7 October (the usual extent of those breaks after 调休).

The fallback ignores the lunar holidays (春节, 清明, 端午, 中秋) and the make-up
working weekends, so an estimated deadline may be off by a few days.  Callers flag
such results with :func:`is_estimated` / :attr:`Deadline.estimated` and recompute
once a newer ``chinesecalendar`` knows the year.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import chinese_calendar

from . import i18n
from .errors import ValidationError

DEFAULT_WORKDAYS = 20
DEFAULT_DUE_SOON = 5

FALLBACK_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    [(1, 1)] + [(5, d) for d in range(1, 6)] + [(10, d) for d in range(1, 8)]
)
"""(month, day) pairs treated as days off in years the official calendar does not cover."""

Status = Literal["overdue", "due_soon", "ok"]

_ONE = timedelta(days=1)


@lru_cache(maxsize=1)
def coverage() -> tuple[int, int]:
    """First and last year for which the official calendar is known.

    >>> first, last = coverage()
    >>> first
    2004
    >>> last >= 2025
    True
    """
    years = sorted({d.year for d in chinese_calendar.holidays})
    return years[0], years[-1]


def is_estimated(d: date) -> bool:
    """True if ``d`` lies in a year only the documented fallback covers.

    >>> is_estimated(date(2024, 5, 1)), is_estimated(date(2099, 5, 1))
    (False, True)
    """
    first, last = coverage()
    return not first <= d.year <= last


def _fallback_is_workday(d: date) -> bool:
    return d.weekday() < 5 and (d.month, d.day) not in FALLBACK_HOLIDAYS


@lru_cache(maxsize=65536)
def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day in mainland China (official or estimated).

    >>> is_workday(date(2024, 9, 29))   # Sunday, 调休 make-up working day
    True
    >>> is_workday(date(2024, 10, 1))   # 国庆
    False
    """
    if is_estimated(d):
        return _fallback_is_workday(d)
    return bool(chinese_calendar.is_workday(d))


def _check_date(value: object, name: str) -> date:
    if type(value) is not date:
        raise ValidationError("workdays.not_a_date", name=name, value=repr(value))
    return value


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("workdays.not_an_int", name=name, value=repr(value))
    return value


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (before it if ``n`` < 0; ``start`` if 0).

    ``start`` itself is never counted, so inspections ending on a Friday have the
    following Monday as their first working day.

    >>> add_workdays(date(2024, 9, 27), 1)   # Fri → Sun 29 Sep (调休 working day)
    datetime.date(2024, 9, 29)
    >>> add_workdays(date(2024, 9, 30), 1)   # Mon → after the 国庆 break
    datetime.date(2024, 10, 8)
    """
    _check_date(start, "start")
    _check_int(n, "n")
    step = _ONE if n >= 0 else -_ONE
    d = start
    for _ in range(abs(n)):
        d += step
        while not is_workday(d):
            d += step
    return d


def workdays_between(a: date, b: date) -> int:
    """Working days in (a, b] if ``a`` ≤ ``b``, else minus those in [b, a).

    The signs and half-open ends make it the inverse of :func:`add_workdays`:
    ``workdays_between(d, add_workdays(d, n)) == n`` for every ``n``.

    >>> workdays_between(date(2024, 9, 30), date(2024, 10, 8))
    1
    >>> workdays_between(date(2024, 10, 8), date(2024, 9, 30))
    -1
    """
    _check_date(a, "a")
    _check_date(b, "b")
    if b < a:
        return -_count(b, a)
    return _count(a + _ONE, b + _ONE)


def _count(first: date, stop: date) -> int:
    """Working days in [first, stop)."""
    count = 0
    d = first
    while d < stop:
        count += is_workday(d)
        d += _ONE
    return count


@dataclass(frozen=True)
class Deadline:
    """When results must be public; ``estimated`` if any day counted rests on the fallback."""

    due: date
    estimated: bool
    end: date
    workdays: int


def publication_deadline(end: date, workdays: int = DEFAULT_WORKDAYS) -> Deadline:
    """Results are due within ``workdays`` working days after the inspection ends on ``end``.

    >>> publication_deadline(date(2024, 9, 20))   # 国庆 break, two 调休 Saturdays/Sundays
    Deadline(due=datetime.date(2024, 10, 23), estimated=False, end=datetime.date(2024, 9, 20), workdays=20)
    """
    _check_date(end, "end")
    if _check_int(workdays, "workdays") < 0:
        raise ValidationError("workdays.negative", name="workdays", value=workdays)
    due = add_workdays(end, workdays)
    estimated = workdays > 0 and (is_estimated(end + _ONE) or is_estimated(due))
    return Deadline(due=due, estimated=estimated, end=end, workdays=workdays)


def status(deadline: Deadline, today: date, due_soon: int = DEFAULT_DUE_SOON) -> Status:
    """``overdue`` after the due date, ``due_soon`` within ``due_soon`` working days of it.

    >>> dl = publication_deadline(date(2024, 9, 20))
    >>> status(dl, date(2024, 10, 26)), status(dl, date(2024, 10, 21)), status(dl, date(2024, 10, 9))
    ('overdue', 'due_soon', 'ok')
    """
    _check_date(today, "today")
    if _check_int(due_soon, "due_soon") < 0:
        raise ValidationError("workdays.negative", name="due_soon", value=due_soon)
    if today > deadline.due:
        return "overdue"
    if workdays_between(today, deadline.due) <= due_soon:
        return "due_soon"
    return "ok"


i18n.register({
    "workdays.not_a_date": {"zh": "{name} 必须是日期（date），收到 {value}",
                            "en": "{name} must be a date, got {value}"},
    "workdays.not_an_int": {"zh": "{name} 必须是整数，收到 {value}",
                            "en": "{name} must be an integer, got {value}"},
    "workdays.negative": {"zh": "{name} 不能为负数：{value}", "en": "{name} must not be negative: {value}"},
})
