"""`hydra journal`'s table names a decision's exact contract: ESZ6 and ESH7, not ES twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydra.application.records import DecisionRecord, decision_listing, parse_record
from hydra.domain import Instrument, OrderRequest, Right, SecurityType, Side
from hydra.entrypoints.journal_output import TableOut
from hydra.entrypoints.render import RECORD_COLUMNS, record_row

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
FUT = SecurityType.FUTURE
Z6 = Instrument("ES", FUT, "CME", con_id=495512563, multiplier=50.0, expiry="20261218",
                local_symbol="ESZ6", trading_class="ES")  # fmt: skip
H7 = Instrument("ES", FUT, "CME", con_id=495512564, multiplier=50.0, expiry="20270319",
                local_symbol="ESH7", trading_class="ES")  # fmt: skip
CALL = Instrument("AAPL", SecurityType.OPTION, expiry="20261218", strike=200.0, right=Right.CALL)
SYMBOL = RECORD_COLUMNS.index("symbol")


def _decision(seq: int, instrument: Instrument) -> DecisionRecord:
    order = OrderRequest.stop_limit(Side.SELL, 1, 95.0, 94.5)
    return DecisionRecord(
        seq, T0, instrument.symbol, allowed=True, instrument=instrument, order=order
    )


@pytest.mark.parametrize(
    ("instrument", "shown"),
    [(Z6, "ESZ6"), (H7, "ESH7"), (CALL, "AAPL 20261218 200 C"), (Instrument("AAPL"), "AAPL")],
    ids=["ESZ6", "ESH7", "option-without-local-symbol", "stock"],
)
def test_a_decisions_row_names_its_contract_by_label(instrument: Instrument, shown: str) -> None:
    """The fast listing and the typed record both show the contract's label, not its symbol."""
    data = _decision(1, instrument).as_json()
    listing = decision_listing(data)
    assert listing is not None
    assert record_row(listing)[SYMBOL] == shown
    assert record_row(parse_record(data))[SYMBOL] == shown


def test_the_printed_table_tells_two_expiries_apart(capsys: pytest.CaptureFixture[str]) -> None:
    """Two ES decisions of different expiries print as ESZ6 and ESH7 rows."""
    table = TableOut(follow=False)
    for seq, instrument in enumerate((Z6, H7), start=1):
        listing = decision_listing(_decision(seq, instrument).as_json())
        assert listing is not None
        table.add(listing)
    table.close("audit.jsonl")
    rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.split()[SYMBOL] for row in rows] == ["ESZ6", "ESH7"]
