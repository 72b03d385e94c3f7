"""The tasks the engine runs: a job, one outbox mail, and the chores tick; each only calls its service."""

from crm_core.tasks import task
from jobs.chores import chores_run
from jobs.outbox import mail_send
from jobs.services import job_run


@task()
def run_job(job_id: int) -> None:
    job_run(job_id)


@task()
def send_mail(mail_id: int) -> None:
    mail_send(mail_id)


@task()
def run_chores() -> None:
    chores_run()
