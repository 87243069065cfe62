"""Development mail: printed to the console and kept as files under EMAIL_OUTBOX_DIR.

The files let a person (or the e2e suite) open the verification link without an SMTP server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.utils import timezone


class DevEmailBackend(ConsoleBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        for index, message in enumerate(email_messages):
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            for recipient in message.recipients():
                path = outbox / f"{stamp}-{index}-{recipient}.eml"
                path.write_bytes(message.message().as_bytes())
        return sent
