"""HubSpot's CRM API as a local server: GET /crm/v3/objects/contacts/{id} as documented."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUBSPOT_TOKEN = "pat-na1-test-token"
CONTACTS = {
    "7001": {
        "id": "7001",
        "properties": {
            "email": "katherine@orbital-mechanics.com",
            "firstname": "Katherine",
            "lastname": "Johnson",
            "jobtitle": "Research Mathematician",
            "company": "Orbital Mechanics LLC",
            "hs_object_id": "7001",
        },
        "createdAt": "2026-11-23T09:00:00.000Z",
        "updatedAt": "2026-11-23T09:00:00.000Z",
        "archived": False,
    }
}


class HubSpotApi(BaseHTTPRequestHandler):
    """Answers GET /crm/v3/objects/contacts/{id} as HubSpot's CRM API does (200, 404, 401)."""

    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        if self.headers.get("Authorization") != f"Bearer {HUBSPOT_TOKEN}":
            return self._answer(401, {"status": "error", "category": "INVALID_AUTHENTICATION"})
        contact_id = self.path.split("?")[0].rsplit("/", 1)[-1]
        if contact_id not in CONTACTS:
            return self._answer(404, {"status": "error", "category": "OBJECT_NOT_FOUND"})
        return self._answer(200, CONTACTS[contact_id])

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def serve_hubspot() -> Iterator[str]:
    """A local server keeping HubSpot's CRM contacts contract; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubSpotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
