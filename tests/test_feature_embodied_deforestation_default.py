"""Deforestation in runs on the shipped data: CAIT land-use change CO2 per region (deforestation.csv, built
by petra.data.deforestation_cait) allocated to expanding crops (indicators.md section 3) in every route,
production and traced account; reported as `Embodied Emissions|CO2|Deforestation|...`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import deforestation_cait as dc
from petra.dataset import load_dataset
from petra.embodied.defaults import dataset_defaults
from petra.embodied.deforestation import period_emissions
from petra.embodied.run import flow_units_of
from petra.embodied.scenario import scenario_accounts
from petra.errors import InputError

ROOT = Path(petra.data.__file__).parent
CAIT = Path("/work/shared/data-sources/lucf-emissions-cait") / dc.CAIT_FILE


def test_cait_rule_by_hand():
    lucf = pd.DataFrame({"area": [1] * 6 + [2] * 2, "year": [2013, 2014, 2015, 2016, 2017, 2018, 2017, 2018],
                         "value": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, -5.0, 1.0]})
    d = dc.deforestation_by_country(lucf).set_index(["area", "year"])["value"]
    assert d[(1, 2018)] == pytest.approx((20 + 30 + 40 + 50 + 60) / 5 * 1e6)  # trailing 5-year mean, t
    assert d[(1, 2013)] == pytest.approx(10e6)                               # fewer years: what there is
    assert d[(2, 2017)] == 0.0 and d[(2, 2018)] == 0.0                       # a net sink: no deforestation
    # periods after the last year take the last year's value; before the first none
    e = pd.DataFrame({"region": "R", "period": [2010, 2018], "land_type": "cropland", "value": [1.0, 2.0]})
    got = period_emissions(e, [2005, 2010, 2015, 2030]).set_index("period")["value"]
    assert list(got.index) == [2010, 2015, 2030] and list(got) == [1.0, 1.0, 2.0]


def test_unknown_cait_name_is_an_error():
    with pytest.raises(InputError, match="Atlantis"):
        dc.with_fao_codes(pd.DataFrame({"country": ["Atlantis"], "year": [2010], "value": [1.0]}))


@pytest.mark.skipif(not CAIT.is_file(), reason="raw CAIT file not available")
def test_shipped_brazil_value_from_the_raw_file():
    raw = pd.read_csv(CAIT)
    br = raw[(raw["Country"] == "Brazil") & raw["Year"].between(2014, 2018)][dc.LUCF_COLUMN]
    shipped = pd.read_csv(ROOT / "china9" / "deforestation.csv").set_index(["region", "period"])["value"]
    assert shipped[("BRA", 2018)] == pytest.approx(br.mean() * 1e6, rel=1e-6)  # 335.4 Mt CO2/yr
    assert shipped[("CHN", 2018)] == 0.0  # China's forests are a net sink in CAIT


def test_allocation_on_shipped_data_by_hand_brazil_soybeans_to_china():
    """Observed 2020 as the only period (step 10: the change from 2010's observed area):
    CO2[BRA->CHN, soy] = E[BRA, 2018] x dA+[soy] / sum_P dA+[P] x flow x land / (production x land)."""
    ds = load_dataset(ROOT / "china9")
    units = flow_units_of(ds, "kt")
    om, of = ds.observed_markets, ds.observed_flows
    prod = om[om["year"] == 2020].rename(columns={"year": "period"})[["region", "commodity", "period",
                                                                      "production"]].reset_index(drop=True)
    flows = of[of["year"] == 2020].rename(columns={"year": "period"})
    flows = flows[["exporter", "importer", "commodity", "period", "flow"]].reset_index(drop=True)
    acc = scenario_accounts(ds.intensities, prod, flows, None, 2020, units, model="petra", scenario="obs",
                            defaults=dataset_defaults(ds, units))
    e = acc.embodied
    got = e[(e["exporter"] == "BRA") & (e["importer"] == "CHN") & (e["commodity"] == "soybeans")
            & (e["indicator"] == "deforestation_co2")]["value"].item()

    # by hand from the CSV files
    it = pd.read_csv(ROOT / "china9" / "intensities.csv")
    land = it[(it["region"] == "BRA") & (it["indicator"] == "land")]
    land = land.set_index(["commodity", "period"])["value"]
    m = pd.read_csv(ROOT / "china9" / "observed_markets.csv")
    m = m[m["region"] == "BRA"].set_index(["commodity", "year"])["production"]
    crops = sorted({c for c, _ in land.dropna().index})
    a20 = {c: m[(c, 2020)] * land[(c, 2019)] * 1000 for c in crops}  # 2020 land missing: 2019's
    a10 = {c: m[(c, 2010)] * land[(c, 2010)] * 1000 for c in crops}
    grow = {c: max(a20[c] - a10[c], 0.0) for c in crops}
    share = grow["soybeans"] / sum(grow.values())
    e_bra = pd.read_csv(ROOT / "china9" / "deforestation.csv").set_index(["region", "period"])["value"][
        ("BRA", 2018)]
    flow = flows[(flows["exporter"] == "BRA") & (flows["importer"] == "CHN")
                 & (flows["commodity"] == "soybeans")]["flow"].item()
    want = e_bra * share * (flow * land[("soybeans", 2019)] * 1000) / a20["soybeans"]
    assert 0.5 < share < 1.0  # soybeans are most of Brazil's crop expansion 2010-2020
    assert got == pytest.approx(want, rel=1e-9)
    # Brazil's production account allocates all its deforestation (some crop expanded)
    a = acc.accounts
    tot = a[(a["region"] == "BRA") & (a["indicator"] == "deforestation_co2")]["production_based"].sum()
    assert tot == pytest.approx(e_bra, rel=1e-9)
    # a crop that shrank carries none; China (a net sink) allocates none
    shrank = [c for c in crops if grow[c] == 0.0]
    d = e[(e["exporter"] == "BRA") & (e["indicator"] == "deforestation_co2") & e["commodity"].isin(shrank)]
    assert (d["value"] == 0).all()
    cn = e[(e["exporter"] == "CHN") & (e["indicator"] == "deforestation_co2")]["value"]
    assert len(cn) and np.allclose(cn, 0.0)
    assert "Embodied Emissions|CO2|Deforestation|Imports" in set(acc.iamc["variable"])
