"""``manage.py unlock_login [--user NAME] [--address IP]``: lift a login lockout before it expires."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.throttle import login_lock_clear


class Command(BaseCommand):
    help = "Unlock an account and/or a client address locked after too many failed logins."

    def add_arguments(self, parser):
        parser.add_argument("--user", default="", help="the user name as it was typed")
        parser.add_argument("--address", default="", help="the client address (IP)")

    def handle(self, *args, **options):
        if not options["user"] and not options["address"]:
            raise CommandError("give --user NAME and/or --address IP")
        login_lock_clear(username=options["user"], address=options["address"])
        self.stdout.write(f"unlocked {options['user'] or '-'} / {options['address'] or '-'}")
