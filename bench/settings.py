"""The settings gunicorn serves the throughput benchmark with: the app's own, plus the floor page's URLs."""

from contacts_crm.settings import *  # noqa: F403 -- the app's settings, unchanged but for the line below.

ROOT_URLCONF = "bench.peer_admin"
