"""Regulatory dates are Chinese dates: "today" is today in China Standard Time (UTC+8),
whatever the server's time zone, so a draw, its results and its deadlines agree."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    return datetime.now(CST).date()
