from enum import StrEnum


class GetUsageGroupByType0(StrEnum):
    FEATURE = "feature"
    MEMBER = "member"
    MODEL = "model"

    def __str__(self) -> str:
        return str(self.value)
