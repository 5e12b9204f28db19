"""HTTP details: reading Bot API parameters, serving injected faults, logging parameters."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiohttp import web

from tgserver.errors import ApiError, bad_request, too_many_requests
from tgserver.limits import Fault
from tgserver.spec import UploadedFile


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made, for assertions on what it called."""

    method: str
    params: dict[str, object]
    ok: bool


async def read_params(request: web.Request) -> dict[str, object]:
    """Parameters from the query string plus a JSON, urlencoded or multipart body."""
    raw: dict[str, object] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                raw[key] = value
    return raw


async def serve_fault(request: web.Request, fault: Fault) -> web.StreamResponse:
    """Answer with the injected failure; 'drop' closes the connection without any response."""
    if fault.kind == "drop":
        assert request.transport is not None
        request.transport.close()
        # handler_cancellation cancels this handler as soon as the connection is gone.
        await asyncio.sleep(5)
        raise ConnectionResetError("dropped by fault injection")
    if fault.kind == "429":
        error = too_many_requests(fault.retry_after)
    else:
        error = ApiError(int(fault.kind), "Internal Server Error" if fault.kind == "500" else "Bad Gateway")
    return web.json_response(error.envelope(), status=error.code)


def loggable(raw: dict[str, object]) -> dict[str, object]:
    """Parameters for refusal listings: JSON strings decoded, files summarized."""
    shown: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                shown[key] = json.loads(value)
                continue
            except ValueError:
                pass
        shown[key] = repr(value) if isinstance(value, UploadedFile) else value
    return shown
