from enum import StrEnum


class EmbeddingModelInModel(StrEnum):
    KEEL_DEV_EMBED = "keel-dev-embed"
    KEEL_DEV_EMBED_LARGE = "keel-dev-embed-large"
    TEXT_EMBEDDING_3_LARGE = "text-embedding-3-large"
    TEXT_EMBEDDING_3_SMALL = "text-embedding-3-small"

    def __str__(self) -> str:
        return str(self.value)
