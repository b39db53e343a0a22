"""The dashboard's guard, a plain ASGI middleware: token check, Host check and safety headers.

* With a token, every request must carry it: ``Authorization: Bearer T``, an
  ``X-Tunelab-Token: T`` header, ``?token=T`` or the ``tunelab_token`` cookie, which the
  first visit with ``?token=`` sets (HttpOnly, SameSite=Strict); otherwise 401.
* Without a token (loopback only), the ``Host`` header must name the loopback interface, so a
  web page on another site cannot reach the dashboard by DNS rebinding; otherwise 403.
* Every answer carries a strict Content-Security-Policy (scripts only from the dashboard
  itself), ``nosniff``, ``no-referrer`` and ``frame-ancestors 'none'``.

Example:
    >>> host_is_loopback("127.0.0.1:8080"), host_is_loopback("[::1]:80"), host_is_loopback("evil.com")
    (True, True, False)
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

__all__ = ["Guard", "host_is_loopback"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "tunelab_token"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
     b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def host_is_loopback(host: str) -> bool:
    """True when a Host header (with or without port) names the loopback interface."""
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in _LOOPBACK or name.startswith("127.")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class Guard:
    """Wraps an ASGI app with the checks of the module docstring.

    Args:
        app: The dashboard application.
        token: The secret every request must carry, or None (then only loopback Host headers).
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    def _presented(self, scope: Scope, headers: dict[str, str]) -> tuple[str | None, bool]:
        """``(token found, came from the query string)``."""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        if "x-tunelab-token" in headers:
            return headers["x-tunelab-token"], False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header counts as none
            return None, False
        return (cookie[COOKIE].value if COOKIE in cookie else None), False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        extra: list[tuple[bytes, bytes]] = []
        if self.token is None:
            if not host_is_loopback(headers.get("host", "")):
                await _refuse(send, 403, "this dashboard answers only on the loopback interface "
                                         "(Host header must be localhost or 127.0.0.1).")
                return
        else:
            given, from_query = self._presented(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                await _refuse(send, 401, "a valid token is required: open the URL printed by "
                                         "`tunelab dashboard` (?token=...) or send 'Authorization: Bearer <token>'.")
                return
            if from_query:
                extra.append((b"set-cookie", f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode()))
                if scope["method"] == "GET" and not scope["path"].startswith("/api/"):
                    await _redirect_without_token(scope, send, extra)
                    return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect_without_token(scope: Scope, send: Send, extra: list[tuple[bytes, bytes]]) -> None:
    """Answer 303 to the same page without ``token`` in the URL (kept out of history and logs)."""
    query = {k: v for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items() if k != "token"}
    path = "/" + quote(scope["path"]).lstrip("/")  # never "//host": no open redirect
    location = path + ("?" + urlencode(query, doseq=True) if query else "")
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0"),
                            *_HEADERS, *extra]})
    await send({"type": "http.response.body", "body": b""})
