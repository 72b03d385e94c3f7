"""The jobs app: work that outgrows a request, run by the worker, followed on the Jobs page."""

from datetime import timedelta

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from jobs.chores import task_results_prune
        from jobs.registry import Chore, register_chore
        from jobs.services import job_files_expire

        register_chore(Chore("expire_job_files", timedelta(hours=1), lambda: job_files_expire()))
        register_chore(Chore("prune_task_results", timedelta(days=1), task_results_prune))
