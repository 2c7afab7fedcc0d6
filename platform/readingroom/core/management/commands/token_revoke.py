"""``manage.py token_revoke ID``: revoke an API token (refused from then on)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import NotFound
from readingroom.core.tokens import token_revoke


class Command(BaseCommand):
    help = "Revoke an API token by its id (see token_list)."

    def add_arguments(self, parser):
        parser.add_argument("token_id", type=int)

    def handle(self, *args, **options):
        try:
            token = token_revoke(token_id=options["token_id"], by=None)
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"revoked token {token.pk} of {token.user.username}")
