"""Read a predictions CSV into arrays, with located problems for every bad cell.

Problems name the CSV cell (file:line:column: column-name: message) or, for a
column that is missing, the field of evaluation.yaml that names it. Values are
converted column-wise with numpy; rows are only walked again to locate errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from mlcards.compute.metrics import Data, FloatArray, Task
from mlcards.errors import InvalidInput, Problem, display_path
from mlcards.load.yaml import PathKey, did_you_mean
from mlcards.schema.evaluation import Predictions

MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS_PER_COLUMN = 5

FieldProblem = Callable[[PathKey, str], Problem]


@dataclass
class _Table:
    """The CSV as text cells, with what is needed to locate a cell."""

    name: str
    header: list[str]
    rows: list[list[str]]
    starts: list[int]     # 1-based line on which each row starts
    lines: list[str]      # the physical lines of the file

    def where(self, row: int, col: int) -> tuple[int, int]:
        """Line and character column (1-based) of a cell."""
        line = self.starts[row]
        text = self.lines[line - 1] if line - 1 < len(self.lines) else ""
        return line, _cell_start(text, col)

    def problem(self, row: int, col: int, message: str) -> Problem:
        line, column = self.where(row, col)
        return Problem(self.name, line, column, self.header[col], message)


def _cell_start(line: str, index: int) -> int:
    """1-based column where field `index` starts on a CSV line (quote-aware)."""
    field, quoted = 0, False
    for pos, ch in enumerate(line):
        if field == index:
            return pos + 1
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            field += 1
    return len(line) + 1 if field == index else 1


def _read_table(path: Path, problems: list[Problem]) -> _Table | None:
    name = display_path(path)
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        problems.append(Problem(name, 1, 1, "", f"file is {size} bytes; the limit is "
                                f"{MAX_CSV_BYTES} bytes"))
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(name, line, 1, "", "file is not valid UTF-8 text"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(name, 1, 1, "", "file is empty; expected a header row"))
        return None
    except csv.Error as exc:
        problems.append(Problem(name, 1, 1, "", f"not valid CSV: {exc}"))
        return None
    rows, starts, prev = [], [], reader.line_num
    try:
        for row in reader:
            if row:
                rows.append(row)
                starts.append(prev + 1)
            prev = reader.line_num
    except csv.Error as exc:
        problems.append(Problem(name, prev + 1, 1, "", f"not valid CSV: {exc}"))
        return None
    table = _Table(name, header, rows, starts, text.splitlines())
    _check_shape(table, problems)
    return table


def _check_shape(table: _Table, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(table.header):
        if h in seen:
            problems.append(Problem(table.name, 1, _cell_start(table.lines[0], i), h,
                                    f"duplicate column name {h!r} (also column {seen[h] + 1})"))
        seen.setdefault(h, i)
    if not table.rows:
        problems.append(Problem(table.name, 1, 1, "", "no data rows after the header"))
    widths = np.fromiter((len(r) for r in table.rows), dtype=np.int64, count=len(table.rows))
    for i in np.flatnonzero(widths != len(table.header))[:MAX_PROBLEMS_PER_COLUMN].tolist():
        problems.append(Problem(table.name, table.starts[i], 1, "",
                                f"row has {widths[i]} fields; the header has "
                                f"{len(table.header)}"))


def _column(table: _Table, col: int) -> NDArray[np.str_]:
    return np.char.strip(np.array([r[col] for r in table.rows], dtype=np.str_))


def _report(table: _Table, col: int, bad: NDArray[np.bool_], message: str,
            problems: list[Problem], values: NDArray[np.str_]) -> None:
    """Located problems for the first bad cells of a column, and a count of the rest."""
    rows = np.flatnonzero(bad)
    for r in rows[:MAX_PROBLEMS_PER_COLUMN].tolist():
        problems.append(table.problem(r, col, f"{message}, got {str(values[r])!r}"))
    if rows.size > MAX_PROBLEMS_PER_COLUMN:
        line, column = table.where(int(rows[MAX_PROBLEMS_PER_COLUMN]), col)
        problems.append(Problem(table.name, line, column, table.header[col],
                                f"... and {rows.size - MAX_PROBLEMS_PER_COLUMN} more bad "
                                "values in this column"))


def _numbers(table: _Table, col: int, problems: list[Problem]) -> FloatArray:
    values = _column(table, col)
    try:
        out = values.astype(np.float64)
        bad = ~np.isfinite(out)
    except ValueError:
        out = np.full(values.shape, np.nan)
        bad = np.zeros(values.shape, dtype=np.bool_)
        for i, v in enumerate(values.tolist()):  # error path only: find the bad cells
            try:
                out[i] = float(v)
            except ValueError:
                bad[i] = True
        bad |= ~np.isfinite(out)
    _report(table, col, bad, "expected a finite number", problems, values)
    return out


def _same_label(values: NDArray[np.str_], label: str) -> NDArray[np.bool_]:
    """values == label, also numerically ('1.0' equals '1')."""
    uniq, inverse = np.unique(values, return_inverse=True)
    number = _num(label)
    hits = np.array([u == label or (number is not None and _num(u) == number)
                     for u in uniq.tolist()], dtype=np.bool_)
    return hits[inverse.reshape(-1)] if uniq.size else np.zeros(0, dtype=np.bool_)


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _binary(table: _Table, cols: Sequence[int], positive: str, field: FieldProblem,
            problems: list[Problem]) -> list[NDArray[np.bool_]]:
    """Label and prediction columns as booleans (True = the positive label)."""
    out: list[NDArray[np.bool_]] = []
    negatives: dict[object, tuple[int, str]] = {}
    for col in cols:
        values = _column(table, col)
        _report(table, col, values == "", "expected a class label, not an empty cell",
                problems, values)
        hits = _same_label(values, positive)
        others = values[~hits & (values != "")]
        for v in np.unique(others).tolist():
            key = _num(v) if _num(v) is not None else v
            negatives.setdefault(key, (col, v))
        out.append(hits)
    if len(negatives) > 1:
        (c1, v1), (c2, v2) = list(negatives.values())[:2]
        values = _column(table, c2)
        first = int(np.flatnonzero(values == v2)[0])
        problems.append(table.problem(first, c2, (
            f"a binary task allows the positive label {positive!r} and one other value; "
            f"found {v1!r} (column {table.header[c1]!r}) and {v2!r}")))
    if out and not any(bool(h.any()) for h in out):
        problems.append(field(("predictions", "positive_label"),
                              f"positive label {positive!r} does not occur in the label or "
                              "prediction column"))
    return out


def _columns(table: _Table, spec: Predictions, field: FieldProblem,
             problems: list[Problem]) -> dict[str, int] | None:
    wanted: list[tuple[tuple[str | int, ...], str]] = [
        (("predictions", "label"), spec.label), (("predictions", "prediction"), spec.prediction)]
    if spec.score is not None:
        wanted.append((("predictions", "score"), spec.score))
    wanted += [(("predictions", "sensitive", i), s) for i, s in enumerate(spec.sensitive)]
    index = {h: i for i, h in reversed(list(enumerate(table.header)))}
    ok = True
    for loc, name in wanted:
        if name not in index:
            ok = False
            problems.append(field(loc, (
                f"column {name!r} is not in {table.name}{did_you_mean(name, table.header)}; "
                f"its columns: {', '.join(table.header)}")))
    return {name: index[name] for _, name in wanted} if ok else None


def read_predictions(path: Path, spec: Predictions, field: FieldProblem) -> Data:
    """The predictions file as arrays; raise InvalidInput with every problem found.

    `field(loc, message)` locates a problem with a setting of `spec` (a field of
    evaluation.yaml such as ("predictions", "label"), or a command-line option).
    """
    problems: list[Problem] = []
    table = _read_table(path, problems)
    cols = _columns(table, spec, field, problems) if table and not problems else None
    if table is None or cols is None or problems:
        raise InvalidInput(problems)
    task: Task = spec.task
    score = _numbers(table, cols[spec.score], problems) if spec.score else None
    if task == "regression":
        y_true: NDArray[np.generic] = _numbers(table, cols[spec.label], problems)
        y_pred: NDArray[np.generic] = _numbers(table, cols[spec.prediction], problems)
    else:
        y_true, y_pred = _binary(table, [cols[spec.label], cols[spec.prediction]],
                                 spec.positive_label, field, problems)
    sensitive = {}
    for s in spec.sensitive:
        values = _column(table, cols[s])
        _report(table, cols[s], values == "", "expected a group name, not an empty cell "
                "(write e.g. 'unknown' so the row is counted)", problems, values)
        sensitive[s] = values
    if problems:
        raise InvalidInput(problems)
    return Data(task, y_true, y_pred, sensitive, score)
