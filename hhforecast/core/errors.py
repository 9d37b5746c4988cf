"""The project's exceptions: each carries one message a user can act on."""

from __future__ import annotations

from typing import Any


class HHForecastError(Exception):
    """Base class; stages turn it into one line on stderr and exit status 1."""


class ConfigError(HHForecastError):
    """params.yaml is missing, malformed or out of range."""


class ContractError(HHForecastError):
    """A raw file breaks the data contract; the message names file, sheet, row and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.detail = message
        where = []
        if file is not None:
            where.append(str(file))
        if sheet is not None:
            where.append(f"sheet '{sheet}'")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    def __reduce__(self) -> tuple[Any, ...]:  # keep file/sheet/row/column across process boundaries (parallel ingest)
        return (_rebuild_contract_error, (self.detail, self.file, self.sheet, self.row, self.column))


class DataQualityError(HHForecastError):
    """The built dataset fails its checks; failures are written out (to `file`) before this is raised."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.detail, self.file = message, file
        super().__init__(f"{message} (details in {file})" if file else message)

    def __reduce__(self) -> tuple[Any, ...]:  # its own fields survive a pickle, like ContractError's
        return (_rebuild_data_quality_error, (self.detail, self.file))


def _rebuild_contract_error(
    message: str, file: str | None, sheet: str | None, row: int | None, column: str | None
) -> ContractError:
    return ContractError(message, file=file, sheet=sheet, row=row, column=column)


def _rebuild_data_quality_error(message: str, file: str | None) -> DataQualityError:
    return DataQualityError(message, file=file)
