"""``manage.py token_create --user NAME --scope SCOPE [--scope ...] --days N [--name TEXT]``: print a new token."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import ReadingRoomError
from readingroom.core.models import User
from readingroom.core.tokens import SCOPES, token_create


class Command(BaseCommand):
    help = "Create a scoped, expiring API token for a user and print it (it is shown this once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="whose token")
        parser.add_argument("--scope", action="append", required=True, help=f"one of {', '.join(SCOPES)}")
        parser.add_argument("--days", type=int, required=True, help="days until it expires")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"user {options['user']!r} does not exist")
        try:
            token, plain = token_create(user=user, scopes=options["scope"], days=options["days"],
                                        name=options["name"])  # fmt: skip
        except ReadingRoomError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"token {token.pk} for {user.username}, {' '.join(token.scopes)}, "
                          f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC; it is shown this once:")  # fmt: skip
        self.stdout.write(plain)
