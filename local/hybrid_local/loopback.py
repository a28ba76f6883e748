"""The local stack's own small HTTP endpoints (Runtime APIs, the credentials endpoint, the control API)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackHandler(BaseHTTPRequestHandler):
    """Answers with JSON and keeps no access log: these endpoints are the stack's plumbing, not its API."""

    def reply(self, status: int, body: Any = None) -> None:
        payload = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.protocol_version == "HTTP/1.0":
            # Said outright, not only implied by HTTP/1.0: a client that pools connections (Java's HttpClient)
            # could otherwise send its next request on this one after the server closed it.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


class BurstServer(ThreadingHTTPServer):
    """A threaded server that takes a burst of connections at once, as API Gateway and Lambda's endpoints do.

    Python's default listen backlog is 5: a sixth connection arriving before the accept loop catches up is
    reset, and its client sees a failure for a request the server may still carry out."""

    request_queue_size = 128
    daemon_threads = True


def serve(handler: type[BaseHTTPRequestHandler], name: str, port: int = 0) -> BurstServer:
    """Serves a handler on a loopback port (any free one by default) from a daemon thread."""
    server = BurstServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server
