"""Economic credibility checks (issues 23, 24): calibrated prices, hindcast scores, the 2018 trade war,
re-exports and circulation in the shipped scenario runs. Prints tables; nothing is kept.

1. **Prices** (`--parts prices`): calibrating each dataset at 2020, the reported prices against the
   observed ones (share of markets more than 30 % off, beyond half or double, median deviation) and
   the trade-point prices where the calibration writes them; the consistency guarantees (used routes
   against the trade-price order, directed cycles of used routes, also after a uniform 30 %
   transport-cost cut).
2. **Hindcast** (`--parts hindcast`): pooled WAPE of petra (curves anchored at the observed production
   and consumption; and with them held), the net-only RAS baselines (seeded at the base year and at the
   last year before the evaluation) and the naive baselines, on the splits of issue 26 and base 2010.
3. **Trade war** (`--parts tradewar`): base 2017 with China's 2018 retaliation schedule from 2018:
   USA->CHN and BRA->CHN soybeans in 2018 against 2017, modelled and observed (observed: -74 %, +28 %
   on china9's FAOSTAT data).
5. **Selection** (`--parts selection`): the logit form's trade elasticity and new-route margin on the
   selection splits evaluated up to 2014 (2010 -> 2011-2013, 2011 -> 2012-2014), petra / quantity-held,
   beside the isoelastic form and the net-only RAS.
4. **Runs** (`--parts runs`): per scenario and period of a shipped scenario file, the share of all
   exports beyond the exporter's own production and the circulation (total flow / net trade needed).

Run: python benchmarks/bench_credibility.py [--datasets china9,globiom37] [--parts prices,hindcast,...]
     [--trade-elasticity none|EPS] (default: the calibration's default; none: the isoelastic form)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.hindcast import run_hindcast
from petra.calibration.observed import at_base_year
from petra.dataset import load_dataset
from petra.model.diagnostics import cyclic_commodities
from petra.model.problem import build_problem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RUN_FILES = {"china9": "default.yaml", "globiom37": "globiom37.yaml", "world": "world.yaml"}


def price_table(datasets: list[str], year: int = 2020) -> None:
    print(f"1. Calibrated prices at {year} against FAOSTAT (reported price; trade price where written)")
    print(f"{'dataset':<10} {'markets':>7} {'>30%':>6} {'x2':>4} {'median':>7} | {'trade>30%':>9} "
          f"{'median':>7} | {'dearer':>6} {'cycles':>6} {'cut30':>6}")
    for name in datasets:
        ds = at_base_year(load_dataset(DATA / name), year)
        obs = ds.markets["price"].to_numpy(dtype=float)
        cal = calibrate_base_year(ds, verify=False).dataset
        m = cal.markets
        price = m["price"].to_numpy(dtype=float)
        trade = m["trade_price"].to_numpy(dtype=float) if "trade_price" in m else price
        dev = np.abs(price / obs - 1.0)
        tdev = np.abs(trade / obs - 1.0)
        beyond = int(((price < 0.5 * obs) | (price > 2.0 * obs)).sum())
        p = build_problem(cal)
        X = p.flow_prev
        dearer = int(((X > 0) & (trade[p.exporter] > trade[p.importer] + 1e-9 * obs[p.importer])).sum())
        cyc = int(cyclic_commodities(p, X).sum())
        r = cal.routes.copy()
        r["transport_cost"] *= 0.7
        cut = int(cyclic_commodities(build_problem(cal.replace(routes=r)), X).sum())
        print(f"{name:<10} {len(m):>7} {np.mean(dev > 0.3):6.1%} {beyond:>4} {np.median(dev):7.1%} | "
              f"{np.mean(tdev > 0.3):9.1%} {np.median(tdev):7.1%} | {dearer:>6} {cyc:>6} {cut:>6}")
    print()


SPLITS = ((2017, (2018, 2019, 2020)), (2012, (2013, 2014, 2015)), (2014, (2016, 2017, 2018)),
          (2015, (2016, 2017, 2018, 2019, 2020)), (2010, (2018, 2019, 2020)))
"""The hindcast splits of issue 26's table, and base 2010 evaluated on 2018-2020."""


def hindcast_table(datasets: list[str], config: CalibrationConfig) -> None:
    print("2. Hindcast, pooled WAPE (petra: curves anchored at the observed quantities; held: quantities "
          "held; netRAS: net-only RAS seeded at the base year / the last year before the evaluation)")
    print(f"{'dataset':<10} {'split':<16} {'petra':>7} {'held':>7} {'netRAS':>7} {'netRAS-l':>8} "
          f"{'persist':>8} {'lastyr':>7} {'ras':>7}")
    for name in datasets:
        ds = load_dataset(DATA / name)
        for base, years in SPLITS:
            res = run_hindcast(ds, base, list(years), config=config)
            split = f"{base}->{years[0]}-{years[-1]}"
            print(f"{name:<10} {split:<16} {res.score('petra'):7.3f} {res.score('petra_held'):7.3f} "
                  f"{res.score('net_only_ras'):7.3f} {res.score('net_only_ras_last'):8.3f} "
                  f"{res.score('persistence'):8.3f} {res.score('last_year_shares'):7.3f} "
                  f"{res.score('ras'):7.3f}")
    print()


POLICY = """
scenarios:
  trade_war:
    description: China's 2018 retaliation on US goods from 2018
    drivers:
      tariff_schedules:
        - {name: china_retaliation_2018, from: 2018}
"""


SELECTION_SPLITS = ((2010, (2011, 2012, 2013)), (2011, (2012, 2013, 2014)))
SELECTION_EPS = (None, 5.0, 10.0, 15.0, 20.0, 30.0)
SELECTION_MARGINS = (0.05, 0.5, 1.0)


def selection_table(datasets: list[str]) -> None:
    print("5. Selection splits: pooled WAPE petra/held by trade elasticity (none: isoelastic) and "
          "new-route margin")
    for name in datasets:
        ds = load_dataset(DATA / name)
        for margin in SELECTION_MARGINS:
            for eps in SELECTION_EPS:
                if eps is None and margin != SELECTION_MARGINS[0]:
                    continue  # the margin applies to logit commodities only
                cfg = CalibrationConfig(trade_elasticity=eps, logit_unused_margin=margin)
                cells = []
                for base, years in SELECTION_SPLITS:
                    r = run_hindcast(ds, base, list(years), config=cfg)
                    cells.append(f"{base}: {r.score('petra'):.3f}/{r.score('petra_held'):.3f} "
                                 f"(net-only RAS {r.score('net_only_ras'):.3f})")
                print(f"{name:<10} margin {margin:<5} eps {str(eps):<5} " + " | ".join(cells))
    print()


def trade_war_table(datasets: list[str], config: CalibrationConfig) -> None:
    from petra.projection.hindcast_policy import scenario_policy

    print("3. The 2018 trade war (base 2017, China's retaliation from 2018): soybeans into China, "
          "2018 vs 2017")
    print(f"{'dataset':<10} {'route':<12} {'2017 obs':>9} {'2018 obs':>9} {'change':>7} {'2018 petra':>10} "
          f"{'change':>7} {'WAPE 2018':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.yaml"
        path.write_text(POLICY)
        policy = scenario_policy(path, "trade_war")
        for name in datasets:
            ds = load_dataset(DATA / name)
            china = "CHN" if "CHN" in set(ds.markets["region"]) else "ChinaReg"
            res = run_hindcast(ds, 2017, [2018], policy=policy, config=config)
            of = ds.observed_flows
            for exp in ("USA", "BRA") if name != "globiom37" else ("USAReg", "BrazilReg"):
                def obs(y, exp=exp, of=of, china=china):
                    row = of[(of["year"] == y) & (of["exporter"] == exp) & (of["importer"] == china)
                             & (of["commodity"] == "soybeans")]
                    return float(row["flow"].sum())
                f = res.flows
                row = f[(f["exporter"] == exp) & (f["importer"] == china) & (f["commodity"] == "soybeans")]
                model = float(row["petra"].sum())
                o17, o18 = obs(2017), obs(2018)
                print(f"{name:<10} {exp[:3] + '->CHN':<12} {o17 / 1e3:9.1f} {o18 / 1e3:9.1f} "
                      f"{o18 / o17 - 1:7.0%} {model / 1e3:10.1f} {model / o17 - 1:7.0%} "
                      f"{res.score('petra'):9.3f}")
    print()


def base_net_need(first_period: pd.DataFrame) -> float:
    """Net exports the calibrated base flows carry: sum over markets of max(exports - imports, 0)."""
    f = first_period
    e = f.groupby(["exporter", "commodity"])["previous_flow"].sum()
    i = f.groupby(["importer", "commodity"])["previous_flow"].sum()
    e.index.names = i.index.names = ["region", "commodity"]
    net = e.sub(i, fill_value=0.0)
    return float(net.clip(lower=0.0).sum())


def run_table(datasets: list[str]) -> None:
    from petra.projection.run import run_scenarios

    print("4. Shipped scenario runs: exports beyond own production (share of all exports), circulation "
          "(total flow / net exports needed; observed flows are net per pair, so above 1 only where a "
          "region imports from some partners and exports to others)")
    print(f"{'dataset':<10} {'scenario':<22} {'period':>6} {'re-export':>9} {'circulation':>11}")
    for name in datasets:
        res = run_scenarios(ROOT / "runs" / RUN_FILES[name], embodied=False)
        for r in res.results:
            proj = r.projection
            if r is res.results[0]:
                # the calibrated base year: the first period's previous flows (observed two-way trade)
                f0 = r.flows[r.flows["period"] == r.flows["period"].min()]
                print(f"{name:<10} {'calibrated base':<22} {'':>6} {'':>9} "
                      f"{f0['previous_flow'].sum() / max(base_net_need(f0), 1e-300):11.2f}")
            for k, period in enumerate(proj.periods):
                S, E, M = proj.S[k], proj.exports[k], proj.imports[k]
                if not np.isfinite(S).all():
                    continue
                beyond = np.maximum(E - S, 0.0).sum() / max(E.sum(), 1e-300)
                net = np.maximum(E - M, 0.0).sum()
                circ = E.sum() / max(net, 1e-300)
                print(f"{name:<10} {r.spec.name:<22} {period:>6} {beyond:9.1%} {circ:11.2f}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="china9,globiom37")
    ap.add_argument("--parts", default="prices,hindcast,tradewar")
    ap.add_argument("--trade-elasticity", default=None, help="none: the isoelastic form; a number: the logit "
                    "form with that trade elasticity; default: the calibration's default")
    args = ap.parse_args()
    config = CalibrationConfig()
    if args.trade_elasticity is not None:
        eps = None if args.trade_elasticity == "none" else float(args.trade_elasticity)
        config = config.model_copy(update={"trade_elasticity": eps})
    datasets = args.datasets.split(",")
    parts = args.parts.split(",")
    if "prices" in parts:
        price_table(datasets)
    if "hindcast" in parts:
        hindcast_table(datasets, config)
    if "tradewar" in parts:
        trade_war_table(datasets, config)
    if "runs" in parts:
        run_table(datasets)
    if "selection" in parts:
        selection_table(datasets)


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
