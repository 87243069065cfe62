from enum import StrEnum


class TraceFiltersStatusType0(StrEnum):
    CANCELLED = "cancelled"
    ERROR = "error"
    OK = "ok"
    RUNNING = "running"

    def __str__(self) -> str:
        return str(self.value)
