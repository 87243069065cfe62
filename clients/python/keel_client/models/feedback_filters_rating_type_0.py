from enum import StrEnum


class FeedbackFiltersRatingType0(StrEnum):
    DOWN = "down"
    UP = "up"

    def __str__(self) -> str:
        return str(self.value)
