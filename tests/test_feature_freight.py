"""Freight fitted to USDA ocean rates (data/freight.py; issue 15 item 4)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import freight
from petra.data.transport import great_circle_km
from petra.errors import InputError

ROOT = Path(petra.data.__file__).resolve().parent
SOURCES = Path("/work/shared/data-sources")
USDA = SOURCES / freight.USDA_DIR
needs_usda = pytest.mark.skipif(not USDA.is_dir(), reason="shared USDA freight files absent")


def shipped_transport(scheme: str) -> dict:
    return tomllib.loads((ROOT / scheme / "dataset.toml").read_text(encoding="utf-8"))["transport"]


def shipped_cost(scheme: str, exporter: str, importer: str) -> float:
    r = pd.read_csv(ROOT / scheme / "routes.csv")
    row = r[(r["exporter"] == exporter) & (r["importer"] == importer) & (r["commodity"] == "soybeans")]
    return float(row["transport_cost"].iloc[0])


# --------------------------------------------------------------------------------- formula by hand
def test_fit_line_through_two_points_by_hand():
    # 20 USD/t at 5,000 km, 50 at 15,000 km: rate 30/10,000 = 0.003, fixed 20 - 0.003 x 5,000 = 5
    fixed, rate = freight.fit_line([5000.0, 15000.0], [20.0, 50.0])
    assert fixed == pytest.approx(5.0)
    assert rate == pytest.approx(0.003)


def test_fit_line_is_ordinary_least_squares():
    d = np.array([8000.0, 17000.0, 18600.0, 9300.0])
    c = np.array([36.0, 64.0, 62.0, 27.0])
    slope = ((d - d.mean()) * (c - c.mean())).sum() / ((d - d.mean()) ** 2).sum()
    fixed, rate = freight.fit_line(d, c)
    assert rate == pytest.approx(slope)
    assert fixed == pytest.approx(c.mean() - slope * d.mean())
    with pytest.raises(ValueError):
        freight.fit_line([5000.0, 5000.0], [1.0, 2.0])


def test_cost_of_two_ports_by_hand():
    # ports 12,000 km apart by sea, 9,000 km great circle between the centroids (beyond overland reach)
    d = freight.route_distance(12000.0, 9000.0, detour=1.3, max_km=3000.0)
    assert float(d) == 12000.0
    assert float(freight.freight_cost(d, 8.0, 0.0025)) == pytest.approx(8.0 + 30.0)
    # neighbours: 10,000 km round the continent by sea, 2,000 km apart -> 2,600 km overland
    d = freight.route_distance(10000.0, 2000.0, detour=1.3, max_km=3000.0)
    assert float(d) == pytest.approx(2600.0)
    assert float(freight.freight_cost(d, 8.0, 0.0025)) == pytest.approx(8.0 + 6.5)
    # sea shorter than the overland alternative: sea
    assert float(freight.route_distance(2000.0, 1800.0, detour=1.3, max_km=3000.0)) == 2000.0


# ----------------------------------------------------------------------------------- USDA source
@needs_usda
def test_usda_annual_means_match_source_check_figures():
    # SOURCE.md check figures (annual means, current USD/t)
    obs = freight.read_usda_rates(SOURCES).set_index(["origin", "destination", "year"])["usd_per_t"]
    assert obs[("US Gulf", "Yokohama", 2010)] == pytest.approx(63.59, abs=0.01)
    assert obs[("US PNW", "Yokohama", 2017)] == pytest.approx(21.06, abs=0.01)
    assert obs[("US Gulf", "Shanghai", 2010)] == pytest.approx(62.26, abs=0.01)
    assert obs[("Santos", "Shanghai", 2019)] == pytest.approx(33.65, abs=0.01)
    assert obs[("Paranagua", "Shanghai", 2017)] == pytest.approx(28.40, abs=0.01)


@needs_usda
def test_gulf_japan_decimal_error_replaced_by_pnw_plus_spread():
    raw = pd.read_csv(USDA / freight.JAPAN_FILE)
    y = raw[raw["Year"] == 2008]
    expected = (y["PNW_To_Japan"] + y["Gulf_PNW_Spread"]).mean()
    obs = freight.read_usda_rates(SOURCES)
    gulf = obs[(obs["origin"] == "US Gulf") & (obs["destination"] == "Yokohama")]
    row = gulf[gulf["year"] == 2008].iloc[0]
    assert row["usd_per_t"] == pytest.approx(expected)
    assert row["corrected"] == 7  # Feb-Aug 2008 (SOURCE.md)
    assert obs.loc[obs["year"] != 2008, "corrected"].sum() == 0


# ------------------------------------------------------------------------------- shipped datasets
@needs_usda
def test_china9_usa_chn_soybeans_near_usda_gulf_shanghai_2010():
    raw = pd.read_csv(USDA / freight.SOY_FILE)
    gulf_sha = raw[(raw["Year"] == 2010) & raw["Origin"].isin(["Davenport", "Minneapolis"])
                   & (raw["Destination"] == "Shanghai, China")]["Ocean"].mean()  # USD(2010)/t, base year
    ratio = shipped_cost("china9", "USA", "CHN") / gulf_sha
    assert 0.7 <= ratio <= 1.6, ratio


def test_shipped_costs_follow_the_formula():
    pytest.importorskip("searoute")
    t = shipped_transport("china9")
    assert t == shipped_transport("globiom37")
    ports = freight.load_ports()
    d = freight.sea_km(ports, [("US Gulf", "Shanghai"), ("Santos", "Rotterdam")])
    gc = great_circle_km(ports.at["US Gulf", "lat"], ports.at["US Gulf", "lon"],
                         ports.at["Shanghai", "lat"], ports.at["Shanghai", "lon"])
    assert gc < d[("US Gulf", "Shanghai")] < 1.5 * gc  # by sea via Panama, longer than the great circle
    for (a, b), km in d.items():
        exp = {"US Gulf": "USA", "Santos": "BRA"}[a]
        imp = {"Shanghai": "CHN", "Rotterdam": "EU"}[b]
        hand = t["fixed_usd_per_t"] + t["rate_usd_per_t_km"] * km
        assert shipped_cost("china9", exp, imp) == pytest.approx(hand, rel=1e-9)


@needs_usda
def test_fit_equals_polyfit_on_base_year_observations():
    pytest.importorskip("searoute")
    from petra.data.build import BASE_YEAR
    obs = freight.read_usda_rates(SOURCES)
    deflator = pd.Series(1.0, index=range(2008, 2022))
    fm = freight.FreightModel(obs, freight.load_ports(), deflator, BASE_YEAR)
    base = fm.table()
    base = base[base["year"] == BASE_YEAR]
    assert len(base) == 8
    rate, fixed = np.polyfit(base["sea_km"], base["usd_per_t"], 1)
    assert fm.rate == pytest.approx(rate)
    assert fm.fixed == pytest.approx(fixed)
    t = shipped_transport("china9")  # base year: deflator factor 1, so the shipped fit is the same
    assert t["rate_usd_per_t_km"] == pytest.approx(rate, rel=1e-6)
    assert t["fixed_usd_per_t"] == pytest.approx(fixed, rel=1e-6)


def test_every_shipped_region_has_a_listed_port():
    for scheme in ("china9", "globiom37"):
        regions = pd.read_csv(ROOT / scheme / "regions.csv")["region"]
        cen = pd.DataFrame({"region": regions, "lat": 0.0, "lon": 0.0})
        assert (freight.region_ports(scheme, cen)["basis"] == "listed").all()


def test_region_of_a_map_of_ones_own_gets_the_port_nearest_its_centroid():
    # a centroid in Iowa: US Gulf (New Orleans, about 1,300 km) is the nearest listed port; one off
    # Cape Town's coast: Durban is nearer than any other port of ports.csv
    cen = pd.DataFrame({"region": ["CHN", "Corn Belt", "Cape"], "lat": [0.0, 41.9, -34.0],
                        "lon": [0.0, -93.1, 18.4]})
    rp = freight.region_ports("my_map", cen).set_index("region")
    assert rp.loc["Corn Belt", "port"] == "US Gulf"
    assert rp.loc["Cape", "port"] == "Durban"
    assert (rp["basis"] == "nearest to the centroid").all()  # 'CHN' is not listed for scheme my_map
    # (0, 0) in the Gulf of Guinea: Lagos (6.44N 3.39E) about 7.3 deg = 810 km, Douala (4.05N 9.70E) 10.5 deg
    assert rp.loc["CHN", "port"] == "Lagos"


@pytest.mark.parametrize("lat, col, line", [("abc", "lat", 3), ("95", "lat", 3), ("", "lat", 3)])
def test_bad_port_coordinate_names_line_and_column(tmp_path, lat, col, line):
    f = tmp_path / "ports.csv"
    f.write_text(f"port,lat,lon,country,note\nA,10,20,X,\nB,{lat},30,Y,\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"ports.csv: line {line}, column {col}:"):
        freight.load_ports(f)
    f.write_text("port,lat,lon,country,note\nA,10,20,X,\nA,11,30,Y,\n", encoding="utf-8")
    with pytest.raises(InputError, match="ports.csv: line 3, column port: 'A' repeated"):
        freight.load_ports(f)


def test_shipped_ports_load():
    ports = freight.load_ports()
    assert ports["lat"].between(-90, 90).all() and ports["lon"].between(-180, 180).all()
