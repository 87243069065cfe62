from enum import StrEnum


class CallOutBodies(StrEnum):
    NOT_STORED = "not_stored"
    PRUNED = "pruned"
    STORED = "stored"

    def __str__(self) -> str:
        return str(self.value)
