"""Make the credit-default example's predictions.csv files (run by hand; not by the build).

Generates a synthetic consumer-loan dataset locally with numpy (seeded; no
downloads), trains a real scikit-learn model per version, scores a held-out
test sample and writes predictions.csv into each version folder:

- 1.0.0: HistGradientBoostingClassifier on bureau and application features;
- 1.1.0: the same learner, also given open-banking cash-flow features
  (missing when the applicant did not consent).

Age band and sex are never model inputs; they are kept for fairness
monitoring. Young applicants have thin bureau files, so bureau features tell
less about them: that is the (small) performance gap the evaluation shows, and
the cash-flow features of 1.1.0 narrow it.

    python site_example/scripts/make_credit_predictions.py
    mlcards validate site_example    # evaluation.yaml names predictions.csv

Requires scikit-learn (a test-only dependency of mlcards).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "models" / "credit-default"
AGE_BANDS = ("18-25", "26-40", "41-60", "61+")
AGE_SHARE = (0.16, 0.37, 0.34, 0.13)
CUTOFF = 0.18
"""Referral cut-off on the probability of default (card: decision_thresholds)."""


@dataclass(frozen=True)
class Applications:
    """Applicants: model features, fairness attributes and the outcome."""

    bureau: NDArray[np.float64]      # features every version uses
    cashflow: NDArray[np.float64]    # open-banking features (NaN without consent)
    age_band: NDArray[np.str_]
    sex: NDArray[np.str_]
    defaulted: NDArray[np.int64]


def make_applications(n: int, rng: np.random.Generator, *, period: float) -> Applications:
    """n synthetic loan applications; `period` shifts the economy slightly over time."""
    age = rng.choice(len(AGE_BANDS), size=n, p=AGE_SHARE)
    sex = rng.choice(np.array(["female", "male"]), size=n, p=[0.47, 0.53])
    years = rng.gamma(shape=1.2 + 1.6 * age, scale=2.2)            # bureau history length
    thin = years < 2.0
    income = rng.lognormal(mean=7.6 + 0.12 * np.minimum(age, 2), sigma=0.45)
    dti = rng.beta(2.0, 5.0, size=n) + 0.03 * (sex == "female")
    util = rng.beta(2.0, 3.0, size=n)
    hidden = rng.normal(size=n)                                    # what bureaus cannot see
    risk = (-2.5 + 0.2 * (age == 0) + 0.03 * period + 4.0 * (dti - 0.3)
            + 2.2 * (util - 0.4) - 0.5 * np.log1p(income / 1500.0)
            + 1.6 * hidden * (1.0 + 0.2 * thin) + rng.normal(scale=0.3, size=n))
    defaulted = (rng.random(n) < 1.0 / (1.0 + np.exp(-risk))).astype(np.int64)
    # Past arrears reflect the hidden risk, but only as far as there is a history.
    late = rng.poisson(np.exp(0.8 * hidden - 0.3) * np.minimum(years, 8.0) / 3.0)
    enquiries = rng.poisson(1.0 + 0.6 * (hidden > 1.0))
    loan = rng.lognormal(mean=9.0, sigma=0.6)
    bureau = np.column_stack([years, income, dti, util, late, enquiries, loan / income])
    consent = rng.random(n) < 0.58
    cashflow = np.column_stack([
        hidden + rng.normal(scale=0.3, size=n),                    # overdraft days signal
        income * rng.normal(1.0, 0.1, size=n),                      # verified inflow
        rng.normal(scale=1.0, size=n) - 0.4 * hidden,              # savings buffer
    ])
    cashflow[~consent] = np.nan
    return Applications(bureau, cashflow, np.array(AGE_BANDS)[age].astype(np.str_),
                        sex.astype(np.str_), defaulted)


def train_and_score(version: str, train: Applications, test: Applications,
                    seed: int, iterations: int = 200) -> NDArray[np.float64]:
    """Fit the version's model on `train`; probability of default for `test`."""
    def features(a: Applications) -> NDArray[np.float64]:
        return a.bureau if version == "1.0.0" else np.hstack([a.bureau, a.cashflow])

    model = HistGradientBoostingClassifier(max_iter=iterations, max_depth=4, learning_rate=0.05,
                                           early_stopping=False, random_state=seed)
    model.fit(features(train), train.defaulted)
    return np.asarray(model.predict_proba(features(test))[:, 1], dtype=np.float64)


def write_predictions(path: Path, test: Applications, score: NDArray[np.float64]) -> None:
    """label, prediction at the cut-off, score (4 decimals), sensitive features."""
    rounded = np.round(score, 4)
    referred = (rounded > CUTOFF).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["defaulted", "referred", "score", "age_band", "sex"])
        writer.writerows(zip(test.defaulted.tolist(), referred.tolist(),
                             [f"{s:.4f}" for s in rounded.tolist()], test.age_band.tolist(),
                             test.sex.tolist(), strict=True))


VERSIONS = {"1.0.0": (1, 0.0), "1.1.0": (2, 1.0)}
"""version -> (seed, period of its out-of-time test sample)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="model folder holding the version folders")
    parser.add_argument("--train", type=int, default=24000, help="training applications")
    parser.add_argument("--test", type=int, default=6000, help="test applications per version")
    parser.add_argument("--iterations", type=int, default=200, help="boosting iterations")
    args = parser.parse_args(argv)
    for version, (seed, period) in VERSIONS.items():
        rng = np.random.default_rng(seed)
        train = make_applications(args.train, rng, period=period - 0.5)
        test = make_applications(args.test, rng, period=period)
        score = train_and_score(version, train, test, seed, args.iterations)
        out = args.out / version / "predictions.csv"
        write_predictions(out, test, score)
        print(f"{out}: {args.test} rows, default rate {test.defaulted.mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
