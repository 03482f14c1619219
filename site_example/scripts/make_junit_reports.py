"""Make the example's CI test reports (JUnit XML) by running real pytest suites (run by
hand; not by the build).

Each report is what `pytest --junitxml` writes for a small suite below; only the run's
`timestamp` and `hostname` are then set to the CI run the story needs, so the reports
sit where they would on the assessment dates:

- credit-default 1.1.0 (assessed 2025-11-12): the feature-pipeline and training unit
  tests of pipeline 88214 (2025-11-06): fresh, every case passes -> data-7 and infra-2
  verified; the weekly reproducibility job's last archived report is from 2025-09-22,
  older than its `max_age_days: 14` -> infra-1 counts as manual;
- churn-predictor 2.0.0 (assessed 2026-01-12): the data-validation suite passes
  (data-1 verified); the weekly reproducibility job of 2026-01-10 has a failing case
  (retraining no longer reproduces the predictions) -> infra-1 scores 0.

    python site_example/scripts/make_junit_reports.py
    mlcards validate site_example    # readiness.yaml names the reports in `junit`
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # site_example/

FEATURES = '''\
import math


def log_income(x):
    return math.log1p(max(x, 0.0))


def utilisation(balance, limit):
    return 0.0 if limit <= 0 else min(balance / limit, 1.5)


def test_log_income_is_monotone():
    assert log_income(1000) < log_income(2000)


def test_log_income_clips_negative_values():
    assert log_income(-5) == 0.0


def test_utilisation_without_a_limit_is_zero():
    assert utilisation(100, 0) == 0.0


def test_utilisation_is_capped():
    assert utilisation(10_000, 100) == 1.5
'''

MODEL_SPEC = '''\
SPEC = {"features": ["log_income", "utilisation", "bureau_score", "cash_flow_30d"],
        "monotone": {"bureau_score": -1, "utilisation": 1}, "calibration": "isotonic"}


def test_feature_list_has_no_protected_attributes():
    assert not {"sex", "date_of_birth", "nationality"} & set(SPEC["features"])


def test_monotone_constraints_name_known_features():
    assert set(SPEC["monotone"]) <= set(SPEC["features"])


def test_calibration_step_is_isotonic():
    assert SPEC["calibration"] == "isotonic"
'''

REPRODUCIBLE = '''\
import random


def train(seed, drift=0.0):
    rng = random.Random(seed)
    return [round(rng.random() + drift, 12) for _ in range(1000)]


def test_retrain_reproduces_predictions():
    first, second = train(7), train(7, drift={drift})
    diff = max(abs(a - b) for a, b in zip(first, second))
    assert diff <= 1e-9, f"max abs diff {{diff:.1e}} > 1e-9 between retrained models"


def test_snapshot_ids_are_pinned():
    assert "snapshot-2025-10-31" == "snapshot-2025-10-31"
'''

VALIDATION = '''\
ROWS = [{"tenure_months": 14, "plan": "family", "monthly_fee": 39.0},
        {"tenure_months": 2, "plan": "single", "monthly_fee": 19.0}]


def test_schema_types():
    assert all(isinstance(r["tenure_months"], int) for r in ROWS)


def test_plan_levels():
    assert {r["plan"] for r in ROWS} <= {"single", "family", "business"}


def test_fee_range():
    assert all(0 < r["monthly_fee"] < 500 for r in ROWS)
'''

REPORTS = [
    # (report, {test file: source}, timestamp, hostname)
    ("evidence/ci/credit-default/1.1.0/pipeline-88214-unit-tests.xml",
     {"tests/features/test_transforms.py": FEATURES,
      "tests/training/test_model_spec.py": MODEL_SPEC},
     "2025-11-06T14:02:17.318204+00:00", "ci-runner-07"),
    ("evidence/ci/credit-default/1.1.0/weekly-reproducibility.xml",
     {"tests/training/test_reproducible.py": REPRODUCIBLE.format(drift=0.0)},
     "2025-09-22T03:00:41.902117+00:00", "ci-runner-03"),
    ("evidence/ci/churn-predictor/2.0.0/data-validation.xml",
     {"tests/data/test_weekly_features.py": VALIDATION},
     "2026-01-09T06:15:08.441930+00:00", "ci-runner-11"),
    ("evidence/ci/churn-predictor/2.0.0/weekly-reproducibility.xml",
     {"tests/training/test_reproducible.py": REPRODUCIBLE.format(drift=3.2e-4)},
     "2026-01-10T03:00:12.077461+00:00", "ci-runner-03"),
]


def run_suite(files: dict[str, str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rel, source in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            for parent in path.relative_to(folder).parents:
                if parent != Path("."):
                    (folder / parent / "__init__.py").touch()
            path.write_text(source, "utf-8")
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "no:randomly", "--junitxml", "report.xml", *files],
                       cwd=folder, check=False, capture_output=True)
        return (folder / "report.xml").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the example registry")
    args = parser.parse_args()
    for rel, files, timestamp, host in REPORTS:
        xml = run_suite(files)
        xml = re.sub(rb'timestamp="[^"]*"', f'timestamp="{timestamp}"'.encode(), xml)
        xml = re.sub(rb'hostname="[^"]*"', f'hostname="{host}"'.encode(), xml)
        out = args.root / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(xml)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
