from enum import StrEnum


class ImportDatasetItemsMultiPartBodyParamsFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    VALUE_0 = ""

    def __str__(self) -> str:
        return str(self.value)
