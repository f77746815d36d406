"""Freight fit (issue 15 item 4): observed USDA ocean freight vs the fitted transport cost model.

Prints the fitted line (fixed USD/t + rate x sea km, fitted on the base year's port pairs), the error
statistics per year (base year fitted, the others out of sample) and the observed vs modelled table of
every USDA route and year, in USD(base year)/t (US GDP deflator, as the build). The same tables are in
each dataset's BUILD_REPORT.md. Needs the raw sources and the `data` extra (searoute).

Run: python benchmarks/bench_freight_fit.py [--sources /work/shared/data-sources]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from petra.data import freight
from petra.data.build import BASE_YEAR, US
from petra.data.faostat import read_wide


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="/work/shared/data-sources")
    src = Path(p.parse_args().sources)
    defl = read_wide(src / "gcamfaostat" / "FAO_GDP_Deflators.csv")
    defl = defl[defl["area"] == US].set_index("year")["value"]
    fm = freight.FreightModel(freight.read_usda_rates(src), freight.load_ports(), defl, BASE_YEAR)
    print(f"cost = {fm.fixed:.3f} USD({BASE_YEAR})/t + {fm.rate * 1000:.4f} USD/t per 1000 sea km "
          f"(least squares on {BASE_YEAR}, {int((fm.obs['year'] == BASE_YEAR).sum())} port pairs)\n")
    with pd.option_context("display.width", 160, "display.max_rows", 500, "display.float_format",
                           "{:.2f}".format):
        print(fm.stats().to_string(index=False), "\n")
        print(fm.table().to_string(index=False))


if __name__ == "__main__":
    main()
