"""Progress reporting: the library stays silent unless given a reporter."""
from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def finish(self) -> None: ...
    def info(self, message: str) -> None: ...


class NullReporter:
    """The default: reports nothing."""

    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass

    def info(self, message: str) -> None:
        pass


NULL = NullReporter()
