"""Money as people read it: never "$0.00" for an amount that is not zero.

Model calls cost fractions of a cent, so the two decimals of a price tag would show a month of
dozens of calls as "$0.00". An amount keeps two significant digits (at least two decimals, at
most five): $12.34, $0.50, $0.012, $0.0012, $0.00012; below a hundredth of a cent it says
"< $0.0001". Templates use the `usd` filter (product/core/templatetags/money.py); Python code
that writes text (chart labels) calls `format_usd`.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

TINY = Decimal("0.0001")
MIN_DECIMALS = 2
MAX_DECIMALS = 5


def format_usd(value: Decimal | float | int | None, unknown: str = "unknown") -> str:
    if value is None:
        return unknown
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if amount.is_zero():
        return "$0.00"
    sign, size = ("-", -amount) if amount < 0 else ("", amount)
    if size < TINY:
        return f"{sign}< $0.0001"
    # Two significant digits: 0.0012 has its first digit at 10^-3, so four decimals.
    first_digit = math.floor(math.log10(size))
    decimals = min(max(1 - first_digit, MIN_DECIMALS), MAX_DECIMALS)
    rounded = size.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(MIN_DECIMALS, "0")
    return f"{sign}${whole}.{fraction}"
