"""Response-wide rules for HTML pages.

BidiControlsMiddleware: no page shows a bidi control character, whatever door the text came in
by or how long ago it was stored, so no complaint, name or answer can show in another order
than it was written (the triage queue, /my/, the operator portal and the admin alike)."""

from .text import BIDI_CONTROLS


class BidiControlsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        charset = response.charset or "utf-8"
        text = response.content.decode(charset, errors="replace")
        if BIDI_CONTROLS.search(text):
            response.content = BIDI_CONTROLS.sub("", text).encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
