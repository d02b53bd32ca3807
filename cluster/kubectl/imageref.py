"""An image reference as the distribution library's ReferenceRegexp accepts it (what kubectl checks client-side).

`[domain/]path[:tag][@digest]`: path components are lowercase letters and digits joined by `.`, `_`, `__` or
dashes; a domain is host name components (either case) with an optional port; a tag is up to 128 word
characters, dots and dashes; a digest is `algorithm:hex` with at least 32 hex digits.
"""

from __future__ import annotations

import re

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"{_NAME}(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
INVALID = "invalid reference format"


def valid(reference: str) -> bool:
    return REFERENCE.fullmatch(reference) is not None
