"""Recursive-dynamic projection: periods anchored on the last solution, checked by hand and by the
independent KKT checker on every period."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from builders import dataset
from kkt_check import max_violation
from scipy.optimize import brentq

from petra.calibration.config import CalibrationConfig
from petra.dataset import from_frames, load_dataset
from petra.errors import InputError, SolveError
from petra.model import recursive as project_mod
from petra.productivity import supply_response
from petra.projection.drivers import driver_arrays
from petra.projection.oscillation import price_zigzags, route_flips
from petra.projection.run import calibrate, dataset_path, run_scenario
from petra.projection.scenario_config import parse_scenario_file, resolve
from petra.synthetic import world_dataset


def spec_of(scenario: dict, periods=(2010, 2020, 2030), base: dict | None = None, name="s"):
    sf = parse_scenario_file({"periods": list(periods), "base": base or {}, "scenarios": {name: scenario}},
                             "test.yaml")
    return resolve(sf, name)


# A exports wheat to B (isoelastic route, e = 2); B -> A unused (new route, slope 1)
TWO = dataset([("A", "wheat", 100.0, 60.0, 200.0, 0.5, -0.5),
               ("B", "wheat", 40.0, 80.0, 260.0, 0.5, -0.5)],
              [("A", "B", "wheat", 40.0, 30.0, 0.0, 2.0, 0.5),
               ("B", "A", "wheat", 0.0, 30.0, 0.0, None, 1.0)])


R10 = supply_response(10.0)  # the share of the supply elasticity acting in a 10-year period


def excess_prices(X, dA, dB, r=R10):
    """Prices of A and B at which A's excess supply and B's excess demand both equal X, with demand
    anchors multiplied by dA, dB (linear curves through the base point with the base elasticities, the
    supply's scaled by the period's response r)."""
    sA, DA, sB, DB = 100.0, 60.0 * dA, 40.0, 80.0 * dB
    # S_A(p) - D_A(p) = X, slopes r*es*S0/P0 and ed*D0/P0 at the base price
    pA = 200.0 + (X - (sA - DA)) / (r * 0.5 * sA / 200.0 + 0.5 * DA / 200.0)
    pB = 260.0 + ((DB - sB) - X) / (r * 0.5 * sB / 260.0 + 0.5 * DB / 260.0)
    return pA, pB


# the hand-derived cases keep the observed prices and flows (isoelastic form)
EXACT = CalibrationConfig(method="exact", trade_elasticity=None)


def test_base_period_reproduces_the_calibration_and_next_periods_expand_isoelastically():
    g = 1.02 ** 10
    res = run_scenario(TWO, spec_of({"drivers": {"population_growth": [{"region": "B", "value": 2.0}]}}),
                       config=EXACT, embodied=False)
    assert res.ok
    f = res.flows[(res.flows["exporter"] == "A")]
    X = f.set_index("period")["flow"]
    assert X[2010] == pytest.approx(40.0, rel=1e-9)
    # period 2020: X_prev = 40, marginal cost 30 (calibrated adjustment) + 30 * (X/40)^(1/(e*years)),
    # e = 2 per year over a 10-year period
    x1 = brentq(lambda x: np.subtract(*excess_prices(x, 1.0, g)[::-1]) - 30 - 30 * (x / 40) ** (1 / 20),
                1e-9, 200)
    assert X[2020] == pytest.approx(x1, rel=1e-7)
    # period 2030 is anchored on 2020's flow, not on the base year's
    x2 = brentq(lambda x: np.subtract(*excess_prices(x, 1.0, g * g)[::-1]) - 30 - 30 * (x / x1) ** (1 / 20),
                1e-9, 300)
    assert X[2030] == pytest.approx(x2, rel=1e-7)
    pA, pB = excess_prices(x2, 1.0, g * g)
    m = res.markets[res.markets["period"] == 2030].set_index("region")["price"]
    assert m["A"] == pytest.approx(pA, rel=1e-7) and m["B"] == pytest.approx(pB, rel=1e-7)


def test_a_route_that_fell_to_zero_returns_on_the_quadratic_new_flow_cost():
    res = run_scenario(TWO, spec_of({"drivers": {"bans": [{"exporter": "A", "importer": "B", "from": 2020,
                                                           "until": 2020}]}}), config=EXACT, embodied=False)
    assert res.ok
    X = res.flows[res.flows["exporter"] == "A"].set_index("period")["flow"]
    assert X[2020] == 0.0
    assert bool(res.flows.set_index(["period", "exporter"]).loc[(2020, "A"), "banned"])
    # autarky prices in 2020: A 100, B 260 * ... : B -> A stays unused (B dearer than A)
    m20 = res.markets[res.markets["period"] == 2020].set_index("region")["price"]
    assert m20["A"] == pytest.approx(200 - 40 / (0.25 * R10 + 0.15), rel=1e-9)
    # 2030: A -> B is a new route: marginal cost 30 + 30 + 0.5 X
    x = brentq(lambda x: np.subtract(*excess_prices(x, 1.0, 1.0)[::-1]) - 60 - 0.5 * x, 1e-9, 200)
    assert X[2030] == pytest.approx(x, rel=1e-7)


def period_dataset(cal, res, arrays, k):
    """Period k as a stand-alone dataset (anchors, previous flows, this period's costs; banned routes
    dropped) with its solution, for the independent KKT checker."""
    periods = sorted(res.markets["period"].unique())
    mk = res.markets[res.markets["period"] == periods[k]].reset_index(drop=True)
    fl = res.flows[res.flows["period"] == periods[k]].reset_index(drop=True)
    prev = (cal.dataset.routes["flow"].to_numpy() if k == 0 else
            res.flows[res.flows["period"] == periods[k - 1]]["flow"].to_numpy())
    m = cal.dataset.markets.copy()
    m["production"] = m["production"] * arrays.supply_factor[k]
    m["consumption"] = m["consumption"] * arrays.demand_factor[k]
    years = periods[k] - periods[k - 1] if k else 1
    m["supply_elasticity"] = m["supply_elasticity"] * supply_response(years)
    r = cal.dataset.routes.copy()
    # a logit route (a base flow and a trade elasticity) stays anchored at its base flow; others at the
    # previous period's flow
    logit = (r["flow"] > 0) & r.get("trade_elasticity", pd.Series(np.nan, index=r.index)).notna()
    r["flow"] = np.where(logit, r["flow"], prev)
    r["transport_cost"] = fl["transport_cost"].to_numpy()
    r["tariff"] = fl["tariff"].to_numpy()
    r["cost_adjustment"] = fl["cost_adjustment"].to_numpy()
    # the expansion elasticity is per year: a period of `years` years uses e * years
    years = periods[k] - periods[k - 1] if k else 1
    r["expansion_elasticity"] = r["expansion_elasticity"] * years
    keep = ~fl["banned"].to_numpy()
    ds = from_frames(m, r[keep].reset_index(drop=True))
    sol = SimpleNamespace(markets=mk[["region", "commodity", "price", "supply_price", "production",
                                      "consumption"]],
                          flows=fl[keep].reset_index(drop=True))
    return ds, sol


@pytest.mark.parametrize("seed", [1, 9, 3])
def test_every_period_of_random_scenarios_passes_the_independent_kkt_check(seed):
    ds = world_dataset(6, 2, seed=seed, traded_share=0.5)
    rng = np.random.default_rng(seed)
    regions = sorted(set(ds.markets["region"]))
    scen = {"drivers": {
        "population_growth": [{"region": r, "value": float(rng.uniform(-0.5, 2.5))} for r in regions],
        "income_growth": [{"value": 2.0}],
        "income_elasticity": [{"commodity": "c00", "value": 0.3}],
        "yield_growth": [{"region": r, "value": float(rng.uniform(0.0, 2.0))} for r in regions],
        "transport_cost_growth": [{"value": -3.0, "from": 2030}],
        "tariffs": [{"exporter": regions[0], "scale": 3.0, "from": 2020},
                    {"importer": regions[1], "commodity": "c01", "ad_valorem": 0.3, "from": 2030}],
        "bans": [{"exporter": regions[2], "commodity": "c00", "from": 2020, "until": 2030}]}}
    spec = spec_of(scen, periods=(2010, 2020, 2030, 2040))
    cal = calibrate(ds, spec.elasticities)
    res = run_scenario(ds, spec, base=cal, embodied=False)
    assert res.ok, res.projection.failure
    p = cal.problem
    arr = driver_arrays(spec.drivers, cal.names, spec.periods,
                        base_transport=cal.dataset.routes["transport_cost"].to_numpy(float),
                        base_tariff=cal.dataset.routes["tariff"].to_numpy(float),
                        exporter_price=p.P0[p.exporter])
    opened = 0
    for k in range(4):
        ds_k, sol_k = period_dataset(cal, res, arr, k)
        v = max_violation(ds_k, sol_k)
        assert v["max"] < 1e-6, (k, v)
        if k:
            prev = res.flows[res.flows["period"] == spec.periods[k - 1]]["flow"].to_numpy()
            now = res.flows[res.flows["period"] == spec.periods[k]]["flow"].to_numpy()
            opened += int(((prev == 0) & (now > 0)).sum())
    banned = res.flows[res.flows["banned"]]
    assert len(banned) and (banned["flow"] == 0).all()
    # the synthetic data trade both ways on some pairs (gross flows); no other pair starts to
    ch = cross_hauled_pairs(res.flows)
    key = ["commodity", "exporter_x", "importer_x"]
    assert set(map(tuple, ch[key].to_numpy())) <= set(map(tuple, ch[ch["period"] == 2010][key].to_numpy()))
    assert opened > 0  # some new routes opened, so the new-to-isoelastic switch was exercised


def test_the_us_china_soybean_tariff_diverts_china_imports_to_other_exporters():
    ds = load_dataset(dataset_path("china9"))
    base = {"drivers": {"population_growth": [{"value": 1.0}], "yield_growth": [{"value": 1.0}]}}
    scen = {"drivers": {"tariffs": [{"exporter": "USA", "importer": "CHN", "commodity": "soybeans",
                                     "ad_valorem": 0.25, "from": 2020}]}}
    ref = run_scenario(ds, spec_of({}, periods=(2010, 2020), base=base), embodied=False)
    tar = run_scenario(ds, spec_of(scen, periods=(2010, 2020), base=base), embodied=False)
    assert ref.ok and tar.ok

    def soy(res):
        f = res.flows[(res.flows["period"] == 2020) & (res.flows["commodity"] == "soybeans")
                      & (res.flows["importer"] == "CHN")]
        return f.set_index("exporter")

    r, t = soy(ref), soy(tar)
    # ad valorem at the exporter's calibrated base price (the consistent calibration moves prices)
    calibrated = calibrate(ds, spec_of({}, periods=(2010, 2020), base=base).elasticities).dataset
    usa_price = calibrated.markets.set_index(["region", "commodity"]).loc[("USA", "soybeans"), "price"]
    assert t.loc["USA", "tariff"] == pytest.approx(0.25 * usa_price, rel=1e-12)
    assert t.loc["USA", "flow"] < r.loc["USA", "flow"]
    assert t.loc["BRA", "flow"] > r.loc["BRA", "flow"]
    # the base year is untouched by a tariff that starts in 2020 (to the solve's tolerance: feed use
    # follows the livestock output solved to it)
    b = tar.flows[tar.flows["period"] == 2010]["flow"].to_numpy()
    assert np.allclose(b, calibrated.routes["flow"].to_numpy(), rtol=1e-5, atol=1e-6)


def test_a_failed_solve_stops_the_scenario_and_is_reported(monkeypatch):
    real = project_mod.solve_problem
    calls = {"n": 0}

    def failing(sub, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SolveError("HiGHS did not reach optimality (status: test)")
        return real(sub, **kw)

    monkeypatch.setattr(project_mod, "solve_problem", failing)
    res = run_scenario(TWO, spec_of({}), embodied=False)
    assert not res.ok and "period 2020" in res.projection.failure and "status: test" in res.projection.failure
    assert np.isnan(res.projection.X[2]).all() and not np.isnan(res.projection.X[0]).any()
    assert res.log["status"].tolist() == ["Optimal", "error"]


def test_rules_naming_unknown_regions_are_input_errors():
    with pytest.raises(InputError, match=r"drivers.tariffs\[0\].exporter': unknown region 'XX'"):
        run_scenario(TWO, spec_of({"drivers": {"tariffs": [{"exporter": "XX", "scale": 0}]}}), embodied=False)
    with pytest.raises(InputError, match=r"elasticities.supply\[0\].commodity': unknown commodity 'rye'"):
        run_scenario(TWO, spec_of({"elasticities": {"supply": [{"commodity": "rye", "value": 1}]}}),
                     embodied=False)


def test_oscillation_patterns_counted_by_hand():
    X = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1], [0, 0, 0, 1]], dtype=float)
    # columns: on-off-on-off (2 flips), never used, on-on-off-off (0), off-on-on-on (0)
    assert route_flips(X).tolist() == [2, 0, 0, 0]
    P = np.array([[100, 100, 100], [120, 110, 103], [100, 120, 101], [125, 100, 104]], dtype=float)
    # market 0 zig-zags (+20 %, -17 %, +25 %); market 1 turns once only; market 2's moves are < 5 %
    assert price_zigzags(P).tolist() == [2, 0, 0]
    assert pd.Series(price_zigzags(P[:3])).eq(0).all()


def cross_hauled_pairs(flows: pd.DataFrame) -> pd.DataFrame:
    """Pairs of markets trading in both directions in the same period."""
    f = flows[flows["flow"] > 0]
    both = f.merge(f, left_on=["scenario", "period", "commodity", "exporter", "importer"],
                   right_on=["scenario", "period", "commodity", "importer", "exporter"])
    return both[both["exporter_x"] < both["importer_x"]]


def test_no_cross_hauling_rule_by_hand():
    from petra.model.equilibrium_math import no_cross_hauling_adjustment
    from petra.model.problem import build_problem, reverse_routes

    # A -> B traded (isoelastic, adjustment -20: observed trade against the price gap); B -> A new
    ds = dataset([("A", "wheat", 100.0, 60.0, 200.0, 0.5, -0.5),
                  ("B", "wheat", 40.0, 80.0, 190.0, 0.5, -0.5)],
                 [("A", "B", "wheat", 40.0, 30.0, 0.0, 2.0, 0.0),
                  ("B", "A", "wheat", 0.0, 10.0, 0.0, None, 1.0)])
    p = build_problem(ds)
    assert reverse_routes(p).tolist() == [1, 0]
    p = p.with_routes(adjustment=np.array([-20.0, 0.0]))
    # marginal costs at zero flow: A -> B -20 (the isoelastic part vanishes), B -> A 0 + 10: sum -10
    assert no_cross_hauling_adjustment(p, reverse_routes(p)).tolist() == [-20.0, 10.0]
    p2 = p.with_routes(adjustment=np.array([-20.0, 15.0]))  # sum +5: nothing to raise
    assert no_cross_hauling_adjustment(p2, reverse_routes(p2)).tolist() == [-20.0, 15.0]


LIBERALISATION_BASE = {"drivers": {"population_growth": [{"value": 1.2}], "income_growth": [{"value": 2.5}],
                                   "income_elasticity": [{"value": 0.3}], "yield_growth": [{"value": 1.0}]}}
LIBERALISATION = {"drivers": {"tariffs": [{"scale": 0.0, "from": 2020}],
                              "transport_cost_growth": [{"value": -2.0, "from": 2020}]}}


def test_projections_never_cross_haul():
    # china9 without its tariffs (as shipped before issue 15): this test is about the pair rule under
    # cost cuts; removing the shipped tariffs in one step is the xfail test below
    shipped = load_dataset(dataset_path("china9"))
    ds = shipped.replace(routes=shipped.routes.assign(tariff=0.0))
    spec = spec_of(LIBERALISATION, periods=(2010, 2020, 2030, 2040, 2050), base=LIBERALISATION_BASE)
    for config, rule_needed in ((EXACT, True), (CalibrationConfig(), False)):
        res = run_scenario(ds, spec, config=config, embodied=False)
        assert res.ok
        assert cross_hauled_pairs(res.flows).empty
        raised = res.flows["cost_adjustment"].to_numpy() > np.tile(
            res.projection.adjustment[0], len(res.projection.periods)) + 1e-9
        # exact: the rule was needed (without it this scenario cross-hauls); consistent: no negative
        # adjustment, so no pair's costs at zero flow sum below zero and the rule raises nothing
        assert raised.any() == rule_needed


def test_removing_the_shipped_tariffs_in_one_step_solves_with_the_default_calibration():
    # the shipped tariffs (issue 15) removed from 2020 with transport -2 %/yr: the default (consistent)
    # calibration, whose trade costs are >= 0, solves every period; the exact calibration's adjustments
    # (down to -3,115 USD/t on sheep meat, offsetting tariffs above the observed price gaps) make some
    # routes' costs negative once the tariffs go, and its run stops with the period and commodity named
    # (certificate 0.076 on sheep meat 2020), never silently
    ds = load_dataset(dataset_path("china9"))
    spec = spec_of(LIBERALISATION, periods=(2010, 2020, 2030, 2040, 2050), base=LIBERALISATION_BASE)
    assert run_scenario(ds, spec, config=CalibrationConfig(), embodied=False).ok
    exact = run_scenario(ds, spec, config=EXACT, embodied=False)
    if not exact.ok:
        assert "period 20" in repr(exact) and "certificate" in repr(exact)
