"""The knowledge feature's job kinds and ledger features, and the grounded-answer prompt.

Retrieved text is data, never instructions: the system prompt says so, the passages are fenced in
a `<sources>` block, and whatever a reply cites is checked against the passages that were sent
(product/knowledge/grounding.py) before it is shown.
"""

from __future__ import annotations

INGEST_KIND = "knowledge.ingest"
REINDEX_KIND = "knowledge.reindex"
# Ledger features: what the usage pages group embedding spend by.
INGEST_FEATURE = INGEST_KIND
REINDEX_FEATURE = REINDEX_KIND
SEARCH_FEATURE = "knowledge.search"
# The queue of CPU-heavy ingestion work, served by its own worker (worker/celery.py), so that a
# 300-page PDF never waits in line with, or slows, a chat reply.
QUEUE = "knowledge"

# A grounded answer to one question (the `knowledge.answer` evaluation target): this system
# preamble, then grounding's instructions and sources. Its versions follow grounding's words.
ANSWER_PROMPT_NAME = "knowledge.answer"
ANSWER_FEATURE = ANSWER_PROMPT_NAME
ANSWER_SYSTEM = "You are Keel's assistant: precise and brief. Answer in Markdown when it helps."

MAX_COLLECTION_NAME_CHARS = 120
MAX_DESCRIPTION_CHARS = 2000
MAX_QUERY_CHARS = 1000
DEFAULT_SEARCH_K = 8
MAX_SEARCH_K = 50
# Files in one page upload (each up to KNOWLEDGE_MAX_UPLOAD_BYTES); the API takes one per request.
MAX_FILES_PER_UPLOAD = 10
