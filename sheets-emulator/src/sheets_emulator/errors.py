"""Google-shaped API errors.

Google answers every Sheets/Drive failure with
``{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}``;
Drive v3 adds an ``errors`` list (gspread's back-off client looks at it).
"""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

DEFAULT_MESSAGES = {
    401: (
        "Request is missing required authentication credential. Expected OAuth 2 "
        "access token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    404: "Requested entity was not found.",
    408: "The request timed out.",
    429: (
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests "
        "per minute per user' of service 'sheets.googleapis.com'."
    ),
    500: "Internal error encountered.",
    502: "Bad gateway.",
    503: "The service is currently unavailable.",
    504: "Deadline exceeded.",
}


class ApiError(Exception):
    """Raised anywhere in the emulator; turned into a Google-shaped JSON answer."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        drive_reason: str | None = None,
        drive_location: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ):
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, "Error")
        self.drive_reason = drive_reason
        self.drive_location = drive_location
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        return error_body(
            self.code,
            self.message,
            drive_reason=self.drive_reason,
            drive_location=self.drive_location,
            details=self.details,
        )


def error_body(
    code: int,
    message: str | None = None,
    *,
    drive_reason: str | None = None,
    drive_location: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message = message or DEFAULT_MESSAGES.get(code, "Error")
    err: dict[str, Any] = {"code": code, "message": message}
    if drive_reason:
        item = {"message": message, "domain": "global", "reason": drive_reason}
        if drive_location:
            item.update({"location": drive_location, "locationType": "parameter"})
        err["errors"] = [item]
    else:
        err["status"] = STATUS_BY_CODE.get(code, "UNKNOWN")
        if details:
            err["details"] = details
    return {"error": err}


def drive_error(code: int, message: str, reason: str = "badRequest", location: str | None = None) -> ApiError:
    """A Drive v3 error: ``{"error": {"code", "message", "errors": [{"domain", "reason", ...}]}}``."""
    return ApiError(code, message, drive_reason=reason, drive_location=location)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
