"""The django.tasks API every task is written against: Django's own module from 6.0, the django-tasks backport on 5.2.

Task code imports `task` (and the rest) from here, never a backend, so the backend stays a setting (TASKS).
"""

from importlib.util import find_spec

if find_spec("django.tasks"):
    from django.tasks import TaskContext, TaskResultStatus, task, task_backends
else:
    from django_tasks import TaskContext, TaskResultStatus, task, task_backends

__all__ = ["TaskContext", "TaskResultStatus", "task", "task_backends"]
