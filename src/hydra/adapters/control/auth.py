"""Proof of the token without sending it: the CLI's challenge-response scheme over TCP.

A process squatting on the control port must learn nothing it can use and must not be
able to fake an answer. So over TCP the CLI never sends the bearer token:

1. ``POST /api/v1/auth/challenge {"nonce": <client nonce>}`` (no token): the server
   answers with a fresh server nonce and ``proof = HMAC(token, client nonce, server
   nonce)``. The CLI checks the proof before anything else: a squatter cannot make one.
2. Each request carries ``Authorization: Hydra-HMAC <client>.<server>.<mac>``, the MAC
   binding both nonces to the method, the target and the body; the server accepts each
   server nonce once and only while fresh, so a captured request cannot be replayed.
3. The answer carries ``Hydra-Response-MAC`` over both nonces, the status and the body,
   so a relay cannot swap the trader's answer for its own.

Server nonces verify themselves (time, random part, MAC), so issuing one stores nothing;
only nonces already used are remembered, and only for ``MAX_AGE_S``. Every label is
distinct, so no MAC one step gives out is valid in another step.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = [
    "CHALLENGE_PATH",
    "MAX_AGE_S",
    "RESPONSE_MAC_HEADER",
    "SCHEME",
    "ServerNonces",
    "authorization",
    "client_nonce",
    "parse_authorization",
    "request_mac",
    "response_mac",
    "server_proof",
    "valid_client_nonce",
]

SCHEME = "Hydra-HMAC"
"""The Authorization scheme of a request signed with the token."""

CHALLENGE_PATH = "/api/v1/auth/challenge"
"""Where the CLI asks the server to prove it holds the token (no token needed)."""

RESPONSE_MAC_HEADER = "hydra-response-mac"
"""The header carrying the server's MAC over a signed request's answer."""

MAX_AGE_S = 60
"""How long a server nonce may be used after it was issued, in seconds."""

_CLIENT_NONCE = re.compile(r"[0-9a-f]{32}")
_SERVER_NONCE = re.compile(r"([0-9a-f]{1,16})-([0-9a-f]{32})-([0-9a-f]{32})")
_MAC = re.compile(r"[0-9a-f]{64}")


def _mac(token: str, label: bytes, *parts: bytes) -> str:
    digest = hmac.new(token.encode(), label, hashlib.sha256)
    for part in parts:
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return digest.hexdigest()


def client_nonce() -> str:
    """A fresh client nonce (128 random bits, hex)."""
    return secrets.token_hex(16)


def valid_client_nonce(text: object) -> bool:
    """True for a well-formed client nonce."""
    return isinstance(text, str) and _CLIENT_NONCE.fullmatch(text) is not None


def server_proof(token: str, client: str, server: str) -> str:
    """What only the token's holder can answer to a challenge."""
    return _mac(token, b"hydra/v1/server-proof", client.encode(), server.encode())


def request_mac(
    token: str, client: str, server: str, method: str, target: bytes, body: bytes
) -> str:
    """The MAC of one request: both nonces, method, target (path and query) and body."""
    return _mac(
        token,
        b"hydra/v1/request",
        client.encode(),
        server.encode(),
        method.upper().encode(),
        target,
        hashlib.sha256(body).digest(),
    )


def response_mac(token: str, client: str, server: str, status: int, body: bytes) -> str:
    """The MAC of the answer to one signed request: both nonces, status and body."""
    return _mac(
        token,
        b"hydra/v1/response",
        client.encode(),
        server.encode(),
        str(status).encode(),
        hashlib.sha256(body).digest(),
    )


def authorization(client: str, server: str, mac: str) -> str:
    """The Authorization header value of a signed request."""
    return f"{SCHEME} {client}.{server}.{mac}"


def parse_authorization(value: str) -> tuple[str, str, str] | None:
    """(client nonce, server nonce, mac) from a ``Hydra-HMAC`` header, or None."""
    scheme, _, rest = value.partition(" ")
    if scheme != SCHEME:
        return None
    parts = rest.strip().split(".")
    if len(parts) != 3:
        return None
    client, server, mac = parts
    if not (_CLIENT_NONCE.fullmatch(client) and _SERVER_NONCE.fullmatch(server)):
        return None
    if not _MAC.fullmatch(mac):
        return None
    return client, server, mac


class ServerNonces:
    """Issues server nonces that verify themselves, and accepts each one once while fresh.

    Args:
        token: the control token (the nonces' MAC key).
        max_age: seconds a nonce stays usable.
        clock: wall-clock seconds (tests pass their own).
    """

    def __init__(
        self, token: str, *, max_age: float = MAX_AGE_S, clock: Callable[[], float] = time.time
    ) -> None:
        self._token = token
        self._max_age = max_age
        self._clock = clock
        self._used: OrderedDict[str, float] = OrderedDict()

    def issue(self) -> str:
        """A new server nonce: issue time, random part, and their MAC."""
        issued = f"{int(self._clock()):x}"
        random = secrets.token_hex(16)
        return f"{issued}-{random}-{self._tag(issued, random)}"

    def fresh(self, nonce: str) -> bool:
        """True if this server issued ``nonce`` less than ``max_age`` seconds ago."""
        match = _SERVER_NONCE.fullmatch(nonce)
        if match is None:
            return False
        issued, random, tag = match.groups()
        if not hmac.compare_digest(tag, self._tag(issued, random)):
            return False
        age = self._clock() - int(issued, 16)
        return -5 <= age <= self._max_age

    def use(self, nonce: str) -> bool:
        """Mark ``nonce`` used; False if it was used already (a replay)."""
        now = self._clock()
        while self._used and next(iter(self._used.values())) < now:
            self._used.popitem(last=False)
        if nonce in self._used:
            return False
        self._used[nonce] = now + self._max_age + 5
        return True

    def _tag(self, issued: str, random: str) -> str:
        return _mac(self._token, b"hydra/v1/server-nonce", issued.encode(), random.encode())[:32]
