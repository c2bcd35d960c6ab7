"""Marketo's REST API (v1) as a local server, keeping the documented contract of the endpoints
Cascade calls: GET /identity/oauth/token (client credentials -> access_token, expires_in);
POST /rest/v1/leads.json (action, lookupField, input of at most 300; a result per input, in
order: updated, created or skipped with reason 1004); POST and DELETE
/rest/v1/lists/{listId}/leads.json?id=... (at most 300 ids; added, removed or skipped). Every
REST call needs `Authorization: Bearer <token>`; errors are HTTP 200 with `success: false`:
601 (token invalid), 602 (expired), 606 (rate limit), as Marketo answers them."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID, CLIENT_SECRET = "marketo-client-id", "marketo-client-secret"
BATCH_LIMIT = 300


@dataclass
class MarketoState:
    url: str = ""
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, set[int]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    rate_limited: int = 0  # the next REST calls answered with error 606
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_lead(self, email: str) -> int:
        with self.lock:
            lead_id = 318_000 + len(self.leads)
            self.leads[lead_id] = {"id": lead_id, "email": email.lower()}
            return lead_id

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()


class MarketoApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> MarketoState:
        found: MarketoState = self.server.state  # type: ignore[attr-defined]
        return found

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/identity/oauth/token":
            return self._answer({"success": False, "errors": [{"code": "404", "message": "Not found"}]}, 404)
        if (query.get("grant_type"), query.get("client_id"), query.get("client_secret")) != (
            "client_credentials",
            CLIENT_ID,
            CLIENT_SECRET,
        ):
            return self._answer({"error": "unauthorized", "error_description": "Bad client credentials"}, 401)
        token = uuid.uuid4().hex
        with self.state.lock:
            self.state.tokens.add(token)
        return self._answer(
            {"access_token": token, "token_type": "bearer", "expires_in": 3599, "scope": "api"}
        )

    def do_POST(self) -> None:
        self._rest()

    def do_DELETE(self) -> None:
        self._rest()

    def _rest(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.loads(raw or b"{}")
        ids = [int(i) for i in parse_qs(url.query).get("id", [])]
        items = len(body.get("input", [])) or len(ids)
        with self.state.lock:
            self.state.requests.append((self.command, url.path, items))
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in self.state.tokens:
                return self._error(
                    "602" if token else "601", "Access token expired" if token else "Access token invalid"
                )
            if self.state.rate_limited > 0:
                self.state.rate_limited -= 1
                return self._error("606", "Max rate limit '100' exceeded with in '20' secs")
            if items > BATCH_LIMIT:
                return self._error("1003", f"Too many records, at most {BATCH_LIMIT}")
            if url.path == "/rest/v1/leads.json" and self.command == "POST":
                return self._answer(
                    {
                        "requestId": "r",
                        "success": True,
                        "result": [self._upsert(lead, body) for lead in body["input"]],
                    }
                )
            parts = url.path.strip("/").split("/")  # rest v1 lists {id} leads.json
            if len(parts) == 5 and parts[:3] == ["rest", "v1", "lists"] and parts[4] == "leads.json":
                return self._answer(
                    {"requestId": "r", "success": True, "result": self._membership(parts[3], ids)}
                )
        return self._error("610", "Requested resource not found")

    def _upsert(self, lead: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        email = str(lead.get(body.get("lookupField", "email"), "")).lower()
        found = next((v for v in self.state.leads.values() if v["email"] == email), None)
        if found is None:
            if body.get("action") == "updateOnly":
                return {"status": "skipped", "reasons": [{"code": "1004", "message": "Lead not found"}]}
            lead_id = 318_000 + len(self.state.leads)
            found = self.state.leads[lead_id] = {"id": lead_id, "email": email}
            found.update(lead)
            return {"id": lead_id, "status": "created"}
        found.update({k: v for k, v in lead.items() if k != "email"})
        return {"id": found["id"], "status": "updated"}

    def _membership(self, list_id: str, ids: list[int]) -> list[dict[str, Any]]:
        members = self.state.lists.setdefault(list_id, set())
        done = "added" if self.command == "POST" else "removed"
        results = []
        for lead_id in ids:
            if lead_id not in self.state.leads:
                results.append(
                    {
                        "id": lead_id,
                        "status": "skipped",
                        "reasons": [{"code": "1004", "message": "Lead not found"}],
                    }
                )
                continue
            (members.add if done == "added" else members.discard)(lead_id)
            results.append({"id": lead_id, "status": done})
        return results

    def _error(self, code: str, message: str) -> None:
        self._answer({"requestId": "r", "success": False, "errors": [{"code": code, "message": message}]})

    def _answer(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def serve_marketo() -> Iterator[MarketoState]:
    state = MarketoState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), MarketoApi)
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
