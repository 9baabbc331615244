"""Who may call a route: every route declares an `Access` level, checked before it runs.

Credentials come as `Authorization: Bearer TOKEN`, or as the dashboard's session cookie (which
holds a token). A request that relies on the cookie to change something must also carry the
session's CSRF token. Tokens are compared in constant time, against every configured token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import Request

from cargohold.web.http import ApiError
from cargohold.web.settings import WebSettings, web_env_var

SESSION_COOKIE = "cargohold_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Access(StrEnum):
    """What a route needs. Declared on every route; a route without one is refused."""

    PUBLIC = "public"
    """Anyone: health check, static files, the login form."""
    STATUS = "status"
    """Whoever holds the job's id or a signed link (only the link if `signed_status_only`)."""
    READ = "read"
    """A read-only or an admin token."""
    ADMIN = "admin"
    """An admin token."""


class Role(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Credentials:
    role: Role | None
    """None: the caller showed no credentials."""
    via_cookie: bool = False
    token: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


ANONYMOUS = Credentials(None)


class Authenticator:
    def __init__(self, settings: WebSettings) -> None:
        self._tokens = [(t.encode(), Role.READ) for t in settings.tokens] + [
            (t.encode(), Role.ADMIN) for t in settings.admin_tokens
        ]
        self.has_admin = bool(settings.admin_tokens)
        self.has_tokens = bool(self._tokens)
        self._key = (settings.secret or secrets.token_urlsafe(32)).encode()
        self.signed_status_only = settings.signed_status_only

    def role_of(self, token: str) -> Role | None:
        """The token's role, comparing against every token so timing reveals nothing."""
        presented = token.encode()
        found: Role | None = None
        for known, role in self._tokens:
            if hmac.compare_digest(presented, known):
                found = role
        return found

    def credentials(self, request: Request) -> Credentials:
        """Who the caller is; ApiError 401 for a missing or malformed token, 403 for a wrong one."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token or " " in token or not token.isascii():
                raise ApiError(
                    401, "malformed Authorization header: send 'Authorization: Bearer TOKEN'"
                )
            role = self.role_of(token)
            if role is None:
                raise ApiError(403, "the token is not valid")
            return Credentials(role, token=token)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            role = self.role_of(cookie) if cookie.isascii() else None
            if role is None:
                raise ApiError(401, "the session has expired or its token was revoked; log in")
            return Credentials(role, via_cookie=True, token=cookie)
        return ANONYMOUS

    def require(self, request: Request, access: Access) -> Credentials:
        """The caller's credentials if they grant `access`, else ApiError 401 or 403."""
        if access == Access.PUBLIC:
            return ANONYMOUS
        if access == Access.STATUS:
            return self._status_access(request)
        credentials = self.credentials(request)
        if credentials.role is None:
            raise ApiError(401, "this route needs a token: send 'Authorization: Bearer TOKEN'")
        if access == Access.ADMIN and credentials.role != Role.ADMIN:
            if not self.has_admin:
                raise ApiError(
                    403,
                    "admin routes are disabled: no admin token is configured "
                    f"(set {web_env_var('admin_tokens')})",
                )
            raise ApiError(403, "this route needs an admin token; yours is read-only")
        return credentials

    def _status_access(self, request: Request) -> Credentials:
        job_id = request.path_params.get("job_id", "")
        signature = request.query_params.get("sig")
        if signature is not None and self.verify(job_id, signature):
            return ANONYMOUS
        if signature is not None:
            raise ApiError(403, "the signature of this status link is not valid")
        if not self.signed_status_only:
            return ANONYMOUS
        credentials = self.credentials(request)
        if credentials.role is None:
            raise ApiError(401, "this status needs a signed link (?sig=...) or a token")
        return credentials

    # -- signatures --------------------------------------------------------------------------

    def sign(self, job_id: str) -> str:
        return sign_job_id(self._key, job_id)

    def verify(self, job_id: str, signature: str) -> bool:
        if not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(job_id).encode(), signature.encode())

    def csrf_token(self, session_token: str) -> str:
        digest = hmac.new(self._key, b"csrf:" + session_token.encode(), hashlib.sha256)
        return digest.hexdigest()

    def check_csrf(self, credentials: Credentials, presented: str | None) -> None:
        """A change made on the strength of the cookie must show the session's CSRF token."""
        if not credentials.via_cookie or credentials.token is None:
            return
        expected = self.csrf_token(credentials.token)
        if presented is None or not presented.isascii():
            raise ApiError(403, "missing CSRF token: reload the page and try again")
        if not hmac.compare_digest(expected.encode(), presented.encode()):
            raise ApiError(403, "the CSRF token does not match this session: reload the page")


def sign_job_id(key: bytes, job_id: str) -> str:
    """The signature a status link carries: HMAC-SHA256 of the job id, 128 bits in hex."""
    return hmac.new(key, b"status:" + job_id.encode(), hashlib.sha256).hexdigest()[:32]
