"""``manage.py token_list [--user NAME]``: the API tokens (never the tokens themselves)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from readingroom.core.models import ApiToken


class Command(BaseCommand):
    help = "List API tokens: id, user, prefix, scopes, expiry and state."

    def add_arguments(self, parser):
        parser.add_argument("--user", default="", help="only this user's tokens")

    def handle(self, *args, **options):
        tokens = ApiToken.objects.select_related("user")
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        now = timezone.now()
        for t in tokens:
            state = "revoked" if t.revoked_at else "expired" if t.expires_at <= now else "live"
            self.stdout.write(f"{t.pk}\t{t.user.username}\t{t.prefix}…\t{','.join(t.scopes)}\t"
                              f"{t.expires_at:%Y-%m-%d %H:%M}\t{state}\t{t.name}")  # fmt: skip
