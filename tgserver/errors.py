"""Telegram-style API errors raised by the test server's method handlers."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal with Telegram's error code and description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, object]:
        """Telegram's JSON error envelope for this error."""
        body: dict[str, object] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """400 Bad Request: <detail>."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """403 Forbidden: <detail>."""
    return ApiError(403, f"Forbidden: {detail}")


def not_implemented(what: str) -> ApiError:
    """501: the test server does not simulate this, so the test must fail loudly."""
    return ApiError(501, f"Not Implemented: not implemented in test server: {what}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 with Telegram's retry_after parameter."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
