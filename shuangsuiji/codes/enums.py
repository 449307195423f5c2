"""Enumerations with Chinese and English labels.

Registries arrive as spreadsheets in whatever wording a bureau uses, so each parser
accepts the code, both labels and the common synonyms seen in production exports
(e.g. the national publicity system's ``存续（在营、开业、在册）``), ignoring case, spaces,
hyphens, underscores and full-width forms.  Exports use the Chinese label by default.

>>> parse_entity_status('在业'), parse_entity_status('Moved out')
('active', 'moved_out')
>>> parse_risk_class('b类'), parse_risk_class('')
('B', None)
>>> parse_yes_no('是'), parse_yes_no(0)
(True, False)
>>> label('inspection_method', 'onsite'), label('entity_type', 'individual', 'en')
('现场检查', 'individually-owned business')
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .. import i18n
from ..errors import InvalidComponent

_IGNORED = dict.fromkeys(map(ord, " \t\r\n\u200b\ufeff-_"), None)


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_IGNORED).casefold()


@dataclass(frozen=True)
class Enumeration:
    """Codes with (Chinese, English) labels and extra accepted spellings."""

    name: str
    labels: Mapping[str, tuple[str, str]]
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised spelling → code."""
        table: dict[str, str] = {}
        for code, (zh, en) in self.labels.items():
            for spelling in (code, zh, en):
                table[_key(spelling)] = code
        for spelling, code in self.aliases.items():
            table[_key(spelling)] = code
        return table

    def allowed(self) -> str:
        return "、".join(f"{zh}({code})" for code, (zh, _) in self.labels.items())

    def invalid(self, value: object) -> InvalidComponent:
        return InvalidComponent(f"enum.{self.name}", value="" if value is None else str(value),
                                allowed=self.allowed(), choices=list(self.codes))

    def parse(self, value: object) -> str:
        """The code ``value`` spells, or :class:`InvalidComponent` listing the allowed values."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.invalid(value)
        code = self.lookup.get(_key(str(value)))
        if code is None:
            raise self.invalid(value)
        return code


ENTITY_STATUS = Enumeration("entity_status", {
    "active": ("存续", "active"),
    "suspended": ("停业", "suspended"),
    "cancelled": ("注销", "cancelled"),
    "revoked": ("吊销", "revoked"),
    "withdrawn": ("撤销", "withdrawn"),
    "moved_out": ("迁出", "moved out"),
}, {
    "在业": "active", "开业": "active", "正常": "active", "在营": "active", "在册": "active",
    "存续（在营、开业、在册）": "active", "in operation": "active",
    "歇业": "suspended", "已注销": "cancelled", "吊销，已注销": "cancelled", "canceled": "cancelled",
    "已吊销": "revoked", "吊销，未注销": "revoked", "已撤销": "withdrawn", "已迁出": "moved_out",
})
ENTITY_TYPE = Enumeration("entity_type", {
    "enterprise": ("企业", "enterprise"),
    "individual": ("个体工商户", "individually-owned business"),
    "cooperative": ("农民专业合作社", "farmers' cooperative"),
    "other": ("其他", "other"),
}, {"个体户": "individual", "个体": "individual", "合作社": "cooperative",
    "cooperative": "cooperative", "其它": "other"})
RISK_CLASS = Enumeration("risk_class", {
    letter: (f"{letter}类", f"class {letter}") for letter in "ABCD"
}, {f"{letter}{suffix}": letter for letter in "ABCD" for suffix in ("级", "类风险")})
INSPECTOR_STATUS = Enumeration("inspector_status", {
    "on_duty": ("在岗", "on duty"),
    "leave": ("休假", "on leave"),
    "transferred": ("调离", "transferred"),
    "retired": ("退休", "retired"),
}, {"请假": "leave", "在职": "on_duty"})
ITEM_CATEGORY = Enumeration("item_category", {
    "general": ("一般", "general"),
    "key": ("重点", "key"),
}, {"一般事项": "general", "一般检查事项": "general", "重点事项": "key", "重点检查事项": "key"})
INSPECTION_METHOD = Enumeration("inspection_method", {
    "onsite": ("现场检查", "on-site inspection"),
    "documents": ("书面检查", "document review"),
    "online": ("网络监测", "online monitoring"),
    "other": ("其他", "other"),
}, {"现场": "onsite", "实地检查": "onsite", "书面": "documents", "书面审查": "documents",
    "网络": "online", "网络检查": "online", "其它": "other"})
YES_NO = Enumeration("yes_no", {
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}, {"y": "yes", "n": "no", "true": "yes", "false": "no", "1": "yes", "0": "no"})

ENUMERATIONS: dict[str, Enumeration] = {e.name: e for e in (
    ENTITY_STATUS, ENTITY_TYPE, RISK_CLASS, INSPECTOR_STATUS, ITEM_CATEGORY,
    INSPECTION_METHOD, YES_NO)}
ENTITY_STATUSES = ENTITY_STATUS.codes
ENTITY_TYPES = ENTITY_TYPE.codes
RISK_CLASSES = RISK_CLASS.codes
INSPECTOR_STATUSES = INSPECTOR_STATUS.codes
ITEM_CATEGORIES = ITEM_CATEGORY.codes
INSPECTION_METHODS = INSPECTION_METHOD.codes
IN_OPERATION = frozenset({"active"})
UNCLASSIFIED = ("未分类", "unclassified")
_LANGUAGE_INDEX = {"zh": 0, "en": 1}
_UNCLASSIFIED_KEYS = frozenset(_key(s) for s in ("", *UNCLASSIFIED))

_NAMES = {
    "entity_status": ("企业状态", "entity status"),
    "entity_type": ("主体类型", "entity type"),
    "risk_class": ("信用风险分类", "credit risk class"),
    "inspector_status": ("检查人员状态", "inspector status"),
    "item_category": ("事项类别", "item category"),
    "inspection_method": ("检查方式", "inspection method"),
    "yes_no": ("是/否", "yes/no"),
}
i18n.register({
    f"enum.{name}": {"zh": f"“{{value}}”不是有效的{zh}，可选：{{allowed}}",
                     "en": f"'{{value}}' is not a valid {en}; choose one of: {{allowed}}"}
    for name, (zh, en) in _NAMES.items()})
i18n.register({
    "enum.unknown": {"zh": "没有名为“{name}”的枚举，可选：{allowed}",
                     "en": "no enumeration named '{name}'; choose one of: {allowed}"},
    "enum.language": {"zh": "不支持的语言“{language}”，可选：{allowed}",
                      "en": "unsupported language '{language}'; choose one of: {allowed}"},
})


def parse_entity_status(value: object) -> str:
    """One of :data:`ENTITY_STATUSES`."""
    return ENTITY_STATUS.parse(value)


def parse_entity_type(value: object) -> str:
    """One of :data:`ENTITY_TYPES`."""
    return ENTITY_TYPE.parse(value)


def parse_risk_class(value: object) -> str | None:
    """One of :data:`RISK_CLASSES`, or None for an empty cell or 未分类 (unclassified)."""
    if value is None or (isinstance(value, str) and _key(value) in _UNCLASSIFIED_KEYS):
        return None
    return RISK_CLASS.parse(value)


def parse_inspector_status(value: object) -> str:
    """One of :data:`INSPECTOR_STATUSES`."""
    return INSPECTOR_STATUS.parse(value)


def parse_item_category(value: object) -> str:
    """One of :data:`ITEM_CATEGORIES`."""
    return ITEM_CATEGORY.parse(value)


def parse_inspection_method(value: object) -> str:
    """One of :data:`INSPECTION_METHODS`."""
    return INSPECTION_METHOD.parse(value)


def parse_yes_no(value: object, default: bool | None = None) -> bool:
    """A flag from 是/否, Y/N, yes/no, true/false, 1/0 or a bool.

    An empty cell gives ``default`` when one is supplied and is an error otherwise.

    >>> parse_yes_no('', default=True), parse_yes_no('N')
    (True, False)
    """
    if isinstance(value, bool):
        return value
    if default is not None and (value is None or (isinstance(value, str) and not _key(value))):
        return default
    return YES_NO.parse(value) == "yes"


def parse(enum_name: str, value: object) -> str | bool | None:
    """Dispatch to the ``parse_<enum_name>`` parser."""
    enumeration(enum_name)
    return _PARSERS[enum_name](value)


def enumeration(enum_name: str) -> Enumeration:
    """The :class:`Enumeration` called ``enum_name``."""
    try:
        return ENUMERATIONS[enum_name]
    except KeyError:
        raise InvalidComponent("enum.unknown", name=enum_name,
                               allowed=", ".join(ENUMERATIONS)) from None


def label(enum_name: str, code: str | bool | None, lang: str = "zh") -> str:
    """The label of ``code`` in ``lang`` (Chinese by default, as exports need).

    >>> label('risk_class', None), label('yes_no', False, 'en'), label('entity_status', 'active')
    ('未分类', 'no', '存续')
    """
    index = _LANGUAGE_INDEX.get(lang)
    if index is None:
        raise InvalidComponent("enum.language", language=lang, allowed=", ".join(_LANGUAGE_INDEX))
    enum = enumeration(enum_name)
    if enum is RISK_CLASS and code is None:
        return UNCLASSIFIED[index]
    if enum is YES_NO and isinstance(code, bool):
        code = "yes" if code else "no"
    if not isinstance(code, str) or code not in enum.labels:
        raise enum.invalid(code)
    return enum.labels[code][index]


_PARSERS = {
    "entity_status": parse_entity_status,
    "entity_type": parse_entity_type,
    "risk_class": parse_risk_class,
    "inspector_status": parse_inspector_status,
    "item_category": parse_item_category,
    "inspection_method": parse_inspection_method,
    "yes_no": parse_yes_no,
}
