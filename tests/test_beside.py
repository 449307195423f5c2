"""A computation run beside the caller in a forked child (:mod:`shuangsuiji.beside`)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from shuangsuiji.beside import Beside

ROOT = Path(__file__).resolve().parent.parent


def _digest_rows(arr: np.ndarray, scale: int) -> bytes:
    return (arr * scale).tobytes() * 3


def _only_in_the_caller(pid: int) -> str:
    if os.getpid() != pid:
        raise RuntimeError("a failure of the child only")
    return "computed by the caller"


def _fails(message: str) -> None:
    raise ValueError(message)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return any(line.startswith("State:") and "Z" in line for line in fh)
    except FileNotFoundError:
        return True


def test_result_is_the_functions_value_even_when_larger_than_a_pipe() -> None:
    arr = np.arange(1_000_000, dtype=np.int64)
    with Beside(_digest_rows, arr, 7) as b:
        assert b.result() == _digest_rows(arr, 7)


def test_a_child_that_fails_leaves_the_value_to_the_caller() -> None:
    with Beside(_only_in_the_caller, os.getpid()) as b:
        assert b.result() == "computed by the caller"


def test_an_error_of_the_function_reaches_the_caller() -> None:
    with Beside(_fails, "bad input 42") as b:
        with pytest.raises(ValueError, match="bad input 42"):
            b.result()


def test_a_result_never_asked_for_stops_the_child() -> None:
    with Beside(time.sleep, 120) as b:
        pid = b._proc.pid
        assert not _gone(pid)
    assert _gone(pid)


CALLER = """
import os, signal, sys, time
from shuangsuiji.beside import Beside

def slow_and_large():
    time.sleep(0.5)
    return b"x" * 20_000_000

b = Beside(slow_and_large)
print(b._proc.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to watch the child")
def test_the_child_exits_when_its_caller_is_killed() -> None:
    """Its result (larger than a pipe holds) cannot be sent to a dead caller: the child must
    not block on the send, or it would keep the caller's database connection open."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # the caller must first live long enough to print its child's pid (once, in a CI run under
    # load, it printed nothing); that set-up is tried again, the child's exit is not
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", CALLER], capture_output=True, text=True, env=env, timeout=60)
        if out.stdout.split():
            break
    assert out.stdout.split(), f"the caller printed no pid: {out.returncode} {out.stderr[-2000:]}"
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 60
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)
