"""The analytics statistics against hand-computed values and against scikit-learn / statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score, roc_auc_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from readingroom.analytics.accuracy import auroc, bootstrap, roc_curve, sensitivity, specificity
from readingroom.analytics.agreement import cohen_kappa, fleiss_kappa, fleiss_table
from readingroom.analytics.mrmc import obuchowski_rockette
from readingroom.analytics.paired import paired_difference


def test_cohen_kappa_by_hand():
    # 10 cases: both "present" on 4, both "absent" on 3, disagree on 3 (2 reader-only, 1 model-only)
    a = ["p"] * 4 + ["a"] * 3 + ["p", "p", "a"]
    b = ["p"] * 4 + ["a"] * 3 + ["a", "a", "p"]
    # p_o = 0.7; a: p 6 a 4, b: p 5 a 5 -> p_e = (6*5 + 4*5) / 100 = 0.5 -> kappa = 0.2 / 0.5
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_matches_scikit_learn():
    rng = np.random.default_rng(1)
    states = ["present", "absent", "uncertain", "not_mentioned"]
    for _ in range(20):
        a = rng.choice(states, 40).tolist()
        b = [x if rng.random() < 0.6 else rng.choice(states) for x in a]
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_undefined_and_bad_input():
    assert np.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    with pytest.raises(ValueError, match="labelled 2 and 1 cases"):
        cohen_kappa(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="'c' is not one of the categories"):
        cohen_kappa(["a", "c"], ["a", "b"], categories=["a", "b"])


def test_fleiss_kappa_by_hand_and_against_statsmodels():
    ratings = [["p", "p", "p"], ["a", "a", "a"], ["p", "p", "a"], ["p", "p", "p"]]
    table = fleiss_table(ratings, categories=["p", "a"])
    assert table.tolist() == [[3, 0], [0, 3], [2, 1], [3, 0]]
    assert fleiss_kappa(table) == pytest.approx(0.625)
    rng = np.random.default_rng(2)
    for _ in range(20):
        counts = rng.multinomial(5, [0.5, 0.3, 0.2], size=30)
        assert fleiss_kappa(counts) == pytest.approx(sm_fleiss_kappa(counts))
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa(np.array([[2, 1], [1, 1]]))


def test_auroc_with_ties_matches_scikit_learn():
    rng = np.random.default_rng(3)
    for _ in range(30):
        truth = rng.integers(0, 2, 50)
        score = rng.integers(0, 5, 50)  # ordinal: many ties
        if truth.min() == truth.max():
            continue
        assert auroc(truth, score) == pytest.approx(roc_auc_score(truth, score))
    assert np.isnan(auroc([1, 1], [0.2, 0.3]))
    with pytest.raises(ValueError, match="only 0"):
        auroc([0, 2], [0.1, 0.2])


def test_sensitivity_specificity_and_roc_points_by_hand():
    truth = [1, 1, 1, 0, 0, 0, 0]
    call = [1, 1, 0, 0, 0, 1, 0]
    assert sensitivity(truth, call) == pytest.approx(2 / 3)
    assert specificity(truth, call) == pytest.approx(3 / 4)
    fpf, tpf, _ = roc_curve(truth, call)
    assert fpf.tolist() == [0.0, 0.25, 1.0] and tpf.tolist() == pytest.approx([0.0, 2 / 3, 1.0])


def test_bootstrap_interval_is_seeded_and_covers_the_truth():
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 2, 200)
    score = truth + rng.normal(0, 1.0, 200)
    first = bootstrap(lambda i: auroc(truth[i], score[i]), 200, resamples=400, seed=7)
    again = bootstrap(lambda i: auroc(truth[i], score[i]), 200, resamples=400, seed=7)
    assert first == again and first.low < first.value < first.high
    # the binormal AUROC of a unit shift with unit noise: Phi(1 / sqrt(2))
    assert first.low < stats.norm.cdf(1 / np.sqrt(2)) < first.high
    assert first.high - first.low < 0.2


def test_paired_difference_matches_the_paired_t_test():
    rng = np.random.default_rng(5)
    a = rng.normal(60, 10, 30)
    b = a - 5 + rng.normal(0, 4, 30)
    d = paired_difference(a, b)
    t_test = stats.ttest_rel(b, a)
    assert d.p_value == pytest.approx(t_test.pvalue)
    ci = t_test.confidence_interval(0.95)
    assert (d.ci_low, d.ci_high) == pytest.approx((ci.low, ci.high))
    assert d.boot_low < d.estimate < d.boot_high
    with pytest.raises(ValueError, match="at least two complete pairs"):
        paired_difference([1.0, np.nan], [2.0, 3.0])


def _mean_score(truth, score):
    return float(np.mean(score))


def test_or_covariances_by_hand_for_a_mean_figure_of_merit():
    """With the case mean as figure of merit, the jackknife covariance of two reader-conditions is their
    sample covariance over cases divided by n: the OR terms can then be checked by hand."""
    rng = np.random.default_rng(6)
    t, J, n = 2, 3, 25
    s = rng.normal(size=(t, J, n)) + rng.normal(size=(1, 1, n))
    truth = np.r_[np.zeros(12), np.ones(13)]
    result = obuchowski_rockette(s, truth, figure_of_merit=_mean_score)
    full = np.cov(s.reshape(t * J, n)) / n
    pairs = [((i, j), (k, m)) for i in range(t) for j in range(J) for k in range(t) for m in range(J)]
    pick = {"cov1": lambda a, b: a[0] != b[0] and a[1] == b[1], "cov2": lambda a, b: a[0] == b[0] and a[1] != b[1],
            "cov3": lambda a, b: a[0] != b[0] and a[1] != b[1]}  # fmt: skip
    for name, rule in pick.items():
        want = np.mean([full[a[0] * J + a[1], b[0] * J + b[1]] for a, b in pairs if rule(a, b)])
        assert result.cov[name] == pytest.approx(want)
    assert result.cov["var"] == pytest.approx(np.mean(np.diag(full)))
    theta = s.mean(axis=2)
    assert np.allclose(result.theta, theta)
    ms_t = J * ((theta.mean(1) - theta.mean()) ** 2).sum() / (t - 1)
    assert result.ms_t == pytest.approx(ms_t)
    denominator = result.ms_tr + J * max(result.cov["cov2"] - result.cov["cov3"], 0)
    assert result.f == pytest.approx(ms_t / denominator)
    (diff,) = result.differences
    assert diff["estimate"] == pytest.approx(theta[0].mean() - theta[1].mean())
    assert diff["se"] == pytest.approx(np.sqrt(2 / J * denominator))


def _simulated_study(rng, *, effect: float, readers: int = 4, cases: int = 60):
    truth = np.r_[np.zeros(cases // 2), np.ones(cases // 2)]
    case = rng.normal(0, 1, cases)  # shared case difficulty
    reader = rng.normal(0, 0.3, readers)
    scores = np.empty((2, readers, cases))
    for i, shift in enumerate((1.0, 1.0 + effect)):
        for j in range(readers):
            scores[i, j] = truth * shift + 0.7 * case + reader[j] + rng.normal(0, 0.7, cases)
    return scores, truth


def test_or_detects_a_real_difference_and_keeps_its_level_under_the_null():
    rng = np.random.default_rng(8)
    strong = obuchowski_rockette(*_simulated_study(rng, effect=1.5))
    assert strong.p_value < 0.01 and strong.differences[0]["ci_high"] < 0  # condition 1 is better
    rejections = [obuchowski_rockette(*_simulated_study(rng, effect=0.0)).p_value < 0.05 for _ in range(150)]
    assert 0.01 <= np.mean(rejections) <= 0.10  # nominal 0.05


def test_or_refuses_what_it_cannot_compare():
    with pytest.raises(ValueError, match="conditions >= 2, readers >= 2"):
        obuchowski_rockette(np.zeros((1, 3, 10)), np.r_[np.zeros(5), np.ones(5)])
    with pytest.raises(ValueError, match="both classes"):
        obuchowski_rockette(np.zeros((2, 2, 4)), np.zeros(4))
