"""User-facing language: Chinese by default, English on request.

Messages live in one catalogue keyed by error code; each module registers its own
with :func:`register` so the texts sit next to the code that raises them.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("zh", "en")
_catalogue: dict[str, dict[str, str]] = {}
_language: str | None = None


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add ``{code: {"zh": ..., "en": ...}}`` entries to the catalogue."""
    for code, texts in messages.items():
        _catalogue[code] = dict(texts)


def default_language() -> str:
    """``SHUANGSUIJI_LANG``, else English for an English locale, else Chinese."""
    env = os.environ.get("SHUANGSUIJI_LANG", "").lower()
    if env[:2] in LANGUAGES:
        return env[:2]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def get_language() -> str:
    return _language or default_language()


def set_language(lang: str | None) -> None:
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {LANGUAGES}")
    global _language
    _language = lang


class Lazy:
    """A message rendered only when shown, so that nested messages follow the caller's language."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, params: dict[str, object]) -> None:
        self.code, self.params = code, params

    def render(self, lang: str | None = None) -> str:
        return text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Lazy({self.code!r})"


def lazy(code: str, /, **params: object) -> Lazy:
    """A message for an error parameter (e.g. ``detail``), rendered in the language asked for."""
    return Lazy(code, params)


def text(code: str, lang: str | None = None, /, **params: object) -> str:
    """The message for ``code`` in ``lang`` with ``params`` filled in.

    >>> register({"demo.hello": {"zh": "你好，{name}", "en": "hello, {name}"}})
    >>> text("demo.hello", "en", name="x")
    'hello, x'
    >>> text("demo.hello", "zh", name="x")
    '你好，x'
    """
    lang = lang or get_language()
    texts = _catalogue.get(code)
    if texts is None:
        return f"{code} {params}" if params else code
    template = texts.get(lang) or texts.get("zh") or next(iter(texts.values()))
    params = {k: v.render(lang) if isinstance(v, Lazy) else v for k, v in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return f"{template} {params}"
