"""A request body limit that answers in the API's JSON error shape, under the route's template.

Starlette's own limit (`FastAPI(max_body_size=…)`) answers an over-long `Content-Length` with a
plain-text 413 before any route is chosen. Here the limit is applied when a matched route reads
its body (the pattern of FastAPI's "custom Request and APIRoute class" guide): a declared length
over the limit is refused before reading, a chunked body as soon as it passes the limit, and the
413 goes through the API's error handlers and is logged under the route it was sent to.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException


class LimitedBodyRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            limit: int = self.app.state.settings.max_body_bytes
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than {limit:,} bytes.")


class LimitedBodyRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def limited(request: Request) -> Response:
            return await handle(LimitedBodyRequest(request.scope, request.receive))

        return limited
