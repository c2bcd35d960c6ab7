"""The probe reads /readyz answers of the platform's shape: a consumer reported stalled is; a
healthy one or a service not ready for another reason is not; one that does not answer is
unreachable."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.outbound.adapters.platform import HttpReadiness
from services.outbound.app.watch import Health

STALLED = {
    "status": "not ready",
    "checks": {
        "database": {"ok": True},
        "consumer": {"ok": False, "lag": 40, "error": "lag is growing and no offset has been committed"},
    },
}


@contextmanager
def serve_readyz(body: dict[str, Any], status: int) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_probe_tells_a_stalled_consumer_from_a_healthy_or_absent_service() -> None:
    probe = HttpReadiness()
    with serve_readyz(STALLED, 503) as url:
        assert await probe.health(url) == Health("stalled", "lag is growing and no offset has been committed")
    healthy = {"status": "ready", "checks": {"consumer": {"ok": True, "lag": 0}}}
    with serve_readyz(healthy, 200) as url:
        assert await probe.health(url) == Health("ok")
    with serve_readyz({"status": "not ready", "checks": {"broker": {"ok": False}}}, 503) as url:
        assert await probe.health(url) == Health("ok")  # not ready, but not a stalled consumer
    assert await probe.health("http://127.0.0.1:9") == Health(
        "unreachable", "ConnectError at http://127.0.0.1:9"
    )
