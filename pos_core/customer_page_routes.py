"""The customer display's web page over HTTP: ``GET /`` (the page), ``/display.css`` and
``/display.js``, read once from the package data in pos_core/customer_display_page/.

The page is static: everything the customer sees comes from ``/events`` and is put in as text by
display.js. Security headers on these answers come from pos_core/customer_display_guard.py."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# name in the URL → (file in customer_display_page/, media type)
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/display.css": ("display.css", "text/css; charset=utf-8"),
    "/display.js": ("display.js", "text/javascript; charset=utf-8"),
}


@cache
def page_file(name: str) -> bytes:
    return files("pos_core.customer_display_page").joinpath(name).read_bytes()


def page_routes() -> list[Route]:
    def serve(name: str, media_type: str):
        async def endpoint(request: Request) -> Response:
            # no-cache: a till upgraded overnight serves its new page to the tablet at once.
            return Response(page_file(name), media_type=media_type, headers={"Cache-Control": "no-cache"})

        return endpoint

    return [Route(path, serve(name, media_type), methods=["GET", "HEAD"]) for path, (name, media_type) in PAGE_FILES.items()]
