"""The SSP2 baselines beside the institutional outlooks (issue 25): China's net imports and world trade
around 2030 and 2050 of each shipped dataset, with the shipped scenario file's stated demand and yield
rules and with the data-based demand and supply (`petra.demand`, `petra.productivity`: no rules).

The reference bands are those of ../shared/reference/outlooks.md ("How to use"), which cites the
editions: China soybean imports 95-150 Mt around 2030 (China Agricultural Outlook 2021-30: 103 -> 110;
USDA Projections to 2027 and to 2033: about 140-145); corn 5-30 Mt (USDA to 2033: 26 Mt); wheat 2-10 Mt
(TRQ 9.6 Mt); beef 2-3 Mt (China Agricultural Outlook 2021-30: 2.1 -> 2.4); dairy 8-19 Mt milk
equivalent (Rabobank scenario range, not institutional); world soybean trade 200-225 Mt (USDA to 2027
and to 2033); Brazil + USA above 80 % of soybean exports (OECD-FAO 2021-2030).

Run: python benchmarks/bench_outlook.py [--datasets china9,globiom37,world] [--variants shipped,data]
     [--feed-half-life none|kept|YEARS] (the protein feeds' intensity trend, petra.demand.feed_intensity;
     default: petra.demand.FEED_INTENSITY_HALF_LIFE; it acts only where feed follows livestock output,
     i.e. in the data variant: the shipped files' income-elasticity rules match every market)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import yaml

from petra.demand import FEED_INTENSITY_HALF_LIFE
from petra.projection.run import run_scenarios

ROOT = Path(__file__).resolve().parents[1]
FILES = {"china9": "default.yaml", "globiom37": "globiom37.yaml", "world": "world.yaml"}
CHINA = {"china9": "CHN", "globiom37": "ChinaReg", "world": "CHN"}
BANDS = {"soybeans": (95, 150), "maize": (5, 30), "wheat": (2, 10), "bovine_meat": (2, 3), "dairy": (8, 19)}
BRA_USA = {"china9": ("BRA", "USA"), "globiom37": ("BrazilReg", "USAReg"), "world": ("BRA", "USA")}


def spec(name: str, variant: str) -> dict:
    """The SSP2 scenario of a dataset: the shipped file's (its stated rules) or the data-based one."""
    if variant == "shipped":
        raw = yaml.safe_load((ROOT / "runs" / FILES[name]).read_text())
        raw.pop("extends", None)
        raw["scenarios"] = {"SSP2": raw["scenarios"]["SSP2"]}
        raw["dataset"] = name
        raw.pop("embodied", None)
        return raw
    return {"dataset": name, "model": "petra", "base_year": 2020, "periods": [2020, 2030, 2040, 2050],
            "scenarios": {"SSP2": {"ssp": "SSP2"}}}


def half_life(text: str | None) -> float | None:
    """--feed-half-life: none -> None (off), kept -> inf, else years."""
    if text is None:
        return FEED_INTENSITY_HALF_LIFE
    named = {"none": None, "kept": math.inf}
    return named[text.lower()] if text.lower() in named else float(text)


def report(name: str, variant: str, feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE) -> None:
    res = run_scenarios(spec(name, variant), embodied=False, feed_half_life=feed_half_life)
    r = res.results[0]
    if not r.ok:
        print(f"{name:<10} {variant:<8} FAILED: {r.projection.failure}")
        return
    m = r.markets
    china = m[m["region"] == CHINA[name]]
    net = (china["imports"] - china["exports"]).to_numpy() / 1e3
    china = china.assign(net=net)
    cells = []
    for c, (lo, hi) in BANDS.items():
        v = china[china["commodity"] == c].set_index("period")["net"]
        flag = "" if lo <= v[2030] <= hi else "*"
        cells.append(f"{v[2030]:6.1f}{flag:1}/{v[2050]:6.1f}")
    w = m.groupby(["commodity", "period"])["exports"].sum().unstack() / 1e3
    growth = (w[2030] / w[2020] - 1.0) * 100.0
    soy = m[m["commodity"] == "soybeans"]
    e30 = soy[soy["period"] == 2030].set_index("region")["exports"]
    share = e30.reindex(list(BRA_USA[name])).sum() / max(e30.sum(), 1e-300)
    print(f"{name:<10} {variant:<8} " + " ".join(cells)
          + f" {w.loc['soybeans', 2030]:7.0f} {share:6.0%} {growth.max():6.0f}% ({growth.idxmax()})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="china9,globiom37,world")
    ap.add_argument("--variants", default="shipped,data")
    ap.add_argument("--feed-half-life", default=None, help="protein-feed intensity trend: none, kept or "
                    "a half-life in years (default: petra.demand.FEED_INTENSITY_HALF_LIFE)")
    args = ap.parse_args()
    hl = half_life(args.feed_half_life)
    shown = "off" if hl is None else "kept" if math.isinf(hl) else f"half-life {hl:g} yr"
    print(f"protein-feed intensity trend: {shown}")
    print("China net imports, Mt, 2030/2050 (* outside the outlook band at 2030); "
          "world soybean trade 2030 (Mt);")
    print("Brazil + USA share of soybean exports 2030; the largest world trade growth 2020-2030 (%)")
    head = " ".join(f"{c[:11]:>15}" for c in BANDS)
    print(f"{'dataset':<10} {'variant':<8} {head} {'soy tr':>7} {'BR+US':>6} {'max growth':>12}")
    bands = " ".join(f"{f'{lo}-{hi}':>15}" for lo, hi in BANDS.values())
    print(f"{'outlook':<10} {'':<8} {bands} {'200-225':>7} {'>80%':>6} {'':>12}")
    np.seterr(all="ignore")
    for name in args.datasets.split(","):
        for variant in args.variants.split(","):
            report(name, variant, hl)


if __name__ == "__main__":
    main()
