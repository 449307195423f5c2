"""Vectorised USCC validation for bulk imports.

Accepts exactly what :func:`shuangsuiji.codes.uscc.validate` accepts (a test holds the two
together); rows it rejects are re-checked one by one to get the precise error message.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .codes.uscc import ALPHABET

_W = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_W = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_USCC = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _USCC[ord(_c)] = _i
_B36 = np.full(256, -1, dtype=np.int64)
for _c in ALPHABET:
    _B36[ord(_c)] = int(_c, 36)
_ORG_CHECK = np.array([ord(c) for c in "0123456789X0"], dtype=np.uint8)  # index: 11 - (s mod 11)


def uscc_ok(values: Sequence[str]) -> np.ndarray:
    """Boolean mask: which values are valid, compact 18-character USCCs."""
    n = len(values)
    ok = np.zeros(n, dtype=bool)
    idx = [i for i, v in enumerate(values) if len(v) == 18 and v.isascii()]
    if not idx:
        return ok
    raw = np.frombuffer("".join(values[i] for i in idx).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    vals = _USCC[raw]
    good = (vals >= 0).all(axis=1) & (raw[:, 0] != ord("0"))
    good &= ((raw[:, 2:8] >= ord("0")) & (raw[:, 2:8] <= ord("9"))).all(axis=1)
    safe = np.where(vals < 0, 0, vals)
    check = (-(safe[:, :17] @ _W)) % 31
    good &= check == safe[:, 17]
    org = _B36[raw[:, 8:16]]
    org = np.where(org < 0, 0, org)
    org_check = _ORG_CHECK[11 - (org @ _ORG_W) % 11]
    good &= org_check == raw[:, 16]
    ok[np.asarray(idx)] = good
    return ok
