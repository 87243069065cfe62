"""A past moment reads as a person would say it: "just now", then "5 minutes ago"."""

from __future__ import annotations

from datetime import timedelta

from django.template import Context, Template
from django.utils import timezone

from product.core.templatetags.timeago import ago


def test_it_says_just_now_under_a_minute() -> None:
    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - timedelta(seconds=59)) == "just now"


def test_it_says_just_now_for_a_moment_a_little_ahead_of_the_clock() -> None:
    assert ago(timezone.now() + timedelta(seconds=2)) == "just now"


def test_it_says_how_long_ago_from_a_minute_on() -> None:
    now = timezone.now()
    assert ago(now - timedelta(minutes=1, seconds=5)) == "1\xa0minute ago"
    assert ago(now - timedelta(hours=3, minutes=10)) == "3\xa0hours, 10\xa0minutes ago"


def test_it_shows_nothing_for_a_missing_moment() -> None:
    assert ago(None) == ""


def test_it_works_as_a_template_filter() -> None:
    rendered = Template("{% load timeago %}Submitted {{ when|ago }}").render(
        Context({"when": timezone.now()})
    )
    assert rendered == "Submitted just now"
