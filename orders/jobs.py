"""The orders app's background work: the daily chore that forgets old webhook deliveries of the connected shops."""

from datetime import timedelta

from jobs.registry import Chore, register_chore
from orders.services import shop_deliveries_forget


def _deliveries_forget() -> str:
    return f"Forgot {shop_deliveries_forget():,} shop webhook deliveries"


def register_jobs() -> None:
    """Tell the jobs app about the orders app's chore (called from OrdersConfig.ready)."""
    register_chore(Chore("forget_shop_deliveries", timedelta(days=1), _deliveries_forget))
