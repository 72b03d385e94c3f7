"""An order's lines and the totals they add up to, written the same way for placed and draft orders."""

from collections.abc import Sequence
from decimal import Decimal

from orders.models import Order, OrderLine
from orders.services.inputs import LineInput


def line_totals(lines: Sequence[LineInput]) -> list[Decimal]:
    return [line.unit_price * line.quantity for line in lines]


def lines_replace(*, order: Order, lines: Sequence[LineInput]) -> None:
    order.lines.all().delete()
    lines_create(order=order, lines=lines)


def lines_create(*, order: Order, lines: Sequence[LineInput]) -> None:
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            name=line.name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=total,
            position=position,
        )
        for position, (line, total) in enumerate(zip(lines, line_totals(lines), strict=True))
    )


def order_totals_set(*, order: Order, lines: Sequence[LineInput], shipping: Decimal, tax: Decimal) -> None:
    subtotal = sum(line_totals(lines), Decimal("0"))
    order.subtotal, order.shipping, order.tax = subtotal, shipping, tax
    order.total = subtotal + shipping + tax
