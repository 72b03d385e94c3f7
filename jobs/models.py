"""The Job record (what the worker is doing for whom, how far it got, how it ended) and the outbox of mail."""

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The statuses a job can still leave; the others are final.
OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """One piece of work run by the worker on someone's behalf, with the progress and outcome they see.

    The task engine (django.tasks) only runs functions; this record is what staff follow. `params` holds
    what the job works on as it was asked (a selection, a label, columns); `cursor` holds how far it got,
    written in the same transaction as the work of each step, so a job taken up again after a crash goes
    on from there and never does a step twice. `run_token` names the one run allowed to write: a run
    whose token has been replaced (the job was cancelled, or taken up again after its worker fell silent)
    stops at its next step.
    """

    kind = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    processed = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    # What the person reads when it ends: "Added VIP to 1,204 contacts" or, failed, why in plain words.
    summary = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # The result file's name in the default storage, and the name it downloads under.
    result_file = models.CharField(max_length=255, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_recent"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.kind}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)


class MailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMail(models.Model):
    """One email the app sends, queued in the transaction that decided to send it and sent by the worker.

    `key` is unique: whoever queues a mail names it ("message:<form token>", "export-ready:<job id>"), so a
    double click, a retried request or a job run twice queues it once. The worker sends it with a fixed
    Message-ID, retries a temporary failure with growing pauses a bounded number of times, and records the
    final outcome here; `topic` tells the app that queued it whom to tell (a contact's timeline).
    """

    key = models.CharField(max_length=200, unique=True)
    topic = models.CharField(max_length=100, blank=True)
    to = models.CharField(max_length=320)
    from_email = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=255)
    # Further headers the sender asked for, such as a reply's In-Reply-To and References.
    headers = models.JSONField(default=dict, blank=True)
    # Files sent with it, read when it is sent: [{"storage": alias, "name": stored name, "filename": shown,
    # "content_type": …}]; the app that queued it stored them.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=MailStatus.choices, default=MailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"Mail {self.pk} to {self.to} ({self.status})"


class ChoreClock(models.Model):
    """When a recurring chore is next due; claiming it moves the time on, so two workers never both run it."""

    name = models.CharField(max_length=60, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M})"
