"""Mirror reconciliation and netting, hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from petra.data import mirror


def flows(rows):
    cols = ["exporter", "importer", "commodity", "year", "quantity", "reported_by"]
    return pd.DataFrame(rows, columns=cols)


def test_reliability_and_choice():
    f = flows([
        # A->B: both report, agree within 20% -> accurate for A and B
        ("A", "B", "w", 2010, 100.0, "exporter"), ("A", "B", "w", 2010, 110.0, "importer"),
        # C->B: C says 50, B says 100: inaccurate (50 > 0.2*100)
        ("C", "B", "w", 2010, 50.0, "exporter"), ("C", "B", "w", 2010, 100.0, "importer"),
        # D->A: exporter only
        ("D", "A", "w", 2010, 7.0, "exporter"),
    ])
    ri = mirror.reliability_index(f)
    # A: 100 accurate of 100; B: 110 accurate of 210; C: 0 of 50
    assert ri["A"] == pytest.approx(1.0)
    assert ri["B"] == pytest.approx(110 / 210)
    assert ri["C"] == pytest.approx(0.0)
    rec = mirror.reconcile(f).set_index(["exporter", "importer"])
    assert rec.loc[("A", "B"), "quantity"] == 100.0 and rec.loc[("A", "B"), "source"] == "exporter"
    assert rec.loc[("C", "B"), "quantity"] == 100.0 and rec.loc[("C", "B"), "source"] == "importer"
    assert rec.loc[("D", "A"), "source"] == "exporter_only"


def test_tie_goes_to_importer():
    f = flows([("A", "B", "w", 2010, 10.0, "exporter"), ("A", "B", "w", 2010, 11.0, "importer")])
    rec = mirror.reconcile(f, reliability=pd.Series({"A": 0.5, "B": 0.5}))
    assert rec["quantity"].tolist() == [11.0] and rec["source"].tolist() == ["importer"]


def test_netting_and_intra_region_removal():
    f = pd.DataFrame({"exporter": ["X", "Y", "X", "Z"], "importer": ["Y", "X", "X", "Y"],
                      "commodity": "w", "year": 2010, "quantity": [30.0, 10.0, 99.0, 5.0]})
    net = mirror.net_flows(f)
    assert net[["exporter", "importer", "flow"]].values.tolist() == [["X", "Y", 20.0], ["Z", "Y", 5.0]]
    rep = mirror.gross_net_report(f)
    assert rep.loc[0, "gross"] == 45.0 and rep.loc[0, "net"] == 25.0
    assert rep.loc[0, "netted_share"] == pytest.approx(20 / 45)
