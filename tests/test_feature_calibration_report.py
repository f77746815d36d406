"""The calibration report: metrics by hand, tables beside a self-contained HTML page."""

import numpy as np
import pandas as pd
import pytest

from petra.atomic import OUTPUT_MARKER, atomic_output_dir
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import synthetic_history
from petra.calibration.report import flow_metrics
from petra.calibration.run import calibrate, run_calibration
from petra.dataset import write_dataset
from petra.synthetic import world_dataset


def test_metrics_by_hand():
    o = np.array([10.0, 0.0, 5.0, 0.0])
    m = np.array([12.0, 0.0, 5.25, 1.0])
    got = flow_metrics(o, m)
    # residuals 2, 0, 0.25, 1; mean o = 3.75; SS_tot = 39.0625 + 14.0625 + 1.5625 + 14.0625 = 68.75
    assert got["r2"] == pytest.approx(1 - (4 + 0.0625 + 1) / 68.75)
    assert got["weighted_mape"] == pytest.approx(3.25 / 15)
    assert got["hit_ratio"] == pytest.approx(3 / 4)  # the last route is used in the model only
    assert got["volume_within_10pct"] == pytest.approx(5 / 15)  # |5.25 - 5| <= 0.5, |12 - 10| > 1


@pytest.fixture(scope="module")
def history_dir(tmp_path_factory):
    cfg = CalibrationConfig(method="exact", unused_margin=0.01)
    cal = calibrate_base_year(world_dataset(8, 2, seed=4), cfg).dataset
    hist = synthetic_history(cal, [2015, 2016], {"c00": 1.5, "c01": 2.5}, {"c00": 0.5, "c01": 1.0},
                             sigma=0.15, seed=2)
    # the "observed" base year is the calibrated one (cost adjustments dropped, as data would be)
    hist = hist.replace(routes=hist.routes.assign(cost_adjustment=0.0),
                        metadata={"title": "synthetic", "base_year": 2010})
    folder = tmp_path_factory.mktemp("hist") / "ds"
    write_dataset(hist, folder)
    return folder


def test_report_files_and_contents(history_dir, tmp_path):
    cfg = CalibrationConfig(method="exact", unused_margin=0.01, focus_region="R000",
                            main_partners=3)
    out = tmp_path / "out"
    run = run_calibration(history_dir, out, cfg, validate=[2015, 2016], fit=[2015, 2016])
    for name in ("report.html", "flows_comparison.csv", "metrics.csv", "negative_cost_routes.csv",
                 "largest_residuals.csv", "parameters.csv", "focus_net_imports.csv",
                 "focus_partner_imports.csv", "route_calibration.csv", "settings.json",
                 "dataset/markets.csv", "dataset/routes.csv"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    # the scatter and one focus figure per commodity R000 trades, embedded
    comp0 = pd.read_csv(out / "flows_comparison.csv")
    mine = comp0[(comp0["importer"] == "R000") | (comp0["exporter"] == "R000")]
    assert html.count("data:image/png;base64,") == 1 + mine.loc[mine["observed"] > 0, "commodity"].nunique()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    met = pd.read_csv(out / "metrics.csv")
    assert set(met["year"]) == {2010, 2015, 2016}
    base = met[(met["year"] == 2010) & (met["commodity"] == "all")].iloc[0]
    assert base["r2"] == pytest.approx(1.0) and base["hit_ratio"] == 1.0
    # the model generated the history, so fitted projections reproduce it
    later = met[(met["year"] == 2016) & (met["commodity"] == "all")].iloc[0]
    assert later["volume_within_10pct"] > 0.99
    comp = pd.read_csv(out / "flows_comparison.csv")
    assert len(comp) == 3 * len(run.final.routes)
    net = pd.read_csv(out / "focus_net_imports.csv")
    c = comp[comp["year"] == 2016]
    hand = (c.loc[c["importer"] == "R000"].groupby("commodity")["observed"].sum()
            - c.loc[c["exporter"] == "R000"].groupby("commodity")["observed"].sum())
    got = net[net["year"] == 2016].set_index("commodity")["observed_net_imports"]
    pd.testing.assert_series_equal(got.sort_index(), hand.sort_index(), check_names=False)


def test_nothing_written_when_a_step_fails(history_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    (out / OUTPUT_MARKER).write_text('{"petra_output": "calibrate"}')  # a previous calibration's output
    cfg = CalibrationConfig(tolerance=1e-300)
    with pytest.raises(Exception, match="worst markets"):
        with atomic_output_dir(out, "calibrate"):
            calibrate(__import__("petra").load_dataset(history_dir), cfg)
    assert (out / "keep.txt").read_text() == "old"
