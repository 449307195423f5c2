"""One exception tree for the whole library.

Every error carries a machine-readable ``code`` and the ``params`` it was raised
with; its text comes from the :mod:`shuangsuiji.i18n` catalogue so that the CLI can
show it in Chinese or English.  Validation errors are also ``ValueError`` (as in
python-stdnum).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import i18n


class ShuangsuijiError(Exception):
    """Base class: ``code`` names the failure, ``params`` hold its details."""

    code = "error"
    exit_code = 1

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.code)

    def message(self, lang: str | None = None) -> str:
        return i18n.text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.message()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message(), "params": _plain(self.params)}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class ValidationError(ShuangsuijiError, ValueError):
    """A value is not acceptable (bad code, bad enumeration, bad date …)."""

    code = "validation"


class InvalidFormat(ValidationError):
    code = "code.invalid_format"


class InvalidLength(InvalidFormat):
    code = "code.invalid_length"


class InvalidChecksum(ValidationError):
    code = "code.invalid_checksum"


class InvalidComponent(ValidationError):
    code = "code.invalid_component"


class NotFound(ShuangsuijiError, LookupError):
    code = "not_found"


class StateError(ShuangsuijiError):
    """The operation is not allowed in the object's current state (e.g. sealed)."""

    code = "state"


class SealedError(StateError):
    code = "sealed"


class InfeasibleError(ShuangsuijiError):
    """The rules cannot all hold; ``params['reasons']`` explains why."""

    code = "infeasible"


class VerificationError(ShuangsuijiError):
    """A bundle, seal, chain or database row does not match what it should."""

    code = "verify.failed"


class RetryableError(ShuangsuijiError):
    """A concurrent operation won a race; running the command again is safe."""

    code = "retryable"
    exit_code = 75


@dataclass(frozen=True)
class Problem:
    """One bad cell of an input file."""

    file: str
    line: int
    column: str
    value: str
    reason_code: str
    params: tuple[tuple[str, Any], ...] = ()

    def reason(self, lang: str | None = None) -> str:
        return i18n.text(self.reason_code, lang, **dict(self.params))

    def format(self, lang: str | None = None) -> str:
        return i18n.text("problem.line", lang, file=self.file, line=self.line,
                         column=self.column, value=_short(self.value), reason=self.reason(lang))

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "value": self.value, "code": self.reason_code, "reason": self.reason(lang)}


def _short(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 1] + "…"


class InputError(ValidationError):
    """An input file has bad rows; nothing was written.  ``problems`` lists them all."""

    code = "input.invalid"

    def __init__(self, problems: list[Problem], file: str = "", **params: Any) -> None:
        self.problems = problems
        super().__init__(self.code, file=file, count=len(problems), **params)

    def message(self, lang: str | None = None) -> str:
        head = i18n.text(self.code, lang, **self.params)
        lines = [p.format(lang) for p in self.problems[:200]]
        more = len(self.problems) - len(lines)
        if more > 0:
            lines.append(i18n.text("input.more", lang, count=more))
        return "\n".join([head, *lines])

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["problems"] = [p.to_dict() for p in self.problems]
        return d


i18n.register({
    "error": {"zh": "出错了", "en": "error"},
    "validation": {"zh": "数据无效", "en": "invalid value"},
    "not_found": {"zh": "未找到：{what} {key}", "en": "not found: {what} {key}"},
    "state": {"zh": "当前状态不允许此操作：{detail}", "en": "not allowed in the current state: {detail}"},
    "sealed": {"zh": "{what} {key} 已封存，不可修改或删除", "en": "{what} {key} is sealed and cannot be changed or deleted"},
    "infeasible": {"zh": "无法满足全部规则：\n{detail}", "en": "the rules cannot all hold:\n{detail}"},
    "verify.failed": {"zh": "校验失败：{detail}", "en": "verification failed: {detail}"},
    "retryable": {"zh": "并发冲突，请重试：{detail}", "en": "concurrent update, please retry: {detail}"},
    "code.invalid_format": {"zh": "格式不正确", "en": "invalid format"},
    "code.invalid_length": {"zh": "长度不正确", "en": "invalid length"},
    "code.invalid_checksum": {"zh": "校验码不正确", "en": "invalid check character"},
    "code.invalid_component": {"zh": "组成部分不正确", "en": "invalid component"},
    "problem.line": {"zh": "{file} 第{line}行 [{column}] 值“{value}”：{reason}",
                     "en": "{file} line {line} [{column}] value '{value}': {reason}"},
    "input.invalid": {"zh": "{file} 有 {count} 处错误，未写入任何数据：",
                      "en": "{file} has {count} problem(s); nothing was written:"},
    "input.more": {"zh": "……另有 {count} 处错误未列出", "en": "… and {count} more"},
})
