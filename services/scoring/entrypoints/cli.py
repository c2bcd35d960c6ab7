"""`cascade scoring evaluate`: nested cross-validation on a CSV export, printed for a person."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.scoring.predictive.table import TableError, describe, positives_share, prepare, read_csv

if TYPE_CHECKING:  # scikit-learn loads when a model is evaluated, not with every `cascade` command
    from services.scoring.predictive.evaluate import Evaluation
    from services.scoring.settings import ScoringSettings

TOP_COLUMNS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv", type=Path, required=True, help="the lead export (header row, one lead a row)"
    )
    parser.add_argument("--target", required=True, help="the outcome column (two values, e.g. Converted 0/1)")
    parser.add_argument(
        "--exclude",
        action="extend",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns not to learn from, e.g. those written after the sales contact (repeatable)",
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the two baseline models")
    parser.add_argument("--min-auc", type=float, help="usable threshold (default SCORING_PREDICTIVE_MIN_AUC)")
    parser.add_argument(
        "--save", type=Path, metavar="MODEL", help="when usable, train on every row and save the model here"
    )


async def run_export(args: argparse.Namespace, settings: ScoringSettings, uows: Callable[[], Any]) -> int:
    from services.scoring.app.export import export

    people = await export(uows, settings, args.out)
    print(f"exported {people} people to {args.out} (target: became_opportunity)")
    return 0


def run(args: argparse.Namespace, settings: ScoringSettings) -> int:
    """Prints the report; returns the process exit status (2: the CSV cannot be learnt from)."""
    min_auc = settings.scoring_predictive_min_auc
    from services.scoring.predictive.evaluate import evaluate

    try:
        header, rows = read_csv(args.csv)
        args.exclude = [c.strip() for c in args.exclude]
        absent = [c for c in args.exclude if c not in header]
        if absent:
            print(f"not in the CSV, so not excluded: {', '.join(absent)}")
        table = prepare(header, rows, args.target, [c for c in args.exclude if c in header])
    except (OSError, TableError) as exc:
        print(f"cascade scoring evaluate: {exc}")
        return 2
    print(f"{args.csv}: {len(table.y)} rows, {positives_share(table.y):.1%} positive ({args.target})")
    print(f"columns used ({len(table.columns)}):")
    print("\n".join(describe(table)))
    if table.dropped:
        print("columns not used: " + "; ".join(f"{name} ({why})" for name, why in table.dropped.items()))
    result = evaluate(table, baselines=not args.no_baselines)
    threshold = min_auc if args.min_auc is None else args.min_auc
    print(report(result, threshold))
    if args.save is not None:
        if not result.usable(threshold):
            print(f"not saved: a model below the threshold is never used ({args.save})")
            return 1
        from services.scoring.predictive.model_file import train

        saved = train(table, args.target, result.mean_auc)
        saved.save(args.save)
        print(f"saved {saved.candidate} trained on {saved.rows} rows to {args.save}")
    return 0


def report(result: Evaluation, min_auc: float) -> str:
    from services.scoring.predictive.evaluate import INNER_FOLDS, OUTER_FOLDS

    chosen = ", ".join(f"{name} x{result.chosen.count(name)}" for name in sorted(set(result.chosen)))
    lines = [
        f"{OUTER_FOLDS}-fold stratified cross-validation; the model is chosen by an inner {INNER_FOLDS}-fold "
        f"cross-validation inside each training fold (chosen: {chosen})",
        _auc_line(result.auc, "this model"),
    ]
    lines += [_auc_line(aucs, name) for name, aucs in result.baselines.items()]
    top = list(result.importance.items())[:TOP_COLUMNS]
    lines.append(
        "top columns (held-out AUC lost when shuffled): " + ", ".join(f"{n} {d:.3f}" for n, d in top)
    )
    verdict = "usable" if result.usable(min_auc) else "NOT usable"
    lines.append(f"{verdict}: validated ROC AUC {result.mean_auc:.4f}, threshold {min_auc:.2f}")
    lines.append(f"({result.seconds:.0f} s)")
    return "\n".join(lines)


def _auc_line(aucs: list[float], name: str) -> str:
    mean = sum(aucs) / len(aucs)
    spread = (sum((a - mean) ** 2 for a in aucs) / len(aucs)) ** 0.5
    return f"ROC AUC {mean:.4f} ± {spread:.4f}  {name}  (folds: {' '.join(f'{a:.3f}' for a in aucs)})"
