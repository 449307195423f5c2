"""shuangsuiji (双随机): reproducible, verifiable random inspection draws.

The names in ``__all__`` are the stable API for embedding systems; everything else
lives in submodules and may change.  Heavy names (the database layer, numpy) load on
first use, so ``import shuangsuiji`` stays cheap for the CLI and for callers that only
want the error classes.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (InfeasibleError, InputError, NotFound, RetryableError, SealedError, ShuangsuijiError,
                     StateError, ValidationError, VerificationError)
from .i18n import set_language
from .progress import NullReporter, Reporter

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .importer import ImportReport, import_file
    from .publication import audit, dispatch, publish, republish, verify_file
    from .results import import_results, review, set_result
    from .store import Store
    from .taskspec import TaskSpec
    from .taskspec import load as load_task_spec
    from .tasks import create_plan, create_task, draw, freeze

__all__ = [
    "Store", "import_file", "ImportReport", "create_plan", "create_task", "freeze", "draw",
    "set_result", "import_results", "review", "publish", "republish", "dispatch", "verify_file", "audit",
    "TaskSpec", "load_task_spec",
    "ShuangsuijiError", "ValidationError", "InputError", "NotFound", "StateError", "SealedError",
    "InfeasibleError", "VerificationError", "RetryableError",
    "Reporter", "NullReporter", "set_language", "__version__",
]

_LAZY: dict[str, tuple[str, str]] = {
    "Store": ("store", "Store"),
    "import_file": ("importer", "import_file"),
    "ImportReport": ("importer", "ImportReport"),
    "create_plan": ("tasks", "create_plan"),
    "create_task": ("tasks", "create_task"),
    "freeze": ("tasks", "freeze"),
    "draw": ("tasks", "draw"),
    "set_result": ("results", "set_result"),
    "import_results": ("results", "import_results"),
    "review": ("results", "review"),
    "publish": ("publication", "publish"),
    "republish": ("publication", "republish"),
    "dispatch": ("publication", "dispatch"),
    "verify_file": ("publication", "verify_file"),
    "audit": ("publication", "audit"),
    "TaskSpec": ("taskspec", "TaskSpec"),
    "load_task_spec": ("taskspec", "load"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("." + target[0], __name__), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

