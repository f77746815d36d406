"""Mirror reconciliation of bilateral trade and netting of two-way flows.

Rule (after the GTAP reliability index, Gehlhar 1996, "Reconciling bilateral trade data for use in
GTAP", GTAP Technical Paper 10): where a flow is reported by both sides, a report is "accurate" if it
is within `tolerance` (relative to the larger of the two) of its mirror. A reporter's reliability
index is the quantity share of its mirrored reports that are accurate. For each mirrored flow the
report of the more reliable reporter is kept; ties go to the importer (import records, kept for
duties, are the usual preference for quantities). A flow reported by one side only keeps that report.

Netting: the model trades a homogeneous good, so a pair's two directions are replaced by one
net flow (a -> b of max(0, q_ab - q_ba)). Intra-region flows are removed by `aggregate_regions`.
All quantities in the caller's unit (t or kt).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["exporter", "importer", "commodity", "year"]


def _sides(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per flow with columns q_exp and q_imp (NaN where that side did not report)."""
    g = flows.groupby(KEY + ["reported_by"], as_index=False)["quantity"].sum()
    wide = g.pivot_table(index=KEY, columns="reported_by", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=["exporter", "importer"]).rename(
        columns={"exporter": "q_exp", "importer": "q_imp"})
    wide.columns.name = None
    return wide.reset_index()


def reliability_index(flows: pd.DataFrame, tolerance: float = 0.2) -> pd.Series:
    """Reliability index per reporting country (0..1) from flows reported by both sides.

    flows: exporter, importer, commodity, year, quantity, reported_by ('exporter' | 'importer').
    Countries without any mirrored report get NaN (not in the index).
    """
    w = _sides(flows).dropna(subset=["q_exp", "q_imp"])
    if w.empty:
        return pd.Series(dtype=float, name="reliability")
    big = np.maximum(w["q_exp"], w["q_imp"]).to_numpy()
    accurate = np.abs(w["q_exp"] - w["q_imp"]).to_numpy() <= tolerance * np.where(big > 0, big, 1.0)
    rows = pd.concat([
        pd.DataFrame({"country": w["exporter"], "q": w["q_exp"], "ok": accurate}),
        pd.DataFrame({"country": w["importer"], "q": w["q_imp"], "ok": accurate})])
    rows["q_ok"] = rows["q"] * rows["ok"]
    s = rows.groupby("country")[["q", "q_ok"]].sum()
    ri = (s["q_ok"] / s["q"].where(s["q"] > 0)).fillna(0.0)
    return ri.rename("reliability")


def reconcile(flows: pd.DataFrame, tolerance: float = 0.2,
              reliability: pd.Series | None = None) -> pd.DataFrame:
    """Choose one quantity per flow. Returns KEY + quantity, source.

    source: 'exporter' / 'importer' (both reported; the more reliable kept), 'exporter_only' /
    'importer_only' (one side reported).
    """
    w = _sides(flows)
    ri = reliability_index(flows, tolerance) if reliability is None else reliability
    r_exp = w["exporter"].map(ri).fillna(0.0).to_numpy()
    r_imp = w["importer"].map(ri).fillna(0.0).to_numpy()
    has_e, has_i = w["q_exp"].notna().to_numpy(), w["q_imp"].notna().to_numpy()
    use_exp = has_e & (~has_i | (r_exp > r_imp))
    quantity = np.where(use_exp, w["q_exp"], w["q_imp"])
    source = np.where(use_exp, np.where(has_i, "exporter", "exporter_only"),
                      np.where(has_e, "importer", "importer_only"))
    out = w[KEY].copy()
    out["quantity"] = quantity
    out["source"] = source
    return out


def aggregate_regions(flows: pd.DataFrame) -> pd.DataFrame:
    """Sum flows whose exporter/importer already hold region ids; drop intra-region flows."""
    f = flows[flows["exporter"] != flows["importer"]]
    return f.groupby(KEY, as_index=False)["quantity"].sum()


def net_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Net two-way flows per unordered pair: KEY + flow (> 0, one direction per pair)."""
    g = aggregate_regions(flows)
    rev = g.rename(columns={"exporter": "importer", "importer": "exporter", "quantity": "back"})
    m = g.merge(rev, on=KEY, how="outer").fillna({"quantity": 0.0, "back": 0.0})
    m["flow"] = m["quantity"] - m["back"]
    out = m[m["flow"] > 0][KEY + ["flow"]]
    return out.sort_values(KEY).reset_index(drop=True)


def gross_net_report(flows: pd.DataFrame) -> pd.DataFrame:
    """Per commodity and year: gross inter-regional trade, net trade and the netted-out share."""
    g = aggregate_regions(flows).groupby(["commodity", "year"])["quantity"].sum().rename("gross")
    n = net_flows(flows).groupby(["commodity", "year"])["flow"].sum().rename("net")
    r = pd.concat([g, n], axis=1).fillna(0.0).reset_index()
    r["netted_share"] = np.where(r["gross"] > 0, 1.0 - r["net"] / r["gross"].where(r["gross"] > 0), 0.0)
    return r
