from enum import StrEnum


class QuestionInTask(StrEnum):
    CUSTOM = "custom"
    KEY_POINTS = "key_points"
    SUMMARISE = "summarise"

    def __str__(self) -> str:
        return str(self.value)
