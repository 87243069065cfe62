from enum import StrEnum


class UsageReportOutScope(StrEnum):
    MEMBER = "member"
    WORKSPACE = "workspace"

    def __str__(self) -> str:
        return str(self.value)
