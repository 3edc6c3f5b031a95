"""Another user's crowd on a TCP port: ``python crowd.py PORT N`` opens N sockets and holds them.

Every other socket sends half a request (headers never finished); the rest stay idle.
It prints "holding" once all are opened, then sleeps until it is killed.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import sys
import time

PARTIAL = b"GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\n"


def main(port: int, count: int) -> None:
    """Open ``count`` connections at once, half of them with half a request, and hold them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(count + 64, hard), hard))
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)  # noqa: FBT003  (the stdlib's signature)
        sock.connect_ex(("127.0.0.1", port))
        sockets.append(sock)
    time.sleep(1.0)  # let the handshakes finish
    for index, sock in enumerate(sockets):
        if index % 2:
            with contextlib.suppress(OSError):
                sock.send(PARTIAL)
    print("holding", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
