"""Exact base-year calibration: the calibrated dataset, re-solved by `petra solve`, reproduces the
observations; negative implied costs are counted; unobserved routes stay unused."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra
import petra.data as pdata
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.dataset import from_frames, load_dataset, write_dataset

MARKETS = pd.DataFrame({
    "region": ["A", "B", "C"], "commodity": "w",
    "production": [100.0, 10.0, 20.0], "consumption": [40.0, 50.0, 40.0], "price": [100.0, 130.0, 90.0],
    "supply_elasticity": [0.5, 0.3, 0.4], "demand_elasticity": [-0.3, -0.5, -0.2]})
# A exports 40 to B and 20 to C: every market balances
ROUTES = pd.DataFrame({
    "exporter": ["A", "A", "B", "C", "B"], "importer": ["B", "C", "C", "B", "A"], "commodity": "w",
    "flow": [40.0, 20.0, 0.0, 0.0, 0.0], "transport_cost": [20.0, 5.0, 10.0, 10.0, 8.0], "tariff": 0.0,
    "expansion_elasticity": [1.5, np.inf, 2.0, 2.0, 2.0], "new_flow_slope": 0.1})

EXACT = CalibrationConfig(trade_elasticity=None, method="exact")  # this file tests the exact method


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)) / np.maximum(np.abs(np.asarray(b)), 1e-12)


def test_hand_example_adjustments_and_resolve(tmp_path):
    ds = from_frames(MARKETS, ROUTES)
    cal = calibrate_base_year(ds, CalibrationConfig(trade_elasticity=None, method="exact", unused_margin=0.05,
                                                    default_expansion_elasticity=3.0))
    r = cal.dataset.routes
    # by hand: used routes a = (P_imp - P_exp) - tau; unused a = max(0, gap + 0.05 P_imp - tau)
    expected = [30 - 20, -10 - 5, max(0, -40 + 4.5 - 10), max(0, 40 + 6.5 - 10), max(0, -30 + 5 - 8)]
    np.testing.assert_allclose(r["cost_adjustment"], expected, rtol=0, atol=1e-12)
    # the constant-cost route A->C got the configured default elasticity; the others kept theirs
    np.testing.assert_allclose(r["expansion_elasticity"], [1.5, 3.0, 2.0, 2.0, 2.0])
    assert len(cal.negative) == 1 and cal.negative.loc[0, "importer"] == "C"
    assert cal.negative.loc[0, "implied_cost"] == pytest.approx(-10.0)
    write_dataset(cal.dataset, tmp_path / "cal")
    res = petra.solve(tmp_path / "cal")
    assert res.ok
    assert _rel(res.flows["flow"].to_numpy()[:2], [40.0, 20.0]).max() < 1e-6
    assert np.abs(res.flows["flow"].to_numpy()[2:]).max() < 1e-9  # unobserved routes stay unused
    assert _rel(res.markets["price"], MARKETS["price"]).max() < 1e-6
    assert _rel(res.markets["production"], MARKETS["production"]).max() < 1e-6
    assert _rel(res.markets["consumption"], MARKETS["consumption"]).max() < 1e-6


def test_unused_routes_priced_out_by_the_margin():
    ds = from_frames(MARKETS, ROUTES)
    cal = calibrate_base_year(ds, CalibrationConfig(trade_elasticity=None, method="exact", unused_margin=0.1))
    r = cal.dataset.routes
    P = dict(zip(MARKETS["region"], MARKETS["price"], strict=True))
    for _, row in r[r["flow"] == 0].iterrows():
        mc0 = row["cost_adjustment"] + row["transport_cost"] + row["tariff"]
        assert mc0 >= P[row["importer"]] - P[row["exporter"]] + 0.1 * P[row["importer"]] - 1e-12


def test_china9_acceptance(tmp_path):
    src = load_dataset(Path(pdata.__file__).parent / "china9")
    cal = calibrate_base_year(src, EXACT)
    write_dataset(cal.dataset, tmp_path / "cal")
    res = petra.solve(tmp_path / "cal")
    assert res.ok
    q = src.markets.groupby("commodity")["production"].transform("mean").to_numpy()
    floor = 1e-9 * q
    m = res.markets
    for col in ("production", "consumption"):
        dev = np.abs(m[col] - src.markets[col]) / np.maximum(src.markets[col], floor)
        assert dev.max() < 1e-6, col
    assert _rel(m["price"], src.markets["price"]).max() < 1e-6
    # observed flows kept, except the re-exports of the hubs traced to direct flows (issue 24): NZL rice,
    # CAN and NZL sorghum (exports without production) and 0.032 kt of ARG rapeseed
    hubs = set(zip(cal.reexports["region"], cal.reexports["commodity"], strict=True))
    assert hubs == {("NZL", "rice"), ("CAN", "sorghum"), ("ARG", "rapeseed"), ("NZL", "sorghum")}
    obs = src.routes["flow"].to_numpy()
    fl = cal.dataset.routes["flow"].to_numpy()
    moved = np.flatnonzero(np.abs(fl - obs) > 1e-12)
    keys = src.routes[["exporter", "importer", "commodity"]].to_numpy()[moved]
    assert all((e, c) in hubs or (i, c) in hubs or c in {h[1] for h in hubs} for e, i, c in keys)
    fq = src.routes["commodity"].map(src.markets.groupby("commodity")["production"].mean()).to_numpy()
    dev = np.abs(res.flows["flow"].to_numpy() - fl) / np.maximum(fl, 1e-9 * fq)
    assert dev.max() < 1e-6
    assert ((fl == 0) & (res.flows["flow"].to_numpy() > 1e-9 * fq)).sum() == 0
    # negative implied costs are counted: used routes whose importer price is below the exporter's
    price = pd.Series(src.markets["price"].to_numpy(),
                      index=pd.MultiIndex.from_frame(src.markets[["region", "commodity"]]))
    r = src.routes
    pi = price.reindex(pd.MultiIndex.from_frame(r[["importer", "commodity"]])).to_numpy()
    pe = price.reindex(pd.MultiIndex.from_frame(r[["exporter", "commodity"]])).to_numpy()
    assert len(cal.negative) == int(((r["flow"] > 0) & (pi < pe)).sum()) > 0
