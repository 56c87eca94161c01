"""Reading MPS and LP files into PuLP's JSON model.

Reading is blocking (file I/O and parsing that grows with the file): it is meant to run in a
worker thread.

MPS files are read by PuLP (`LpProblem.fromMPS`), as the Flask server reads them, so the stored
model and its hash are the same. The Flask server reads LP files with the MPS reader too, which
turns any LP file into an empty placeholder model; here HiGHS reads them (DEVIATIONS.md).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import highspy
import pulp  # type: ignore[import-untyped]

from cornflow_fastapi.instances.pulp_files import (
    EXTENSION_ERROR,
    MPS,
    ModelFileError,
    extension_of,
    secure_filename,
)
from cornflow_fastapi.records.values import all_finite


def read_model_file(source: BinaryIO, filename: str, *, minimize: bool) -> dict[str, Any]:
    """The PuLP model (`LpProblem.toDict()`) of an MPS or LP file; blocking.

    The objective sense is the request's (`minimize`), whatever the file says, as on the Flask
    server. Raises ModelFileError for anything that is not a readable model.
    """
    extension = extension_of(filename)
    if extension is None:
        raise ModelFileError(EXTENSION_ERROR)
    sense = pulp.LpMinimize if minimize else pulp.LpMaximize
    directory = tempfile.mkdtemp(prefix="cornflow-model-")
    try:
        path = Path(directory) / secure_filename(filename)
        with path.open("wb") as target:
            shutil.copyfileobj(source, target)
        reader = _read_mps if extension == MPS else _read_lp
        model = reader(path, sense)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return _finite(model)


def _read_mps(path: Path, sense: int) -> dict[str, Any]:
    try:
        _variables, problem = pulp.LpProblem.fromMPS(str(path), sense=sense)
        model: dict[str, Any] = problem.toDict()
    except Exception as error:
        # PuLP's reader fails with whatever a malformed line leads to (IndexError, KeyError,
        # ValueError, bare Exception...): all of them mean the same thing to the client.
        raise ModelFileError("Error reading or parsing the MPS file.") from error
    return model


def _read_lp(path: Path, sense: int) -> dict[str, Any]:
    message = "Error reading or parsing the LP file."
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    if solver.readModel(str(path)) == highspy.HighsStatus.kError:
        raise ModelFileError(message)
    lp = solver.getLp()
    if lp.num_col_ == 0:
        # HiGHS reads text that is no LP at all as an empty model.
        raise ModelFileError(message)
    try:
        return _problem_of(lp, path.stem, sense).toDict()  # type: ignore[no-any-return]
    except ModelFileError:
        raise
    except Exception as error:
        raise ModelFileError(message) from error


def _bound(value: float) -> float | None:
    return None if math.isinf(value) else value


def _problem_of(lp: Any, name: str, sense: int) -> Any:
    """A PuLP problem with the columns, rows and objective of a HiGHS model."""
    categories = {
        highspy.HighsVarType.kContinuous: pulp.LpContinuous,
        highspy.HighsVarType.kInteger: pulp.LpInteger,
    }
    integrality = list(lp.integrality_) or [highspy.HighsVarType.kContinuous] * lp.num_col_
    if any(kind not in categories for kind in integrality):
        raise ModelFileError("Semi-continuous and semi-integer variables are not supported.")
    variables = [
        pulp.LpVariable(column, _bound(float(lower)), _bound(float(upper)), categories[kind])
        for column, lower, upper, kind in zip(
            lp.col_names_, lp.col_lower_, lp.col_upper_, integrality, strict=True
        )
    ]
    problem = pulp.LpProblem(lp.model_name_ or name, sense)
    problem.addVariables(variables)
    problem.setObjective(
        pulp.LpAffineExpression(
            [
                (variable, float(cost))
                for variable, cost in zip(variables, lp.col_cost_, strict=True)
                if cost
            ]
        )
    )
    rows: list[list[tuple[Any, float]]] = [[] for _ in range(lp.num_row_)]
    matrix = lp.a_matrix_
    starts = list(matrix.start_)
    for column, variable in enumerate(variables):
        for position in range(starts[column], starts[column + 1]):
            rows[matrix.index_[position]].append((variable, float(matrix.value_[position])))
    row_names = list(lp.row_names_) or [f"_C{row + 1}" for row in range(lp.num_row_)]
    for row_name, terms, lower, upper in zip(
        row_names, rows, lp.row_lower_, lp.row_upper_, strict=True
    ):
        for constraint_name, constraint_sense, rhs in _sides(row_name, float(lower), float(upper)):
            expression = pulp.LpAffineExpression(terms)
            problem.addConstraint(
                pulp.LpConstraint(expression, constraint_sense, constraint_name, rhs)
            )
    problem.checkDuplicateVars()
    return problem


def _sides(name: str, lower: float, upper: float) -> list[tuple[str, int, float]]:
    """PuLP constraints of one row: PuLP has no ranges, so a ranged row becomes two."""
    if lower == upper:
        return [(name, pulp.LpConstraintEQ, lower)]
    if math.isinf(lower) and math.isinf(upper):
        return []  # a free row constrains nothing
    if math.isinf(lower):
        return [(name, pulp.LpConstraintLE, upper)]
    if math.isinf(upper):
        return [(name, pulp.LpConstraintGE, lower)]
    return [
        (f"{name}_lower", pulp.LpConstraintGE, lower),
        (f"{name}_upper", pulp.LpConstraintLE, upper),
    ]


def _finite(model: dict[str, Any]) -> dict[str, Any]:
    """model with infinite variable bounds as null (unbounded); other non-finite values refused.

    JSON has no Infinity or NaN: PostgreSQL would refuse to store them and no client could read
    them back.
    """
    for variable in model.get("variables", []):
        for key in ("lowBound", "upBound"):
            value = variable.get(key)
            if isinstance(value, float) and math.isinf(value):
                variable[key] = None
    if not all_finite(model):
        raise ModelFileError("The model has numbers that are not finite.")
    return model
