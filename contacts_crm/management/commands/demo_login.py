"""Create the demo staff login so anyone trying the app can sign in. Development only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

USERNAME = "demo"
PASSWORD = "demo-contacts-2026"


class Command(BaseCommand):
    help = "Create the demo login (a Manager) if it is missing, and print how to sign in."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo login has a published password; it is for development (DEBUG) only.")
        user, created = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"first_name": "Dana", "last_name": "Demo", "email": "demo@example.com"}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name="Manager"))
            self.stdout.write(self.style.SUCCESS(f"Created the demo login. Sign in as {USERNAME} / {PASSWORD}"))
        else:
            self.stdout.write(f"Sign in as {USERNAME} / {PASSWORD} (unless you changed that password).")
