from enum import StrEnum


class QuestionInTask(StrEnum):
    CUSTOM = "custom"
    EXTRACT_CONTACT = "extract_contact"
    EXTRACT_INVOICE = "extract_invoice"
    KEY_POINTS = "key_points"
    SUMMARISE = "summarise"

    def __str__(self) -> str:
        return str(self.value)
