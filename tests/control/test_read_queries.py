"""Query values the read routes refuse: a clear 422, never a 500."""

from __future__ import annotations

import pytest

from tests.control.conftest import Running


@pytest.mark.parametrize(
    "query",
    ["limit=\u00b2", "limit=0", "limit=1001", "limit=-1", "limit=ten", "outcome=maybe"],
    ids=["superscript-two", "zero", "too-many", "negative", "word", "unknown-outcome"],
)
async def test_bad_list_queries_are_422(running: Running, query: str) -> None:
    """/decisions refuses a limit outside 1..1000 (any digit that is not ASCII too) as 422."""
    response = await running.client.get(f"/api/v1/decisions?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(query.split("=", maxsplit=1)[0] + ":")
