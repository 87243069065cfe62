from enum import StrEnum


class CallOutKind(StrEnum):
    EMBEDDING = "embedding"
    GENERATION = "generation"

    def __str__(self) -> str:
        return str(self.value)
