"""Background jobs staff can see: the Job record, its progress and outcome, the outbox for mail, and the worker."""
