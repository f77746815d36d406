"""The `--db TARGET` of `petra publish` and `petra run`: its form checked, its password never shown.

TARGET is a file path (a local SQLite database) or a PostgreSQL DSN
(`postgresql://user:password@host:5432/db`, also `postgresql+psycopg://`). `parse_target` checks the
form without importing pyam, ixmp4 or a database driver, so a malformed target is refused at once.
Every message shows TARGET as `redacted` renders it: the URL parsed, the password (everything
between the user name and the last `@` of the authority, so a password containing `@` is hidden
whole) and any query parameter that looks like a secret (`?password=`, `?sslpassword=`, `?token=`)
replaced by `***`; `scrub` removes the same secrets from a driver's error message.
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
SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
"""Query parameters whose values are secrets (password, sslpassword, passfile, pwd, api_key, token)."""
_NO_SCHEME_CREDENTIALS = re.compile(r"^(?P<user>[^/:@]+):(?P<password>.*)@(?P<rest>[^@]*)$", re.DOTALL)


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


def _secrets(text: str) -> tuple[str, ...]:
    """The password and secret query values of `text` (a URL, or user:password@host without scheme)."""
    found = []
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return (text.partition("://")[2],)  # unparsable: everything after the scheme is hidden
        userinfo = parts.netloc.rpartition("@")[0]
        if ":" in userinfo:
            found.append(userinfo.partition(":")[2])
        for pair in parts.query.split("&"):
            key, eq, value = pair.partition("=")
            if eq and SECRET_KEY.search(key):
                found.append(value)
    else:
        m = _NO_SCHEME_CREDENTIALS.match(text)
        if m:
            found.append(m["password"])
    found += [s.replace("@", "%40") for s in found]  # as the URL handed to the driver spells it
    return tuple(sorted({s for s in found if s}, key=len, reverse=True))


def scrub(message: str, target: str | Path) -> str:
    """`message` with every secret of TARGET replaced by ***."""
    for secret in _secrets(str(target)):
        message = message.replace(secret, HIDDEN)
    return message


def redacted(target: str | Path) -> str:
    """TARGET as petra shows it: its password and secret query values replaced by ***."""
    text = str(target)
    return scrub(text, text)


def _at_signs_quoted(text: str, parts) -> str:
    """The URL with any `@` in its password percent-encoded: SQLAlchemy ends the password at the first
    `@`, which would send the rest of it to the resolver as part of the host name."""
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if "@" not in password:
        return text
    netloc = f"{user}:{password.replace('@', '%40')}@{hostport}"
    return text.replace(parts.netloc, netloc, 1)


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
        return DbTarget(url=_at_signs_quoted(text, parts), file=None, new=False, shown=shown,
                        secrets=secrets)
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise InputError("--db is a folder; give a database file path (created if missing)", file=shown)
    if not path.parent.is_dir():
        raise InputError("--db: the database's folder does not exist", file=shown)
    return DbTarget(url=f"sqlite:///{path}", file=path, new=not path.exists(), shown=shown, secrets=secrets)
