"""Published example: the three-country spatial equilibrium of Miranda & Fackler.

Source: R. Romero Aguilar, "Spacial Equilibrium Model" (CompEcon-python demo DemSlv14, notebook
notebooks/slv/14 Spacial Equilibrium Model.ipynb, last updated 2021-10-01), rendered with its output at
https://nbviewer.jupyter.org/github/randall-romero/CompEcon-python/blob/master/notebooks/slv/
14%20Spacial%20Equilibrium%20Model.ipynb ; a port of the MATLAB CompEcon demo for M. J. Miranda and
P. L. Fackler, "Applied Computational Economics and Finance", MIT Press, 2002 (the notebook cites
"textbook page 56" for the description). Data and solution below are as printed in the notebook.

Data (inverse curves, one good):  country  demand         supply
                                   1        p = 42 - 2q    p =  9 + q
                                   2        p = 54 - 3q    p =  3 + 2q
                                   3        p = 51 - q     p = 18 + q
Unit transport cost, from row to column:      to 1  to 2  to 3
                                      from 1     0     3     9
                                      from 2     3     0     3
                                      from 3     6     3     0

Printed solution (numpy, 4 decimals): prices [24. 27. 30.], net exports [6. 3. -9.];
autarky quantities [11. 10.2 16.5], prices [20. 23.4 34.5].

The notebook's code applies the cost matrix transposed (its entry [i, j] is the cost from j to i);
the original MATLAB demo (demslv13.m) applies it as tabulated. Both readings give the printed prices
and net exports, so both are tested. Not printed, derived by hand from the printed prices through
the printed curves: production S = (p - a_s)/b_s = 15, 12, 12; consumption D = (a_d - p)/b_d = 9, 9, 21.
As tabulated, the only routes at cost parity are 1->2 (27 - 24 = 3) and 2->3 (30 - 27 = 3);
1->3 costs 9 > 6. The flows are then unique: X12 = 6 (country 1's exports) and X23 = 9 (country 3's
imports). As coded, 1->3 costs 6 = 30 - 24 too, so flows on the cycle 1->2->3 / 1->3 are not unique
(the notebook prints one of them) and only the net exports are checked.
"""

import math

import pandas as pd
import pytest

import petra
from petra.dataset import from_frames

C = [1, 2, 3]
AD, BD = {1: 42, 2: 54, 3: 51}, {1: 2, 2: 3, 3: 1}  # inverse demand p = AD - BD q
AS, BS = {1: 9, 2: 3, 3: 18}, {1: 1, 2: 2, 3: 1}  # inverse supply p = AS + BS q
COST = [[0, 3, 9], [3, 0, 3], [6, 3, 0]]  # as printed: row = from, column = to
PRINT = 5e-5  # numpy precision=4


def markets() -> pd.DataFrame:
    # observed point = autarky (S = D): P0 = (AS BD + AD BS)/(BS + BD), Q0 = (AD - AS)/(BS + BD);
    # dQ/dp is 1/BS (supply) and -1/BD (demand), so es = P0/(BS Q0), ed = -P0/(BD Q0)
    rows = []
    for i in C:
        q0 = (AD[i] - AS[i]) / (BS[i] + BD[i])
        p0 = AS[i] + BS[i] * q0
        rows.append((str(i), "good", q0, q0, p0, p0 / (BS[i] * q0), -p0 / (BD[i] * q0)))
    return pd.DataFrame(rows, columns=["region", "commodity", "production", "consumption", "price",
                                       "supply_elasticity", "demand_elasticity"])


def routes(cost) -> pd.DataFrame:
    # every ordered pair, constant unit cost: a new route (flow 0) with zero slope
    rows = [(str(i), str(j), "good", 0.0, float(cost(i, j)), 0.0, math.inf, 0.0)
            for i in C for j in C if i != j]
    return pd.DataFrame(rows, columns=["exporter", "importer", "commodity", "flow", "transport_cost",
                                       "tariff", "expansion_elasticity", "new_flow_slope"])


def tabulated(i, j):  # from i to j, as printed
    return COST[i - 1][j - 1]


def coded(i, j):  # as the notebook's code applies it (transposed)
    return COST[j - 1][i - 1]


@pytest.mark.parametrize("loader", ["direct", "pyomo"])
@pytest.mark.parametrize("reading", ["tabulated", "coded"])
def test_miranda_fackler_three_countries(reading, loader):
    r = petra.solve(from_frames(markets(), routes(tabulated if reading == "tabulated" else coded)),
                    loader=loader)
    assert r.ok
    assert r.certificate["max_violation"] <= 1e-6
    mk = r.markets.set_index("region").loc[["1", "2", "3"]]
    assert mk["price"].tolist() == pytest.approx([24, 27, 30], abs=PRINT)  # printed
    assert (mk["production"] - mk["consumption"]).tolist() == pytest.approx([6, 3, -9], abs=PRINT)
    assert mk["production"].tolist() == pytest.approx([15, 12, 12], abs=PRINT)  # derived
    assert mk["consumption"].tolist() == pytest.approx([9, 9, 21], abs=PRINT)
    f = r.flows.set_index(["exporter", "importer"])["flow"]
    if reading == "tabulated":  # unique flows, derived
        expected = {("1", "2"): 6, ("2", "3"): 9}
        assert {k: f[k] for k in f.index} == pytest.approx(
            {k: expected.get(k, 0.0) for k in f.index}, abs=PRINT)
    else:  # reverse (uphill) routes carry nothing
        assert [f["2", "1"], f["3", "1"], f["3", "2"]] == pytest.approx([0, 0, 0], abs=PRINT)


@pytest.mark.parametrize("loader", ["direct", "pyomo"])
def test_miranda_fackler_autarky(loader):
    # no routes: each country at its autarky point (printed); checks the curve mapping above
    r = petra.solve(from_frames(markets(), routes(tabulated).iloc[:0]), loader=loader)
    assert r.ok
    mk = r.markets.set_index("region").loc[["1", "2", "3"]]
    assert mk["price"].tolist() == pytest.approx([20, 23.4, 34.5], abs=PRINT)
    assert mk["production"].tolist() == pytest.approx([11, 10.2, 16.5], abs=PRINT)
    assert mk["consumption"].tolist() == pytest.approx([11, 10.2, 16.5], abs=PRINT)
