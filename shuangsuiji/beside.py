"""Run one pure computation in a forked child while the caller goes on.

A draw seals half a million rows: formatting the sealed record and the assignment input
is pure Python work (about 1.4 s at provincial scale) that the GIL would serialise with the
row writes of the same draw.  A forked child inherits the arrays without copying them and
sends back only its result.  Where ``fork`` is missing, or the child fails, the caller
computes the value itself: the function is pure, so the value (or the error) is the same.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class Beside(Generic[T]):
    """``fn(*args)``, computed beside the caller; :meth:`result` waits for it.  Used as a
    context manager, a child whose result is never asked for is stopped on the way out."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self._fn, self._args = fn, args
        self._proc: Any = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(self._recv, send, fn, args), daemon=True)
        self._proc.start()
        send.close()

    def result(self) -> T:
        if self._proc is None:
            return self._fn(*self._args)
        try:
            ok, value = self._recv.recv()
        except (EOFError, OSError):
            ok, value = False, None
        finally:
            self._recv.close()
            self._proc.join()
            self._proc = None
        return value if ok else self._fn(*self._args)

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join()
            self._recv.close()
            self._proc = None


def _child(recv: Any, send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Compute and send.  The inherited reading end is closed first: if the caller dies, the
    send then fails at once instead of filling a pipe nobody reads, and the child exits
    (its copies of the caller's database sockets and files go with it)."""
    recv.close()
    try:
        try:
            value = fn(*args)
        except BaseException:
            send.send((False, None))
        else:
            send.send((True, value))
        send.close()
    finally:
        os._exit(0)
