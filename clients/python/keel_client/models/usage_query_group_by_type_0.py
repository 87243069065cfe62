from enum import StrEnum


class UsageQueryGroupByType0(StrEnum):
    FEATURE = "feature"
    MEMBER = "member"
    MODEL = "model"

    def __str__(self) -> str:
        return str(self.value)
