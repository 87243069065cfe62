"""`{% load timeago %}` and `{{ when|ago }}` wherever a past moment is shown as a distance.

Django's `timesince` says "0 minutes" for anything under a minute, so "Submitted 0 minutes ago"
is what a person saw right after submitting; this says "just now" instead, and "5 minutes ago"
otherwise. A moment slightly in the future (clocks disagree by a second) is also "just now".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    now = timezone.now()
    if now - value < JUST_NOW:
        return "just now"
    return f"{timesince(value, now)} ago"
