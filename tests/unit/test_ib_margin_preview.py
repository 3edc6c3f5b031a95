"""IB's whatIf order state read as a MarginImpact: unset or unusable figures are refused."""

from __future__ import annotations

import pytest
from ib_async import OrderState

from hydra.adapters.ib.preview import margin_impact_from
from hydra.domain import BrokerError, MarginImpact

UNSET = "1.7976931348623157E308"


def state(before: str = "0.0", after: str = "20000.0", equity: str = "99999.0") -> OrderState:
    """An order state as IB sends a whatIf answer (strings)."""
    return OrderState(
        status="PreSubmitted",
        initMarginBefore=before,
        initMarginAfter=after,
        equityWithLoanAfter=equity,
    )


def test_the_figures_become_a_margin_impact_in_the_base_currency() -> None:
    """Before, after and equity with loan, as numbers, in the currency given."""
    assert margin_impact_from(state(), "USD") == MarginImpact(0.0, 20000.0, 99999.0, "USD")


@pytest.mark.parametrize(
    ("figures", "problem"),
    [
        ({"after": UNSET}, "initMarginAfter"),
        ({"before": ""}, "initMarginBefore"),
        ({"equity": "abc"}, "equityWithLoanAfter"),
        ({"equity": "nan"}, "equityWithLoanAfter"),
        ({"after": "-5"}, "unusable"),
    ],
)
def test_unset_or_unusable_figures_are_a_broker_error(
    figures: dict[str, str], problem: str
) -> None:
    """Nothing is guessed from a half answer: it is a BrokerError naming the figure."""
    with pytest.raises(BrokerError, match=problem):
        margin_impact_from(state(**figures), "USD")


def test_an_answer_without_an_order_state_is_a_broker_error() -> None:
    """ib_async ends a failed request with an empty list: that is no preview."""
    with pytest.raises(BrokerError, match="without an order state"):
        margin_impact_from([], "USD")
