"""Re-export tracing through the trade network (Kastner-style Leontief inverse) vs direct accounting."""

import numpy as np
import pandas as pd
import pytest

from petra.embodied import embodied_math as em

# Chain A -> B -> C. A produces 100, ships 60 to B; B produces 20 and ships 40 to C; C produces nothing.
PROD = pd.DataFrame({"region": ["A", "B", "C"], "commodity": "soy", "period": 2010,
                     "production": [100.0, 20.0, 0.0]})
FLOWS = pd.DataFrame({"exporter": ["A", "B"], "importer": ["B", "C"], "commodity": "soy", "period": 2010,
                      "flow": [60.0, 40.0]})
INTS = pd.DataFrame({"region": ["A", "B"], "commodity": "soy", "period": 2010, "indicator": "land",
                     "value": [0.5, 1.0], "unit": "ha/t"})


def _q(t, o, c):
    r = t[(t["origin"] == o) & (t["consumer"] == c)]
    return float(r["quantity"].sum())


def test_three_country_chain_by_hand():
    t = em.trace_origins(PROD, FLOWS)
    # supply x = p + imports: A 100, B 20 + 60 = 80, C 40.  B's supply is 3/4 from A, 1/4 own.
    # C's 40 (all consumed) = 40 x 3/4 = 30 from A and 10 from B.
    assert _q(t, "A", "C") == pytest.approx(30.0)
    assert _q(t, "B", "C") == pytest.approx(10.0)
    # B consumes 80 - 40 = 40: 30 from A, 10 own.  A consumes 100 - 60 = 40 own.
    assert _q(t, "A", "B") == pytest.approx(30.0)
    assert _q(t, "B", "B") == pytest.approx(10.0)
    assert _q(t, "A", "A") == pytest.approx(40.0)
    # every origin's production is fully allocated
    assert t.groupby("origin")["quantity"].sum().to_dict() == pytest.approx({"A": 100.0, "B": 20.0})


def test_pure_hub_passes_origin_through():
    # B produces nothing: everything C gets is A's.
    prod = PROD.assign(production=[100.0, 0.0, 0.0])
    flows = FLOWS.assign(flow=[60.0, 60.0])
    t = em.trace_origins(prod, flows)
    assert _q(t, "A", "C") == pytest.approx(60.0)
    assert _q(t, "B", "C") == pytest.approx(0.0)
    assert _q(t, "A", "B") == pytest.approx(0.0)


def test_traced_vs_direct_land_in_accounts():
    t = em.trace_origins(PROD, FLOWS)
    acc = em.accounts(PROD, FLOWS, INTS, "kt", traced=t).set_index("region")
    # direct: C imports 40 kt from B at B's 1.0 ha/t = 40,000 ha
    assert acc.loc["C", "imports"] == pytest.approx(40000.0)
    # traced: 30 kt from A x 0.5 + 10 kt from B x 1.0 = 15,000 + 10,000 = 25,000 ha
    assert acc.loc["C", "consumption_traced"] == pytest.approx(25000.0)
    assert acc.loc["C", "imports_traced"] == pytest.approx(25000.0)
    # B: production 20 kt x 1.0 = 20,000 ha; traced consumption 30 x 0.5 + 10 x 1 = 25,000 ha
    assert acc.loc["B", "production_based"] == pytest.approx(20000.0)
    assert acc.loc["B", "consumption_traced"] == pytest.approx(25000.0)
    # direct consumption of B: 20,000 - 40,000 (exports at B's intensity) + 30,000 (imports from A) = 10,000
    assert acc.loc["B", "consumption_direct"] == pytest.approx(10000.0)
    # world totals agree: production-based = traced consumption = 50,000 + 20,000 ha
    assert acc["production_based"].sum() == pytest.approx(70000.0)
    assert acc["consumption_traced"].sum() == pytest.approx(70000.0)
    te, _ = em.traced_embodied(t, INTS, "kt")
    d, _ = em.embodied_flows(FLOWS, INTS, "kt")
    cmp_ = em.reexport_comparison(d, te).set_index(["origin", "consumer"])
    # A -> C: no direct route (0) but 30 kt x 0.5 = 15,000 ha traced
    assert cmp_.loc[("A", "C"), "direct"] == 0.0
    assert cmp_.loc[("A", "C"), "traced"] == pytest.approx(15000.0)
    assert cmp_.loc[("B", "C"), "difference"] == pytest.approx(10000.0 - 40000.0)


def test_exports_exceeding_supply_are_adjusted_and_reported():
    flows = FLOWS.assign(flow=[60.0, 90.0])  # B ships 90 > its supply 80
    t = em.trace_origins(PROD, flows)
    adj = t.attrs["adjusted"]
    assert list(adj["region"]) == ["B"] and adj["shortfall"].iloc[0] == pytest.approx(10.0)
    # B's supply becomes 90 (20 + 10 extra own + 60 from A): C's 90 = 60 from A + 30 from B
    assert _q(t, "A", "C") == pytest.approx(60.0)
    assert _q(t, "B", "C") == pytest.approx(30.0)
    assert np.isfinite(t["quantity"]).all()
