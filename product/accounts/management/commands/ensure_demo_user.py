"""Creates (or resets) the demo user that `make dev` prints, with a verified email and a workspace."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand

from product.accounts.models import User
from product.accounts.services import create_personal_workspace

DEMO_EMAIL = "demo@keel.localhost"
DEMO_PASSWORD = "keel-demo-password"  # noqa: S105 (printed on purpose, dev only)


class Command(BaseCommand):
    help = "Create the demo user (idempotent) and print how to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, name="Demo")
            create_personal_workspace(user=user)
        elif not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        self.stdout.write(
            self.style.SUCCESS(f"Demo user ready — email: {DEMO_EMAIL}  password: {DEMO_PASSWORD}")
        )
