"""HubSpot's CRM API (v3) as a local server, keeping the documented contract of the endpoints
Cascade calls: GET /crm/v3/objects/contacts/{id}; POST /crm/v3/objects/contacts/batch/read and
/batch/update (at most 100 inputs; 207 when some are missing); PUT /crm/v3/lists/{listId}/
memberships/add and /remove (an array of record ids; recordIdsMissing, recordIdsRemoved,
recordsIdsAdded as the v3 reference spells them). Bearer token auth; `throttle` answers the next
requests 429 with Retry-After, as HubSpot's rolling limits do."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUBSPOT_TOKEN = "pat-na1-test-token"
BATCH_LIMIT = 100
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


@dataclass
class HubSpotState:
    """The portal behind the server: contacts by id, lists of record ids, what was asked."""

    url: str = ""
    contacts: dict[str, dict[str, Any]] = field(default_factory=lambda: json.loads(json.dumps(CONTACTS)))
    lists: dict[str, set[str]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, items
    throttle: int = 0  # the next requests answered 429
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_contact(self, email: str) -> str:
        with self.lock:
            contact_id = str(8000 + len(self.contacts))
            self.contacts[contact_id] = {
                "id": contact_id,
                "properties": {"email": email, "hs_object_id": contact_id},
            }
            return contact_id

    def by_email(self, email: str) -> dict[str, Any] | None:
        return next(
            (c for c in self.contacts.values() if c["properties"].get("email") == email.lower()), None
        )


class HubSpotApi(BaseHTTPRequestHandler):
    """The CRM endpoints above, answered as HubSpot's API does (200, 207, 400, 401, 404, 429)."""

    delay = 0.0
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> HubSpotState:
        found: HubSpotState = self.server.state  # type: ignore[attr-defined]
        return found

    def do_GET(self) -> None:
        time.sleep(self.delay)
        if not self._authorized():
            return
        contact_id = self.path.split("?")[0].rsplit("/", 1)[-1]
        found = self.state.contacts.get(contact_id)
        if found is None:
            return self._answer(404, {"status": "error", "category": "OBJECT_NOT_FOUND"})
        return self._answer(200, found)

    def do_POST(self) -> None:
        body = self._body()
        if not self._authorized() or self._throttled(len(body.get("inputs", []))):
            return
        inputs = body.get("inputs", [])
        if len(inputs) > BATCH_LIMIT:
            return self._answer(
                400, {"status": "error", "category": "VALIDATION_ERROR", "message": "Too many inputs"}
            )
        path = self.path.split("?")[0]
        if path == "/crm/v3/objects/contacts/batch/read":
            return self._batch(
                inputs,
                lambda i: (
                    self.state.by_email(i["id"])
                    if body.get("idProperty") == "email"
                    else self.state.contacts.get(i["id"])
                ),
            )
        if path == "/crm/v3/objects/contacts/batch/update":
            return self._batch(inputs, self._update)
        return self._answer(404, {"status": "error", "category": "OBJECT_NOT_FOUND"})

    def do_PUT(self) -> None:
        ids = [str(i) for i in self._body()]
        if not self._authorized() or self._throttled(len(ids)):
            return
        parts = self.path.split("?")[0].strip("/").split("/")  # crm v3 lists {id} memberships {op}
        if len(parts) != 6 or parts[:3] != ["crm", "v3", "lists"] or parts[5] not in ("add", "remove"):
            return self._answer(404, {"status": "error", "category": "OBJECT_NOT_FOUND"})
        members = self.state.lists.setdefault(parts[3], set())
        missing = [i for i in ids if i not in self.state.contacts]
        known = [i for i in ids if i in self.state.contacts]
        if parts[5] == "add":
            added = [i for i in known if i not in members]
            members.update(known)
            return self._answer(
                200, {"recordIdsMissing": missing, "recordIdsRemoved": [], "recordsIdsAdded": added}
            )
        removed = [i for i in known if i in members]
        members.difference_update(known)
        return self._answer(
            200, {"recordIdsMissing": missing, "recordIdsRemoved": removed, "recordsIdsAdded": []}
        )

    def _update(self, item: dict[str, Any]) -> dict[str, Any] | None:
        found = self.state.contacts.get(str(item["id"]))
        if found is not None:
            found["properties"].update(item.get("properties", {}))
        return found

    def _batch(self, inputs: list[dict[str, Any]], one: Any) -> None:
        with self.state.lock:
            results, missing = [], []
            for item in inputs:
                found = one(item)
                if found:
                    results.append(found)
                else:
                    missing.append(str(item["id"]))
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if missing:
            answer["errors"] = [
                {"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing}}
            ]
            answer["numErrors"] = len(missing)
        return self._answer(207 if missing else 200, answer)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {HUBSPOT_TOKEN}":
            return True
        self._answer(401, {"status": "error", "category": "INVALID_AUTHENTICATION"})
        return False

    def _throttled(self, items: int) -> bool:
        with self.state.lock:
            self.state.requests.append((self.command, self.path, items))
            throttled, self.state.throttle = self.state.throttle > 0, max(self.state.throttle - 1, 0)
        if throttled:
            limited = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
            self._answer(429, limited, {"Retry-After": "1"})
        return throttled

    def _body(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        return json.loads(raw or b"{}")

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def serve_hubspot_state() -> Iterator[HubSpotState]:
    """A local server keeping HubSpot's CRM contract, with the portal it holds."""
    state = HubSpotState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubSpotApi)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_hubspot() -> Iterator[str]:
    """The same server; yields its base URL."""
    with serve_hubspot_state() as state:
        yield state.url
