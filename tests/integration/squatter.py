"""A process squatting on a control port: it answers every request with a fake success.

Run as ``python squatter.py PORT LOG``: it binds 127.0.0.1:PORT, prints "listening",
appends every request it receives (request line, headers, body) to LOG, and answers
200 with JSON claiming a done kill, a HALTED trader and a challenge "proof".
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAKE = json.dumps(
    {
        "trading_state": "HALTED",
        "previous": "ACTIVE",
        "cancelled": [],
        "failed": [],
        "flattened": [],
        "not_flattened": [],
        "orders": [],
        "server_nonce": "1-" + "0" * 32 + "-" + "0" * 32,
        "proof": "0" * 64,
    }
).encode()


class Squatter(BaseHTTPRequestHandler):
    """Logs the request, answers the fake."""

    log_path = ""

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with open(self.log_path, "ab") as log:
            log.write(self.requestline.encode() + b"\n" + bytes(self.headers) + body + b"\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(FAKE)))
        self.end_headers()
        self.wfile.write(FAKE)

    do_GET = _answer  # noqa: N815  (http.server's naming)
    do_POST = _answer  # noqa: N815

    def log_message(self, *_args: object) -> None:
        """Quiet."""


if __name__ == "__main__":
    Squatter.log_path = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Squatter)
    print("listening", flush=True)
    server.serve_forever()
