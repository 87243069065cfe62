"""The dev model server, exercised with the real `openai` SDK over real HTTP."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import httpx
import openai
import pytest

from product.devmodel.server import parse_script


def client(base_url: str, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="devmodel", max_retries=0, **kwargs)  # type: ignore[arg-type]


def ask(base_url: str, text: str, **kwargs: Any) -> openai.types.chat.ChatCompletion:
    completion: openai.types.chat.ChatCompletion = client(base_url).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": text}],
        **kwargs,
    )
    return completion


def test_it_lists_models(devmodel: str) -> None:
    names = [model.id for model in client(devmodel).models.list()]
    assert "keel-dev-small" in names


def test_it_answers_deterministically_with_usage_and_request_id(devmodel: str) -> None:
    raw = client(devmodel).chat.completions.with_raw_response.create(
        model="keel-dev-small", messages=[{"role": "user", "content": "What is Keel?"}]
    )
    assert raw.headers["x-request-id"].startswith("req_")
    first = raw.parse()
    second = ask(devmodel, "What is Keel?")
    text = first.choices[0].message.content
    assert text == second.choices[0].message.content
    assert text is not None and text.startswith("Echo: What is Keel?")
    assert first.choices[0].finish_reason == "stop"
    assert first.usage is not None and first.usage.completion_tokens > 10
    assert first.usage.prompt_tokens > 3
    assert first.model == "keel-dev-small"


def test_it_streams_the_openai_chunk_format(devmodel: str) -> None:
    with httpx.stream(
        "POST",
        f"{devmodel}/chat/completions",
        json={
            "model": "keel-dev-small",
            "messages": [{"role": "user", "content": "[[reply: Hello there]]"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert lines[0].startswith('data: {"id":"chatcmpl-')
    assert '"object":"chat.completion.chunk"' in lines[0]
    assert '"delta":{"role":"assistant","content":"","refusal":null}' in lines[0]
    assert '"finish_reason":null' in lines[0] and '"usage":null' in lines[0]
    assert '"finish_reason":"stop"' in lines[-3]
    assert '"choices":[]' in lines[-2] and '"completion_tokens":2' in lines[-2]
    assert lines[-1] == "data: [DONE]"


def test_it_streams_through_the_sdk_with_usage_last(devmodel: str) -> None:
    stream = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": "[[reply: Hello there, friend]]"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there, friend"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_it_omits_usage_without_include_usage(devmodel: str) -> None:
    chunks = list(
        client(devmodel).chat.completions.create(
            model="keel-dev-small", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert all(c.usage is None for c in chunks)


def test_it_makes_exactly_n_tokens(devmodel: str) -> None:
    completion = ask(devmodel, "[[tokens: 50]]")
    assert completion.usage is not None and completion.usage.completion_tokens == 50


def test_it_honours_max_tokens_with_finish_reason_length(devmodel: str) -> None:
    completion = ask(devmodel, "[[tokens: 50]]", max_tokens=10)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens <= 10
    chunks = list(
        client(devmodel).chat.completions.create(
            model="keel-dev-small",
            messages=[{"role": "user", "content": "[[tokens: 50]]"}],
            max_tokens=10,
            stream=True,
        )
    )
    assert chunks[-1].choices[0].finish_reason == "length"


def test_it_waits_for_ttft_and_per_token_delay(devmodel: str) -> None:
    started = time.monotonic()
    stream = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": "[[tokens: 5]] [[ttft_ms: 200]] [[delay_ms: 50]]"}],
        stream=True,
    )
    first_content_at = None
    for chunk in stream:
        if first_content_at is None and chunk.choices and chunk.choices[0].delta.content:
            first_content_at = time.monotonic() - started
    total = time.monotonic() - started
    # Lower bounds only: the server sleeps at least this long; how much longer depends on the load.
    assert first_content_at is not None and first_content_at >= 0.2
    assert total >= 0.2 + 4 * 0.05


def test_it_returns_scripted_errors_with_retry_after(devmodel: str) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        ask(devmodel, "[[error: 429 retry_after=2]]")
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.body["type"] == "rate_limit_error"  # type: ignore[index]
    with pytest.raises(openai.InternalServerError):
        ask(devmodel, "[[error: 503]]")


def test_it_errors_only_for_the_named_model(devmodel: str) -> None:
    with pytest.raises(openai.InternalServerError):
        ask(devmodel, "[[error: 500 model=keel-dev-small]]")
    completion = client(devmodel).chat.completions.create(
        model="keel-dev-large",
        messages=[{"role": "user", "content": "[[error: 500 model=keel-dev-small]] [[reply: ok]]"}],
    )
    assert completion.choices[0].message.content == "ok"


def test_it_fails_the_first_n_requests_per_key(devmodel: str) -> None:
    key = uuid.uuid4().hex
    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            ask(devmodel, f"[[fail_times: 2 status=503 key={key}]] [[reply: ok]]")
        assert caught.value.status_code == 503
    assert (
        ask(devmodel, f"[[fail_times: 2 status=503 key={key}]] [[reply: ok]]")
        .choices[0]
        .message.content
        == "ok"
    )


def test_it_sends_an_error_event_mid_stream(devmodel: str) -> None:
    stream = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": "[[tokens: 20]] [[error_after: 5]]"}],
        stream=True,
    )
    received = []
    with pytest.raises(openai.APIError, match="mid-stream"):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 6  # the role chunk and five content chunks


def test_it_cuts_a_stream_abruptly(devmodel: str) -> None:
    stream = client(devmodel).chat.completions.create(
        model="keel-dev-small",
        messages=[{"role": "user", "content": "[[tokens: 20]] [[cut_after: 3]]"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    received = []
    with pytest.raises((openai.APIConnectionError, httpx.HTTPError)):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 4
    assert all(c.usage is None for c in received)


def test_it_cuts_a_stream_cleanly_without_usage_or_done(devmodel: str) -> None:
    with httpx.stream(
        "POST",
        f"{devmodel}/chat/completions",
        json={
            "model": "keel-dev-small",
            "messages": [{"role": "user", "content": "[[tokens: 20]] [[cut_after: 3 clean]]"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert len(lines) == 4
    assert "[DONE]" not in lines[-1] and '"choices":[]' not in lines[-1]


def test_it_hangs_until_the_client_times_out(devmodel: str) -> None:
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client(devmodel, timeout=0.3).chat.completions.create(
            model="keel-dev-small", messages=[{"role": "user", "content": "[[hang]]"}]
        )
    with pytest.raises((openai.APITimeoutError, httpx.ReadTimeout)):
        list(
            client(devmodel, timeout=0.3).chat.completions.create(
                model="keel-dev-small",
                messages=[{"role": "user", "content": "[[hang]]"}],
                stream=True,
            )
        )
    assert time.monotonic() - started < 3


def test_it_mixes_hostile_html_into_the_reply(devmodel: str) -> None:
    text = ask(devmodel, "[[hostile]] summarise").choices[0].message.content or ""
    assert "<script>alert(1)</script>" in text
    assert "onerror=alert(1)" in text and 'href="javascript:alert(1)"' in text
    assert 'hx-get="/evil"' in text and "**bold**" in text


def test_it_checks_expectations_on_the_whole_prompt(devmodel: str) -> None:
    messages = [
        {"role": "system", "content": "Context: the invoice number is 4711."},
        {"role": "user", "content": "[[expect: invoice number is 4711]] [[reply: ok]]"},
    ]
    completion = client(devmodel).chat.completions.create(model="keel-dev-small", messages=messages)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "ok"
    with pytest.raises(openai.BadRequestError, match="does not contain 'invoice number is 9'"):
        ask(devmodel, "[[expect: invoice number is 9]]")


def test_it_reports_cached_tokens(devmodel: str) -> None:
    completion = ask(devmodel, "[[cached: 8]] " + "lorem ipsum " * 20)
    assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 8


def test_it_embeds_deterministically_and_normalised(devmodel: str) -> None:
    api = client(devmodel)
    first = api.embeddings.create(model="keel-dev-embed", input=["the cat sat", "dogs bark loudly"])
    again = api.embeddings.create(model="keel-dev-embed", input="the cat sat")
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding)
    assert len(first.data[0].embedding) == 256
    assert math.isclose(sum(v * v for v in first.data[1].embedding), 1.0, rel_tol=1e-5)
    near = api.embeddings.create(model="keel-dev-embed", input="the cat sat down").data[0].embedding
    far = first.data[1].embedding

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(first.data[0].embedding, near) > cosine(first.data[0].embedding, far)
    assert len(api.embeddings.create(model="e", input="x", dimensions=64).data[0].embedding) == 64
    floats = api.embeddings.create(
        model="keel-dev-embed", input="the cat sat", encoding_format="float"
    )
    assert floats.data[0].embedding == pytest.approx(again.data[0].embedding, abs=1e-6)


def test_it_rejects_requests_without_messages(devmodel: str) -> None:
    response = httpx.post(f"{devmodel}/chat/completions", json={"model": "x"})
    assert response.status_code == 400
    assert "messages" in response.json()["error"]["message"]


def test_it_parses_markers_with_options() -> None:
    script = parse_script("hi [[error: 429 retry_after=2]] [[fail_times: 3 key=k]] [[hang]]")
    assert script.error == (429, {"retry_after": "2"})
    assert script.fail_times == (3, {"key": "k"})
    assert script.hang
    quoted = parse_script('[[error: 400 message="bad things happened"]]')
    assert quoted.error == (400, {"message": "bad things happened"})


def test_it_holds_many_slow_streams_at_once(devmodel: str) -> None:
    import concurrent.futures

    api = client(devmodel)

    def one(_: int) -> str:
        stream = api.chat.completions.create(
            model="keel-dev-small",
            messages=[
                {"role": "user", "content": "[[tokens: 5]] [[ttft_ms: 300]] [[delay_ms: 50]]"}
            ],
            stream=True,
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        texts = list(pool.map(one, range(50)))
    elapsed = time.monotonic() - started
    assert len(set(texts)) == 1 and texts[0]
    # 50 streams of ~0.5 s each, served concurrently rather than one after the other.
    assert elapsed < 5


def test_it_leaves_usage_out_when_asked(devmodel: str) -> None:
    assert ask(devmodel, "[[no_usage]] hi").usage is None
    chunks = list(
        client(devmodel).chat.completions.create(
            model="keel-dev-small",
            messages=[{"role": "user", "content": "[[no_usage]] [[reply: a b]]"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)
