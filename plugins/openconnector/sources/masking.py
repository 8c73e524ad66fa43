"""Keep secrets out of every text a user or a log may see.

A :class:`Masker` knows the secret values of one source (password, API key, client secret, the
tokens obtained at run time) and replaces them, also in their URL-encoded and Basic-auth forms, by
``***``. Query parameters whose *name* looks secret are masked whatever their value, so a key that
the masker was never told about still does not leak through a next link.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

MASK: Final = "***"
#: Secrets shorter than this are not masked inside free text: replacing "1" or "ab" everywhere would
#: destroy the message without protecting anything worth protecting.
MIN_SECRET_LENGTH: Final = 4
_SENSITIVE_NAME: Final = re.compile(
    r"(pass|secret|token|api[-_]?key|apikey|^key$|auth|signature|^sig$|credential|session|cookie|private)",
    re.IGNORECASE,
)


def is_sensitive_name(name: str) -> bool:
    """Tell whether a header or query parameter name suggests that its value is a secret."""
    return bool(_SENSITIVE_NAME.search(name))


class Masker:
    """Replace known secret values, and values of secret-looking query parameters, with ``***``.

    Thread-safe: enrichment threads add tokens while the page thread masks error messages.
    """

    def __init__(self, secrets: Iterable[str | None] = (), *, on_secret: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._forms: list[str] = []
        self._on_secret = on_secret
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Remember more secret values (tokens are only known once they are fetched).

        ``on_secret`` hears of each one too, so the Airflow layer can hand it to Airflow's own log masker.
        """
        forms = set(self._forms)
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                forms.update(_encoded_forms(secret))
                if self._on_secret is not None:
                    self._on_secret(secret)
        with self._lock:
            # Longest first, so a secret that contains another one is masked whole.
            self._forms = sorted(forms, key=len, reverse=True)

    def add_basic(self, username: str, password: str) -> None:
        """Remember the ``Authorization: Basic`` form of a username and password."""
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.add(password, token)

    def text(self, value: str) -> str:
        """Return ``value`` with every known secret replaced by ``***``."""
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def url(self, url: str) -> str:
        """Return the path and query of ``url`` (no scheme or host), secrets masked."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if not parts.query:
            return self.text(path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        masked = [(name, MASK if is_sensitive_name(name) else value) for name, value in pairs]
        return self.text(f"{path}?{urlencode(masked, safe='/:,*')}")


def _encoded_forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def excerpt(body: bytes | str, masker: Masker, limit: int = 300) -> str:
    """Return the start of a response body as one masked, printable line for an error message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    # Mask before cutting: a secret cut in half would no longer be recognised.
    text = masker.text(text[: limit * 4])
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")
