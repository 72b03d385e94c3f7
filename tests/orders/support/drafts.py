"""Helpers the draft order tests share (services and views)."""

from decimal import Decimal

from orders.services import (
    LineInput,
)

MUG = LineInput(name="Mug", sku="MUG-1", quantity=2, unit_price=Decimal("12.50"))


def lines_post(rows, **fields) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0", **fields}
    for index, (name, sku, quantity, price) in enumerate(rows):
        data |= {
            f"lines-{index}-name": name,
            f"lines-{index}-sku": sku,
            f"lines-{index}-quantity": quantity,
            f"lines-{index}-unit_price": price,
        }
    return data
