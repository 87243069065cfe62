from __future__ import annotations

from typing import Any

from product.devmodel.management.commands.devmodel import Command


def test_it_takes_latency_defaults_from_the_environment(monkeypatch: Any, settings: Any) -> None:
    monkeypatch.setenv("DEVMODEL_TTFT_MS", "300")
    monkeypatch.setenv("DEVMODEL_TOKEN_DELAY_MS", "20")
    settings.DEVMODEL_PORT = 9999
    options = Command().create_parser("manage.py", "devmodel").parse_args([])
    assert (options.port, options.ttft_ms, options.token_delay_ms) == (9999, 300, 20)


def test_it_lets_flags_override_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("DEVMODEL_TTFT_MS", "300")
    parser = Command().create_parser("manage.py", "devmodel")
    options = parser.parse_args(["--port", "1234", "--ttft-ms", "5", "--token-delay-ms", "7"])
    assert (options.port, options.ttft_ms, options.token_delay_ms) == (1234, 5, 7)
