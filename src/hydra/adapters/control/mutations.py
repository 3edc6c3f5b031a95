"""The control API's mutations: state, kill, breaker reset, each checked before it acts.

A mutation's body is a JSON object with exactly the fields it takes (an unknown field
such as ``{"flaten": true}`` is a 422, never a kill without flatten); NaN and infinity
are not JSON (422); malformed or too deeply nested JSON is a 400. ``who`` and ``why``
follow the audit text rule (``hydra.domain._validate.audit_text``). Then the gate's public
control runs, and its outcome is read back: a change the journal did not take, or a
state other than the one asked for, is an error (503 / 409), never a 200.

An ``Idempotency-Key`` is reserved before the action: a retry that arrives while the
first request is still running waits for its answer instead of acting again.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hydra.adapters.control.door import error_body, error_response
from hydra.application import RiskGate
from hydra.domain import BreakerName, HydraError, InvalidInputError, TradingState
from hydra.domain._validate import audit_text

__all__ = ["IDEMPOTENCY_KEPT", "Mutations", "parse_body"]

IDEMPOTENCY_KEPT = 256
"""Answers remembered for Idempotency-Key retries (oldest forgotten first)."""

_log = structlog.get_logger("hydra.control")
_KEY_MAX = 200

Answer = tuple[int, Any]
"""An HTTP status and its JSON payload."""


class BodyError(Exception):
    """A request body the API refuses: 400 (not JSON) or 422 (a field is wrong)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _NotAJsonNumberError(ValueError):
    pass


class _DuplicateFieldError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotAJsonNumberError(name)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotAJsonNumberError(text)
    return number


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateFieldError(name)
        result[name] = value
    return result


def parse_body(raw: bytes, fields: tuple[str, ...], action: str) -> dict[str, Any]:
    """The JSON object in ``raw``, holding no field outside ``fields``.

    Raises:
        BodyError: 400 for a missing, malformed or too deeply nested body or one that is
            not an object; 422 for NaN/infinity, a repeated or an unknown field.
    """
    if not raw:
        raise BodyError(400, "a JSON object body is required")
    try:
        body = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_float=_finite,
            object_pairs_hook=_unique,
        )
    except _NotAJsonNumberError as exc:
        raise BodyError(422, f"{exc} is not a JSON number (no NaN or infinity)") from None
    except _DuplicateFieldError as exc:
        raise BodyError(422, f"{exc}: given twice") from None
    except RecursionError:
        raise BodyError(400, "body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BodyError(422, f"{unknown[0]}: unknown field; {action} takes {', '.join(fields)}")
    return body


@dataclass(slots=True)
class _Reservation:
    fingerprint: str
    answer: asyncio.Future[Answer]


class Mutations:
    """The mutation routes over one gate, with their idempotency reservations.

    Args:
        gate: the running RiskGate, driven through its public controls only.
        journal_failures: how many journal appends failed so far (None: unknown; the
            read-back of the state still catches a HALT the journal caused).
    """

    def __init__(self, gate: RiskGate, journal_failures: Callable[[], int] | None) -> None:
        self.gate = gate
        self._failures = journal_failures or (lambda: 0)
        self._keys: OrderedDict[str, _Reservation] = OrderedDict()

    async def set_state(self, request: Request) -> Response:
        """``{"state": "ACTIVE"|"REDUCING"|"HALTED", "who", "why"}``: audited state change."""

        async def act(body: dict[str, Any]) -> Answer:
            state = body.get("state")
            known = [s.value for s in TradingState]
            if not isinstance(state, str) or state.upper() not in known:
                raise InvalidInputError("state", f"must be one of {', '.join(known)}", state)
            wanted = TradingState(state.upper())
            who, why = _who_why(body)
            previous = self.gate.trading_state
            failures = self._failures()
            self.gate.set_trading_state(wanted, who=who, why=why)
            return self._read_back(failures, wanted) or (
                200,
                {"previous": previous.value, "trading_state": self.gate.trading_state.value},
            )

        return await self._mutate(request, "state", ("state", "who", "why"), act)

    async def kill(self, request: Request) -> Response:
        """``{"who", "why", "flatten": false}``: HALT, cancel every open order, maybe flatten."""

        async def act(body: dict[str, Any]) -> Answer:
            who, why = _who_why(body)
            flatten = body.get("flatten", False)
            if not isinstance(flatten, bool):
                raise InvalidInputError("flatten", "must be true or false", flatten)
            failures = self._failures()
            report = await self.gate.kill_switch(who=who, why=why, flatten=flatten)
            done = {
                "trading_state": self.gate.trading_state.value,
                "cancelled": list(report.cancelled),
                "failed": [list(item) for item in report.failed],
                "flattened": [h.order_id for h in report.flattened],
                "not_flattened": [list(item) for item in report.not_flattened],
            }
            refused = self._read_back(failures, TradingState.HALTED)
            if refused is None:
                return 200, done
            # A kill halts and cancels even when the journal refuses its records: the 503
            # still says what it did, so the operator is not left guessing about orders.
            return refused[0], {**refused[1], "kill": done}

        return await self._mutate(request, "kill", ("who", "why", "flatten"), act)

    async def reset_breaker(self, request: Request) -> Response:
        """``{"who", "why"}`` to ``/breakers/{name}/reset``: re-arm a breaker, audited."""
        name = request.path_params["name"]
        if name not in {b.value for b in BreakerName}:
            known = ", ".join(b.value for b in BreakerName)
            return error_response(404, f"no breaker named {name!r}; breakers are {known}")

        async def act(body: dict[str, Any]) -> Answer:
            who, why = _who_why(body)
            failures = self._failures()
            status = self.gate.reset_breaker(name, who=who, why=why)
            return self._read_back(failures, None) or (200, {"breaker": status.as_json()})

        return await self._mutate(request, f"reset:{name}", ("who", "why"), act)

    def _read_back(self, failures: int, wanted: TradingState | None) -> Answer | None:
        """An error answer if the journal refused the change or the state is not ``wanted``."""
        now = self.gate.trading_state
        if self._failures() > failures:
            return _error(
                503,
                "the trader could not journal this change (see its log); trading state "
                f"is now {now.value}",
            )
        if wanted is not None and now is not wanted:
            return _error(409, f"trading state is {now.value}, not {wanted.value}")
        return None

    async def _mutate(
        self,
        request: Request,
        action: str,
        fields: tuple[str, ...],
        act: Callable[[dict[str, Any]], Awaitable[Answer]],
    ) -> Response:
        try:
            body = parse_body(await request.body(), fields, action)
        except BodyError as exc:
            return error_response(exc.status, exc.message)
        key = request.headers.get("idempotency-key")
        if key is not None and not (0 < len(key) <= _KEY_MAX and key.isprintable()):
            return error_response(400, f"Idempotency-Key: 1 to {_KEY_MAX} printable characters")
        if key is None:
            status, payload = await self._run(act, body)
            return JSONResponse(payload, status_code=status)
        fingerprint = f"{action} {json.dumps(body, sort_keys=True)}"
        reserved = self._keys.get(key)
        if reserved is not None:
            if reserved.fingerprint != fingerprint:
                return error_response(409, "Idempotency-Key reused for a different request")
            status, payload = await asyncio.shield(reserved.answer)
            return JSONResponse(payload, status_code=status, headers={"Idempotent-Replay": "1"})
        reservation = _Reservation(fingerprint, asyncio.get_running_loop().create_future())
        self._keys[key] = reservation
        try:
            status, payload = await self._run(act, body)
        except BaseException:
            del self._keys[key]  # interrupted: a retry acts afresh
            reservation.answer.set_result(_error(503, "the first request was interrupted"))
            raise
        reservation.answer.set_result((status, payload))
        if status >= 500:
            del self._keys[key]  # a server-side failure may be retried for real
        self._forget_old()
        return JSONResponse(payload, status_code=status)

    async def _run(
        self, act: Callable[[dict[str, Any]], Awaitable[Answer]], body: dict[str, Any]
    ) -> Answer:
        try:
            answer = await act(body)
        except InvalidInputError as exc:
            return _error(422, str(exc))
        except HydraError as exc:  # e.g. the journal refused the record
            return _error(503, f"{type(exc).__name__}: {exc}")
        _log.info("control.mutation", status=answer[0], who=body.get("who"))
        return answer

    def _forget_old(self) -> None:
        done = [k for k, r in self._keys.items() if r.answer.done()]
        for key in done[: max(0, len(done) - IDEMPOTENCY_KEPT)]:
            del self._keys[key]


def _error(status: int, message: str) -> Answer:
    return status, error_body(status, message)


def _who_why(body: Mapping[str, Any]) -> tuple[str, str]:
    """Both checked here, before the gate is touched (the gate checks them again)."""
    checked = []
    for name in ("who", "why"):
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidInputError(name, "required, a non-empty string (recorded in the journal)")
        checked.append(audit_text(name, body[name]))
    return checked[0], checked[1]
