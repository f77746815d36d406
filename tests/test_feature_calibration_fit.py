"""Fitting expansion elasticities and new-flow slopes: recovery of known values from synthetic
history, and the recursive projection's fixed point."""

import numpy as np
import pytest

from petra.calibration.base_year import calibrate_base_year, verify_calibration
from petra.calibration.config import CalibrationConfig, FitConfig
from petra.calibration.fit import fit_parameters, synthetic_history
from petra.model import build_problem
from petra.model.problem import reported_prices
from petra.model.recursive import anchored_inputs, project_periods, step_problem
from petra.synthetic import world_dataset

TRUE_E = {"c00": 1.3, "c01": 3.0}
TRUE_F = {"c00": 0.4, "c01": 2.0}


@pytest.fixture(scope="module")
def history():
    cfg = CalibrationConfig(trade_elasticity=None, unused_margin=0.01)
    cal = calibrate_base_year(world_dataset(12, 2, seed=5), cfg).dataset
    hist = synthetic_history(cal, [2015, 2016], TRUE_E, TRUE_F, sigma=0.2, seed=1)
    # the instance identifies every parameter: doubling one commodity's slope or elasticity changes
    # its observed flows (on some instances no new route that opens depends on the slope, e.g. when
    # the opening routes are held back by the no-cross-hauling rule)
    for c in TRUE_E:
        for e, f in ((TRUE_E, {**TRUE_F, c: 2 * TRUE_F[c]}), ({**TRUE_E, c: 2 * TRUE_E[c]}, TRUE_F)):
            other = synthetic_history(cal, [2015, 2016], e, f, sigma=0.2, seed=1).observed_flows
            a = hist.observed_flows[hist.observed_flows["commodity"] == c].reset_index(drop=True)
            b = other[other["commodity"] == c].reset_index(drop=True)
            assert len(a) != len(b) or not np.allclose(a["flow"], b["flow"], rtol=1e-6)
    return hist, cfg


@pytest.mark.parametrize("error", ["deviance", "log"])
def test_recovers_known_parameters_within_5_percent(history, error):
    hist, cfg = history
    # new routes really open in the synthetic years (so the slope is identified)
    base_used = set(map(tuple, hist.routes.loc[hist.routes["flow"] > 0,
                                               ["exporter", "importer", "commodity"]].values))
    later = set(map(tuple, hist.observed_flows[["exporter", "importer", "commodity"]].values))
    assert len(later - base_used) > 0
    fit = fit_parameters(hist, [2015, 2016], cfg.model_copy(update={"fit": FitConfig(error=error)}))
    par = fit.parameters.set_index("commodity")
    for c in TRUE_E:
        assert par.loc[c, "expansion_elasticity"] == pytest.approx(TRUE_E[c], rel=0.05)
        assert par.loc[c, "new_flow_slope_factor"] == pytest.approx(TRUE_F[c], rel=0.05)
        assert par.loc[c, "objective_fitted"] < par.loc[c, "objective_prior"]
        assert par.loc[c, "improvement"] > 0.9
        # exact data identify both values: the intervals are narrow and contain the truth
        assert par.loc[c, "expansion_elasticity_low"] <= TRUE_E[c] * 1.05
        assert par.loc[c, "expansion_elasticity_high"] >= TRUE_E[c] * 0.95
        assert par.loc[c, "elasticity_identified"] == "yes" and par.loc[c, "slope_identified"] == "yes"
    # the fitted dataset carries the values per route
    r = fit.dataset.routes
    assert np.allclose(r.loc[r["commodity"] == "c01", "expansion_elasticity"], par.loc["c01",
                                                                                      "expansion_elasticity"])


def test_projection_with_base_anchors_stays_at_the_calibrated_base_year():
    cal = calibrate_base_year(world_dataset(10, 1, seed=5), CalibrationConfig(trade_elasticity=None)).dataset
    p = build_problem(cal)
    proj = project_periods(p, anchored_inputs({1: (p.S0, p.D0), 2: (p.S0, p.D0)}), tol=1e-9)
    assert proj.ok and proj.periods == (1, 2)
    for X, price in zip(proj.X, proj.P, strict=True):
        np.testing.assert_allclose(X, p.flow_prev, rtol=1e-6, atol=1e-9 * p.q_scale[0])
        np.testing.assert_allclose(price, reported_prices(p, p.P0), rtol=1e-6)


def test_step_problem_reanchors_curves_at_base_prices():
    p = build_problem(world_dataset(5, 1, seed=2))
    X = np.where(p.flow_prev > 0, 0.0, 1.0)
    q = step_problem(p, X, 2 * p.S0, 0.5 * p.D0)
    assert np.array_equal(q.flow_prev, X) and np.array_equal(q.P0, p.P0)
    np.testing.assert_allclose(q.S0, 2 * p.S0)
    assert ((q.kind == 2) == (X == 0)).all()  # routes without last-period flow are new routes
    with pytest.raises(ValueError):
        step_problem(p, X, -p.S0, p.D0)


def test_a_parameter_the_data_do_not_identify_stays_at_the_prior():
    # the routes that traded in the base year keep trading and no other route opens: no route is new
    # in any fit year, so the new-flow slope has no effect on the flows; with noisy observed flows an
    # unpenalised fit could put it anywhere, the penalised fit keeps the prior and flags it
    # a margin no fit-year shock overcomes: no route opens
    cfg = CalibrationConfig(trade_elasticity=None, unused_margin=0.3)
    cal = calibrate_base_year(world_dataset(10, 1, seed=3, traded_share=1.0), cfg).dataset
    hist = synthetic_history(cal, [2015, 2016], {"c00": 3.0}, {"c00": 5.0}, sigma=0.2, seed=2)
    of = hist.observed_flows.copy()
    used = int((cal.routes["flow"] > 0).sum())
    assert len(of) == 2 * used and (of["flow"] > 0).all()  # the base year's routes trade in both years
    of["flow"] *= np.random.default_rng(0).lognormal(0.0, 0.1, len(of))  # observation noise
    fit = fit_parameters(hist.replace(observed_flows=of), [2015, 2016], cfg)
    row = fit.parameters.iloc[0]
    # (at the prior to the optimiser's termination tolerance: the slope has no gradient)
    assert row["new_flow_slope_factor"] == pytest.approx(row["prior_new_flow_slope_factor"], rel=1e-3)
    assert row["slope_identification"] == pytest.approx(0.0, abs=1e-6)
    assert row["slope_identified"] == "weak"
    # the elasticity is identified by the noisy flows: its interval is much narrower than the prior's
    # and contains the truth
    assert row["elasticity_identification"] > 0.5 and row["elasticity_identified"] == "yes"
    assert row["expansion_elasticity_low"] < 3.0 < row["expansion_elasticity_high"]


def test_fit_years_are_projected_one_year_from_the_observed_year_before():
    cfg = CalibrationConfig(trade_elasticity=None, unused_margin=0.01)
    cal = calibrate_base_year(world_dataset(8, 1, seed=4), cfg).dataset
    hist = synthetic_history(cal, [2015, 2016, 2017], {"c00": 2.0}, {"c00": 1.0}, sigma=0.1, seed=5)
    hist = hist.replace(metadata={**hist.metadata, "base_year": 2010})
    fit = fit_parameters(hist, [2016, 2017], cfg)
    assert fit.origins == {2016: 2015, 2017: 2016}
    assert fit_parameters(hist, [2015, 2017], cfg).origins == {2015: 2010, 2017: 2016}


def test_a_fitted_dataset_runs_every_shipped_china9_scenario_file(tmp_path):
    # `petra calibrate china9 --base-year 2020 --fit 2018-2019` (fit years before the base year), then
    # the shipped scenario files on the fitted dataset: every scenario of every file must solve
    from pathlib import Path

    import yaml

    from petra.calibration.run import run_calibration
    from petra.projection.run import run_scenarios

    runs = Path(__file__).resolve().parents[1] / "runs"
    data = Path(__file__).resolve().parents[1] / "data" / "china9"
    run = run_calibration(data, tmp_path / "cal", CalibrationConfig(trade_elasticity=None), fit=[2018, 2019],
                          base_year=2020)
    assert (run.fit.parameters["improvement"] >= 0).all()
    for name in ("default.yaml", "policy_shocks.yaml", "ensemble.yaml"):
        (tmp_path / name).write_text((runs / name).read_text())
    raw = yaml.safe_load((tmp_path / "default.yaml").read_text())
    raw["dataset"] = str(tmp_path / "cal" / "dataset")
    (tmp_path / "default.yaml").write_text(yaml.safe_dump(raw))
    for name in ("default.yaml", "policy_shocks.yaml", "ensemble.yaml"):
        res = run_scenarios(tmp_path / name, embodied=False)
        assert not res.failures, [(r.spec.name, r.projection.failure) for r in res.failures]
        assert len(res.results) >= 3


def test_recovers_a_known_trade_elasticity_on_the_logit_form():
    # history generated with epsilon = 6 (the anchors fixed at calibration), fitted from a prior of 15:
    # the preference of every route is kept, so only epsilon moves and the base year stays exact
    cfg = CalibrationConfig(trade_elasticity=6.0, logit_unused_margin=1.0)
    cal = calibrate_base_year(world_dataset(8, 1, seed=4), cfg).dataset
    hist = synthetic_history(cal, [2015, 2016], {"c00": 2.0}, {"c00": 1.0}, sigma=0.2, seed=2)
    wrong = hist.replace(routes=hist.routes.assign(trade_elasticity=hist.routes["trade_elasticity"] * 2.5))
    fit = fit_parameters(wrong, [2015, 2016], cfg)
    row = fit.parameters.set_index("commodity").loc["c00"]
    assert row["form"] == "logit"
    assert row["prior_expansion_elasticity"] == pytest.approx(15.0)
    assert row["expansion_elasticity"] == pytest.approx(6.0, rel=0.05)
    assert row["expansion_elasticity_low"] <= 6.0 * 1.05 and row["expansion_elasticity_high"] >= 6.0 * 0.95
    r = fit.dataset.routes
    logit = r["trade_elasticity"].notna()
    assert logit.any() and np.allclose(r.loc[logit, "trade_elasticity"], row["expansion_elasticity"])
    # the fitted dataset still reproduces its base year exactly (preferences kept)
    assert verify_calibration(fit.dataset, 1e-6)["max_deviation"] < 1e-6
