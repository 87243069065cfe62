"""The dev embeddings: content words, folded suffixes, one vector space per model, over real HTTP."""

from __future__ import annotations

import math

import openai
import pytest

from product.devmodel.server import embed_text
from product.devmodel.words import content_words


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="devmodel", max_retries=0)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_it_folds_suffixes_and_drops_function_words() -> None:
    assert content_words("The stale jobs were re-enqueued") == ["stal", "job", "re", "enqueu"]
    assert content_words("a stale job is re-enqueuing") == ["stal", "job", "re", "enqueu"]
    assert content_words("Queries carried; stores storing boxes") == [
        "query",
        "carry",
        "stor",
        "stor",
        "box",
    ]
    # Tokens with digits are names, not inflections.
    assert content_words("v2 runs on x86_64 in 30s") == ["v2", "run", "x86_64", "30s"]


def test_it_embeds_texts_sharing_content_words_close_together(devmodel: str) -> None:
    api = client(devmodel)
    texts = [
        "The reaper re-enqueues stale jobs every 30 seconds.",
        "Which job is re-enqueued by the reaper when it is stale?",
        "Install Keel with apt on Linux.",
    ]
    vectors = [
        item.embedding for item in api.embeddings.create(model="keel-dev-embed", input=texts).data
    ]
    assert cosine(vectors[0], vectors[1]) > 0.6
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.5
    # The HTTP endpoint and the function agree; the function's model defaults to keel-dev-embed.
    assert vectors[0] == pytest.approx(embed_text(texts[0], 256))
    assert vectors[0] == pytest.approx(embed_text(texts[0], 256, "keel-dev-embed"))


def test_it_gives_each_embedding_model_its_own_vector_space(devmodel: str) -> None:
    api = client(devmodel)
    text = "The reaper re-enqueues stale jobs every 30 seconds."
    small = api.embeddings.create(model="keel-dev-embed", input=text)
    large = api.embeddings.create(model="keel-dev-embed-large", input=text)
    assert large.model == "keel-dev-embed-large"
    assert small.data[0].embedding != pytest.approx(large.data[0].embedding, abs=1e-3)
    assert cosine(small.data[0].embedding, large.data[0].embedding) < 0.5
    short = api.embeddings.create(model="keel-dev-embed-large", input=text, dimensions=64)
    assert len(short.data[0].embedding) == 64
    assert math.isclose(sum(v * v for v in short.data[0].embedding), 1.0, rel_tol=1e-5)


def test_it_embeds_function_words_and_empty_text_as_unit_vectors() -> None:
    the, a = embed_text("the"), embed_text("a")
    assert the != a and math.isclose(sum(v * v for v in the), 1.0, rel_tol=1e-9)
    empty = embed_text("")
    assert math.isclose(sum(v * v for v in empty), 1.0) and empty == embed_text("   ")
    assert empty != embed_text("", model="keel-dev-embed-large")
