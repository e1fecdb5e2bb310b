"""Keep secrets out of records, logs and error messages."""

from __future__ import annotations

import os
import re

_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|AUTH)", re.I)
_PATTERNS = [
    re.compile(r"(?i)(authorization|api[-_]?key|x-api-key|bearer)(['\"]?\s*[:=]?\s*['\"]?\s*(bearer\s+)?)([A-Za-z0-9._\-]{8,})"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}"),
]


def _secret_values() -> list[str]:
    return sorted(
        (v for k, v in os.environ.items() if _SECRET_ENV.search(k) and v and len(v) >= 6),
        key=len, reverse=True,
    )


def redact(text: str) -> str:
    """Replace the values of secret-looking environment variables and key-shaped tokens."""
    for value in _secret_values():
        text = text.replace(value, "[REDACTED]")
    text = _PATTERNS[0].sub(lambda m: m.group(1) + m.group(2) + "[REDACTED]", text)
    for pat in _PATTERNS[1:]:
        text = pat.sub("[REDACTED]", text)
    return text
