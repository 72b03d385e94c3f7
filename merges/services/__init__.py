"""Every write of the merges app, one module a feature: pairs (dismiss, the finder's run), merge, undo."""

from merges.services.pairs import FINDER, finder_job_queue, pair_dismiss

__all__ = ["FINDER", "finder_job_queue", "pair_dismiss"]
