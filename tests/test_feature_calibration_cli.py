"""`petra calibrate`: outputs, `petra solve` on the written dataset, bad input (exit 2, nothing
written), a calibration missing its tolerance (exit 1, worst markets named)."""

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import synthetic_history
from petra.cli import app
from petra.dataset import write_dataset
from petra.synthetic import world_dataset

runner = CliRunner()


@pytest.fixture(scope="module")
def ds_dir(tmp_path_factory):
    cal = calibrate_base_year(world_dataset(6, 1, seed=7), CalibrationConfig(unused_margin=0.01)).dataset
    hist = synthetic_history(cal, [2015, 2016], {"c00": 2.0}, {"c00": 1.0}, sigma=0.1, seed=3)
    hist = hist.replace(routes=hist.routes.assign(cost_adjustment=0.0), metadata={"base_year": 2010})
    folder = tmp_path_factory.mktemp("cli") / "ds"
    write_dataset(hist, folder)
    return folder


def _copy(ds_dir, tmp_path):
    dst = tmp_path / "bad"
    shutil.copytree(ds_dir, dst)
    return dst


def test_calibrate_then_solve_reproduces(ds_dir, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["calibrate", str(ds_dir), "--out", str(out), "--validate", "2015-2016",
                              "--fit", "2015,2016"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file() and (out / "dataset" / "routes.csv").is_file()
    routes = pd.read_csv(out / "dataset" / "routes.csv")
    assert "cost_adjustment" in routes.columns
    solved = tmp_path / "solved"
    res = runner.invoke(app, ["solve", str(out / "dataset"), "--out", str(solved)])
    assert res.exit_code == 0, res.output
    flows = pd.read_csv(solved / "flows.csv")
    obs = pd.read_csv(ds_dir / "routes.csv")["flow"].to_numpy()
    scale = pd.read_csv(ds_dir / "markets.csv")["production"].mean()
    assert (np.abs(flows["flow"] - obs) / np.maximum(obs, 1e-9 * scale)).max() < 1e-6
    mk = pd.read_csv(solved / "markets.csv")
    src = pd.read_csv(ds_dir / "markets.csv")
    assert (np.abs(mk["price"] - src["price"]) / src["price"]).max() < 1e-6


def _expect_exit(args, code, out, match):
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    msg = res.stderr if hasattr(res, "stderr") else res.output
    lines = [ln for ln in msg.strip().splitlines() if ln]
    assert len(lines) == 1 and match in lines[0], msg
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.tmp-*"))


def test_observed_flow_on_missing_route(ds_dir, tmp_path):
    bad = _copy(ds_dir, tmp_path)
    of = pd.read_csv(bad / "observed_flows.csv")
    r = pd.read_csv(bad / "routes.csv")
    drop = of.iloc[0]
    r = r[~((r["exporter"] == drop["exporter"]) & (r["importer"] == drop["importer"]))]
    r.to_csv(bad / "routes.csv", index=False)
    _expect_exit(["calibrate", str(bad), "--out", str(tmp_path / "o")], 2, tmp_path / "o",
                 "route that does not exist")


def test_nonpositive_price(ds_dir, tmp_path):
    bad = _copy(ds_dir, tmp_path)
    m = pd.read_csv(bad / "markets.csv")
    m.loc[2, "price"] = 0.0
    m.to_csv(bad / "markets.csv", index=False)
    _expect_exit(["calibrate", str(bad), "--out", str(tmp_path / "o")], 2, tmp_path / "o", "price")


def test_validation_year_missing(ds_dir, tmp_path):
    _expect_exit(["calibrate", str(ds_dir), "--out", str(tmp_path / "o"), "--validate", "2015,2030"], 2,
                 tmp_path / "o", "year 2030 is not in the data")


def test_unknown_config_key(ds_dir, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("tolerance = 1e-6\n[fit]\nerorr = 'log'\n")
    _expect_exit(["calibrate", str(ds_dir), "--out", str(tmp_path / "o"), "--config", str(cfg)], 2,
                 tmp_path / "o", "fit.erorr")


def test_tolerance_not_met_names_worst_markets(ds_dir, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("tolerance: 1.0e-300\n")
    # exact zeros everywhere would meet even that: perturb one flow so the data must be reconciled
    bad = _copy(ds_dir, tmp_path)
    r = pd.read_csv(bad / "routes.csv")
    i = int(np.flatnonzero(r["flow"] > 0)[0])
    r.loc[i, "flow"] *= 1.3
    r.to_csv(bad / "routes.csv", index=False)
    out = tmp_path / "o"
    res = runner.invoke(app, ["calibrate", str(bad), "--out", str(out), "--config", str(cfg)])
    assert res.exit_code == 1, res.output
    assert "worst markets" in res.output and "(R00" in res.output
    assert not out.exists()
