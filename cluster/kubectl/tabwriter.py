"""The column alignment of kubectl's table output (Go's text/tabwriter, as kubectl configures it).

kubectl writes each row as tab-separated cells and lets a tabwriter pad them:
minimum width 6, padding 3, spaces, and RememberWidths (from kubectl's fork
of the package), so a column never shrinks between flushes, as `get -w`
needs. A column spans consecutive lines that have a cell in it; the last cell
of a line is never padded.
"""

from __future__ import annotations

from typing import Protocol


class TextOut(Protocol):
    """Where a TabWriter writes: a text stream, or anything that writes text (kubectl get's trackingWriter)."""

    def write(self, text: str, /) -> object: ...


MIN_WIDTH = 6
PADDING = 3


class TabWriter:
    def __init__(self, out: TextOut, min_width: int = MIN_WIDTH, padding: int = PADDING) -> None:
        self.out = out
        self.min_width = min_width
        self.padding = padding
        self.pending = ""
        self.remembered: list[int] = []

    def write(self, text: str) -> None:
        self.pending += text
        # Go's tabwriter flushes at a line without tabs: it cannot affect later columns.
        lines = self.pending.split("\n")
        for index in range(len(lines) - 2, -1, -1):
            if "\t" not in lines[index]:
                self._format("\n".join(lines[: index + 1]) + "\n")
                self.pending = "\n".join(lines[index + 1 :])
                break

    def flush(self) -> None:
        if self.pending:
            self._format(self.pending)
            self.pending = ""

    def set_remembered_widths(self, widths: list[int] | None) -> None:
        self.remembered = list(widths or [])

    def _format(self, text: str) -> None:
        complete = text.endswith("\n")
        rows = [line.split("\t") for line in (text[:-1] if complete else text).split("\n")]
        pieces: list[str] = []
        self._block(rows, 0, len(rows), [], pieces)
        self.out.write("\n".join(pieces) + ("\n" if complete else ""))

    def _block(self, rows: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(rows[this]) - 1:
                this += 1
                continue
            self._write_lines(rows, line0, this, widths, out)
            line0 = this
            width = self.min_width
            while this < line1 and column < len(rows[this]) - 1:
                width = max(width, len(rows[this][column]) + self.padding)
                this += 1
            width = self._remember(column, width)
            self._block(rows, line0, this, widths + [width], out)
            line0 = this
        self._write_lines(rows, line0, line1, widths, out)

    def _remember(self, column: int, width: int) -> int:
        if column >= len(self.remembered):
            self.remembered.extend([0] * (column + 1 - len(self.remembered)))
        self.remembered[column] = max(self.remembered[column], width)
        return self.remembered[column]

    @staticmethod
    def _write_lines(rows: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]) -> None:
        for row in rows[line0:line1]:
            cells = [cell + " " * (widths[j] - len(cell)) if j < len(widths) else cell for j, cell in enumerate(row)]
            out.append("".join(cells))
