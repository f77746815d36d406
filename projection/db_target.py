"""The `--db TARGET` of `petra publish` and `petra run`: its form checked, its password never shown.

TARGET is a file path (a local SQLite database) or a PostgreSQL DSN
(`postgresql://user:password@host:5432/db`, also `postgresql+psycopg://`). `parse_target` checks the
form without importing pyam, ixmp4 or a database driver, so a malformed target is refused at once.
Every message shows TARGET as `redacted` renders it: the password (everything between the user name's
colon and the last `@`, so a password holding `@`, `/`, `?` or `#` is hidden whole) and the value of
any query parameter that looks like a secret (`?password=`, `?sslpassword=`, `?token=`; with all that
follows it) replaced by `***`; `scrub` removes the same secrets from a driver's error message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from petra.errors import InputError

SCHEMES = ("postgresql", "postgresql+psycopg")
"""URL schemes of a database server petra writes to (ixmp4 on PostgreSQL through psycopg 3)."""
HIDDEN = "***"
SECRET_KEY = r"[^=&#?]*(?:pass|pwd|secret|token|key)[^=&#?]*"
"""Query parameters whose values are secrets (password, sslpassword, passfile, pwd, api_key, token): the
value and everything after it is hidden."""
_SECRET_PARAMETER = re.compile(rf"[?&](?P<key>{SECRET_KEY})=(?P<value>.*)", re.IGNORECASE | re.DOTALL)
_CREDENTIALS = re.compile(r"(?P<user>[^/:@]*):(?P<password>.*)@", re.DOTALL)


@dataclass(frozen=True)
class DbTarget:
    """A checked --db TARGET.

    url: the SQLAlchemy URL ixmp4 opens; file: the SQLite file (None for a server); new: whether
    that file does not exist yet; shown: TARGET as messages show it (secrets hidden); secrets: the
    substrings of TARGET that are never shown.
    """

    url: str
    file: Path | None
    new: bool
    shown: str
    secrets: tuple[str, ...]


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets of `text` (a URL, or user:password@host without a scheme) are: the password,
    from the user name's colon to the last @ (a password may hold @ / ? #, which SQLAlchemy and urlsplit
    each read differently), and the value of a secret query parameter with all that follows it (a value
    may hold & or #, which would end it for a URL parser); everything after the scheme if urlsplit
    cannot parse the URL."""
    start = text.index("://") + 3 if "://" in text else 0
    spans = []
    m = _CREDENTIALS.match(text, start)
    if m and m.end("password") > m.start("password"):
        spans.append(m.span("password"))
    m = _SECRET_PARAMETER.search(text, start)
    if m and m.end("value") > m.start("value"):
        spans.append(m.span("value"))
    if start:
        try:
            urlsplit(text).port  # noqa: B018 - raises ValueError where the URL cannot be parsed
        except ValueError:
            spans.append((start, len(text)))
    return spans


def _secrets(text: str) -> tuple[str, ...]:
    """The secrets of `text` (`_secret_spans`) and their spelling in the URL handed to the driver (an @
    percent-encoded), longest first."""
    found = [text[a:b] for a, b in _secret_spans(text)]
    found += [f.replace("@", "%40") for f in found]
    return tuple(sorted(set(found), key=len, reverse=True))


def scrub(message: str, target: str | Path) -> str:
    """`message` (a driver's error) with every secret of TARGET replaced by ***."""
    for secret in _secrets(str(target)):
        message = message.replace(secret, HIDDEN)
    return message


def redacted(target: str | Path) -> str:
    """TARGET as petra shows it: its password and secret query values replaced by ***."""
    text = str(target)
    out, pos = [], 0
    for a, b in sorted(_secret_spans(text)):
        if b <= pos:
            continue
        out += [text[pos:max(a, pos)], HIDDEN]
        pos = b
    return "".join(out) + text[pos:]


def _at_signs_quoted(text: str) -> str:
    """The URL with any @ in its password percent-encoded: SQLAlchemy ends a password at its first @,
    which would send the rest of it to the resolver as part of the host name."""
    m = _CREDENTIALS.match(text, text.index("://") + 3)
    if not m or "@" not in m["password"]:
        return text
    a, b = m.span("password")
    return text[:a] + text[a:b].replace("@", "%40") + text[b:]


def parse_target(target: str | Path) -> DbTarget:
    """TARGET checked (InputError naming it, secrets hidden): a PostgreSQL URL with a host or a
    database name, or a file path whose folder exists and which is not a folder itself."""
    text = str(target)
    shown, secrets = redacted(text), _secrets(text)
    if not text.strip() or "\x00" in text:
        raise InputError("--db: give a file path (SQLite) or a postgresql:// DSN", file=shown)
    if "://" in text:
        scheme = text.partition("://")[0].lower()
        if scheme not in SCHEMES:
            raise InputError(f"--db: give a file path (SQLite) or a postgresql:// DSN, not a {scheme}:// URL",
                             file=shown)
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError as exc:
            raise InputError(f"--db: not a valid URL ({scrub(str(exc), text)})", file=shown) from None
        if not parts.hostname and parts.path in ("", "/"):
            raise InputError("--db: the DSN names neither a host nor a database", file=shown)
        return DbTarget(url=_at_signs_quoted(text), file=None, new=False, shown=shown, secrets=secrets)
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise InputError("--db is a folder; give a database file path (created if missing)", file=shown)
    if not path.parent.is_dir():
        raise InputError("--db: the database's folder does not exist", file=shown)
    return DbTarget(url=f"sqlite:///{path}", file=path, new=not path.exists(), shown=shown, secrets=secrets)
