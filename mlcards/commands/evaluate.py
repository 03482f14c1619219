"""`mlcards evaluate PREDICTIONS.csv ... -o evaluation.yaml`: compute disaggregated
results (overall, per group, per intersection, with bootstrap intervals) and
write them as a valid evaluation file, metric definitions included."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlcards.commands import Subparsers, add_command
from mlcards.errors import MlcardsError, Problem, display_path
from mlcards.load.yaml import PathKey

OPTIONS = {"label": "--label", "prediction": "--prediction", "score": "--score",
           "sensitive": "--sensitive", "positive_label": "--positive-label"}


def register(sub: Subparsers) -> None:
    p = add_command(
        sub, "evaluate", "Compute per-group metrics with intervals from a predictions CSV.",
        "  mlcards evaluate preds.csv --label y --prediction y_hat --score p \\\n"
        "      --sensitive sex --sensitive age_band -o evaluation.yaml\n"
        "  mlcards evaluate preds.csv --label price --prediction estimate --task regression \\\n"
        "      --sensitive region --metric mae --metric r2 --bootstrap 200 -o evaluation.yaml\n")
    p.add_argument("predictions", type=Path, help="CSV with a header row")
    p.add_argument("--label", required=True, metavar="COL", help="column of true labels")
    p.add_argument("--prediction", required=True, metavar="COL",
                   help="column of predicted labels (or values, for regression)")
    p.add_argument("--score", metavar="COL",
                   help="column of scores/probabilities (enables roc_auc and threshold curves)")
    p.add_argument("--sensitive", required=True, action="append", metavar="COL",
                   help="a sensitive feature column; repeat for several (intersections too)")
    p.add_argument("--metric", action="append", metavar="NAME", dest="metrics",
                   help="a metric to compute; repeat for several (default: all of the task's)")
    p.add_argument("--task", choices=["binary-classification", "regression"],
                   default="binary-classification", help="default: binary-classification")
    p.add_argument("--positive-label", default="1", metavar="VALUE",
                   help="label value of the positive class (default: 1)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples for the intervals; 0 for none (default: 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed: the same seed gives the same intervals (default: 0)")
    p.add_argument("--confidence", type=float, default=0.95, metavar="C",
                   help="interval coverage, between 0 and 1 (default: 0.95)")
    p.add_argument("--dataset", metavar="NAME", help="dataset name (default: the file's stem)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                   help="evaluation.yaml to write")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=run)


def _spec(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from mlcards.schema.evaluation import Predictions

    try:
        return Predictions(
            path=args.predictions.name, task=args.task, label=args.label,
            prediction=args.prediction, score=args.score, sensitive=args.sensitive,
            metrics=args.metrics or [], bootstrap=args.bootstrap, seed=args.seed,
            confidence=args.confidence, positive_label=args.positive_label)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        option = "--" + str(err["loc"][0]).replace("_", "-") if err["loc"] else "option"
        raise MlcardsError(f"{option}: {err['msg']} (got {err.get('input')!r})") from None


def evaluation_text(args: argparse.Namespace, spec: Any, result: Any, rows: int) -> str:
    """The evaluation file: a header comment, definitions, then one result per line."""
    import yaml

    from mlcards.compute.evaluation import to_results
    from mlcards.compute.metrics import METRICS

    head: dict[str, Any] = {
        "schema_version": 1,
        "dataset": {"name": args.dataset or args.predictions.stem, "size": rows},
        "metrics": [{"name": m, "description": METRICS[m].description,
                     "higher_is_better": METRICS[m].higher_is_better} for m in result.metrics],
    }
    options = " ".join(
        [f"--label {spec.label}", f"--prediction {spec.prediction}"]
        + ([f"--score {spec.score}"] if spec.score else [])
        + [f"--sensitive {s}" for s in spec.sensitive]
        + [f"--bootstrap {spec.bootstrap}", f"--seed {spec.seed}"])
    lines = ["# yaml-language-server: $schema=../../../schemas/evaluation.schema.json",
             f"# Computed by `mlcards evaluate {args.predictions.name} {options}`:",
             f"# {spec.confidence:.0%} percentile bootstrap intervals, {spec.task}.",
             yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=100).rstrip(),
             "results:"]
    for r in to_results(result):
        entry = r.model_dump(exclude_none=True)
        if "ci" in entry:
            entry["ci"] = list(entry["ci"])
        flow = yaml.safe_dump(entry, default_flow_style=True, sort_keys=False,
                              allow_unicode=True, width=1 << 20)
        lines.append(f"  - {flow.strip()}")
    return "\n".join(lines) + "\n"


def _check_output(text: str, output: Path) -> None:
    """The written file must load and validate like any evaluation.yaml."""
    from mlcards.errors import InvalidInput
    from mlcards.load.yaml import parse_yaml
    from mlcards.schema.evaluation import Evaluation
    from mlcards.validate.documents import validate_document

    problems: list[Problem] = []
    validate_document(parse_yaml(text, output), Evaluation, problems)
    if problems:  # pragma: no cover - would be a bug in evaluation_text
        raise InvalidInput(problems)


def _write(output: Path, text: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, output)


def run(args: argparse.Namespace) -> int:
    from mlcards.compute.evaluation import metric_names_for
    from mlcards.compute.metrics import disaggregate
    from mlcards.compute.predictions import read_predictions

    if args.output.exists() and not args.force:
        raise MlcardsError(f"{display_path(args.output)} exists; pass --force to overwrite it")
    if not args.predictions.is_file():
        raise MlcardsError(f"{display_path(args.predictions)}: no such file")
    spec = _spec(args)
    csv_name = display_path(args.predictions)

    def option_problem(loc: PathKey, message: str) -> Problem:
        option = OPTIONS.get(str(loc[1]), "--metric") if len(loc) > 1 else "option"
        return Problem(csv_name, 1, 1, option, message)

    names = metric_names_for(spec, option_problem)
    data = read_predictions(args.predictions, spec, option_problem)
    result = disaggregate(data, names, resamples=spec.bootstrap, seed=spec.seed,
                          confidence=spec.confidence)
    text = evaluation_text(args, spec, result, data.n)
    _check_output(text, args.output)
    _write(args.output, text)
    groups = sum(len(g.groups) for g in result.groupings)
    print(f"wrote {display_path(args.output)}: {len(names)} metrics, overall and {groups} "
          f"groups in {len(result.groupings)} groupings, {data.n:,} rows, "
          f"{spec.bootstrap} resamples (seed {spec.seed})", file=sys.stdout)
    return 0
