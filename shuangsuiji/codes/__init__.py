"""Validators for the codes 双随机 data is keyed by (python-stdnum contract).

Each module offers ``compact``, ``validate``, ``is_valid`` and ``format``; failures are
:mod:`shuangsuiji.errors` validation errors carrying a specific message code.

- :mod:`.uscc` — 统一社会信用代码 (GB 32100-2015), incl. the GB 11714 organisation-code check
- :mod:`.regno` — legacy 15-digit 工商注册号 (ISO 7064 MOD 11,10)
- :mod:`.entity_id` — either of the two above
- :mod:`.gb2260` — administrative region codes
- :mod:`.gb4754` — industry codes (GB/T 4754-2017)
- :mod:`.cert` — enforcement certificate numbers (执法证号)
- :mod:`.ric` — resident ID card numbers (身份证号)
- :mod:`.enums` — enumerations with Chinese and English labels
- :mod:`.dates` — dates as they appear in spreadsheets
"""
