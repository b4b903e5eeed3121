"""Ether and wei, as people write them and as the chain counts them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

WEI_PER_ETH = 10**18


def eth_to_wei(eth: float | str | Decimal) -> int:
    """An amount of ether as wei; refuses negative amounts, fractions of a wei and non-numbers."""
    try:
        wei = Decimal(str(eth)) * WEI_PER_ETH
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of ether: {eth!r}") from exc
    if not wei.is_finite() or wei < 0 or wei != wei.to_integral_value():
        raise ValueError(f"{eth} ETH is not a whole, non-negative number of wei")
    return int(wei)


def wei_to_eth(wei: int) -> str:
    """Wei as a decimal string of ether, without trailing zeros."""
    text = f"{Decimal(wei) / WEI_PER_ETH:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_to_bps(percent: float | str | None) -> int:
    """A percentage (10 or 12.5) as basis points (1000, 1250); None is 0."""
    try:
        return round(Decimal(str(percent or 0)) * 100)
    except InvalidOperation as exc:
        raise ValueError(f"not a percentage: {percent!r}") from exc
