"""shuangsuiji (双随机): reproducible, verifiable random inspection draws."""
from __future__ import annotations

__version__ = "0.1.0"
