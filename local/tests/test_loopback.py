"""The local stack's HTTP servers take a burst of connections the way API Gateway does."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler

from hybrid_local.loopback import BurstServer, LoopbackHandler, serve


class _Ok(LoopbackHandler):
    def do_GET(self) -> None:
        self.reply(200, {"ok": True})


def test_connections_wait_in_the_backlog_while_the_server_is_busy() -> None:
    # Nothing accepts yet: every connection must wait in the listen queue rather than be refused or time out,
    # as 24 machines at once would while the server's threads are busy.
    server = BurstServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    waiting = []
    try:
        for _ in range(40):
            client = socket.socket()
            client.settimeout(0.5)
            client.connect(server.server_address)
            waiting.append(client)
    finally:
        for client in waiting:
            client.close()
        server.server_close()
    assert len(waiting) == 40


def test_every_connection_of_a_burst_is_answered() -> None:
    server = serve(_Ok, "burst-test")
    clients = []
    try:
        for _ in range(40):
            client = socket.create_connection(server.server_address, timeout=10)
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            clients.append(client)
        answers = []
        for client in clients:
            answers.append(client.makefile("rb").readline())
    finally:
        for client in clients:
            client.close()
        server.shutdown()
        server.server_close()
    assert answers == [b"HTTP/1.0 200 OK\r\n"] * 40
