"""OAuth2 token endpoint (JWT-bearer grant, as google-auth's service-account
credentials use it) and the bearer-token check on API requests."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from typing import Optional

from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .http_util import json_response, one, query_params

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class TokenIssuer:
    """Issues access tokens; any non-empty bearer token is accepted on API calls
    (tokens issued here also tell who is calling, e.g. for protected ranges)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens: dict[str, str] = {}  # access token -> service account email

    def authenticate(self, request: Request, query: str) -> Optional[str]:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token:
            params = query_params(query)
            token = one(params, "access_token") or one(params, "key") or ""
        if not token:
            raise ApiError(401)
        return self.tokens.get(token)

    def token_endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            raise ApiError(405, "Method not allowed")
        form = request.form
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            claims = _decode_jwt(form.get("assertion", ""))
            if claims is None:
                return json_response({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, 400)
            subject = claims.get("sub") or claims.get("iss") or ""
        elif grant == "refresh_token" and form.get("refresh_token"):
            subject = form.get("client_id", "user")
        else:
            return json_response(
                {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}, 400
            )
        token = "emu." + secrets.token_urlsafe(24)
        self.tokens[token] = subject
        return json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})


def _decode_jwt(assertion: str) -> Optional[dict]:
    """Claims of a well-formed RS256 JWT (the signature is not checked)."""
    parts = assertion.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    if header.get("alg") not in ("RS256", "ES256"):
        return None
    if not claims.get("iss") or not claims.get("aud") or "exp" not in claims:
        return None
    return claims


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
