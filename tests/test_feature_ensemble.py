"""petra ensemble: uncertainty rules, reproducible sampling, perturbation, quantiles, and real Dask
LocalClusters (loopback only) running small ensembles: identical draws with 1 and 2 workers, resume
after a lost file and after a kill, failed draws (certificate, dead worker) and bad input."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from petra.cli import app
from petra.dataset import from_frames
from petra.ensemble import sampling, store, summary
from petra.ensemble.run import plan, run_ensemble
from petra.errors import InputError
from petra.projection.scenario_config import parse_scenario_file, read_scenario_document
from petra.projection.uncertainty_rules import UncertaintyRule

# two clusters alive at once (the module's 2-worker one and a test's own) share the default HTTP port
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")

REPO = Path(__file__).resolve().parent.parent
ENSEMBLE_YAML = REPO / "runs" / "ensemble.yaml"


def rule(**kw) -> UncertaintyRule:
    return UncertaintyRule.model_validate(kw)


# ---------------------------------------------------------------- scenario-file rules


def _file_with(unc) -> dict:
    return {"scenarios": {"S": {}}, "uncertainty": unc}


@pytest.mark.parametrize("unc, key, words", [
    ([{"target": "supply_elasticity", "distribution": "normal", "mean": 1, "sd": 0.1, "spread": 2}],
     "uncertainty[0].spread", "unknown key"),
    ([{"target": "supply_elasticity", "distribution": "normal", "mean": 1}], "uncertainty[0]", "needs 'sd'"),
    ([{"target": "supply_elasticity", "distribution": "uniform", "low": 1, "high": 2, "sd": 1}],
     "uncertainty[0]", "'sd' is not a parameter"),
    ([{"target": "demand_elasticity", "exporter": "BRA", "distribution": "uniform", "low": 1, "high": 2}],
     "uncertainty[0]", "'exporter' is not a selector"),
    ([{"target": "yield", "distribution": "uniform", "low": 1, "high": 2}], "uncertainty[0].target", "Input"),
    ([{"target": "demand_elasticity", "apply": "value", "distribution": "uniform", "low": 0.1, "high": 0.5}],
     "uncertainty[0]", "outside the valid range"),
    ([{"target": "supply_elasticity", "distribution": "uniform", "low": -2, "high": -1}],
     "uncertainty[0]", "outside the valid range"),
    ([{"target": "intensity", "distribution": "triangular", "low": 1, "mode": 3, "high": 2}],
     "uncertainty[0]", "low <= mode <= high"),
    ([{"target": "intensity", "distribution": "normal", "mean": "x", "sd": 1}], "uncertainty[0].mean", ""),
])
def test_bad_rules_are_input_errors_naming_the_key(unc, key, words):
    with pytest.raises(InputError) as e:
        parse_scenario_file(_file_with(unc), "f.yaml")
    assert f"key '{key}'" in str(e.value) and words in str(e.value)


def test_shipped_ensemble_file_parses_with_rules():
    from petra.projection.scenario_config import load_scenario_file

    sf = load_scenario_file(ENSEMBLE_YAML)
    assert len(sf.uncertainty) >= 4 and set(sf.scenarios) == {"SSP1", "SSP2", "SSP3",
                                                              "trade_liberalisation", "us_china_soy_tariff"}
    assert {r.target for r in sf.uncertainty} == {"supply_elasticity", "demand_elasticity",
                                                 "expansion_elasticity", "intensity"}


# ---------------------------------------------------------------- sampling


RULES = (rule(target="supply_elasticity", distribution="normal", mean=1.0, sd=0.2),
         rule(target="demand_elasticity", distribution="uniform", low=0.5, high=1.5, independent=True),
         rule(target="intensity", distribution="lognormal", median=1.0, sigma=0.3))


def test_draw_depends_only_on_seed_and_index():
    counts = [1, 3, 1]
    # draw 5 computed alone, after other draws, and inside a different partition of 0..9
    alone = sampling.sample_draw(RULES, counts, 11, 5)
    for order in ([5], list(range(10)), [9, 7, 5, 3, 1], [5, 4]):
        got = {d: sampling.sample_draw(RULES, counts, 11, d) for d in order}
        for a, b in zip(got[5], alone, strict=True):
            np.testing.assert_array_equal(a, b)
    # independent derivation: rule r of draw i is SeedSequence(seed, spawn_key=(i, r))
    g = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(5, 1)))
    np.testing.assert_array_equal(alone[1], g.uniform(0.5, 1.5, 3))
    g = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(5, 2)))
    np.testing.assert_array_equal(alone[2], g.lognormal(0.0, 0.3, 1))
    other_draw = sampling.sample_draw(RULES, counts, 11, 6)
    other_seed = sampling.sample_draw(RULES, counts, 12, 5)
    assert not np.array_equal(other_draw[0], alone[0]) and not np.array_equal(other_seed[0], alone[0])
    # adding a rule leaves the earlier rules' numbers unchanged
    more = sampling.sample_draw((*RULES, RULES[0]), [*counts, 1], 11, 5)
    for a, b in zip(more[:3], alone, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("r, mean, lo, hi", [
    (rule(target="intensity", distribution="normal", mean=2.0, sd=0.5), 2.0, -math.inf, math.inf),
    (rule(target="intensity", distribution="uniform", low=0.5, high=1.7), 1.1, 0.5, 1.7),
    (rule(target="intensity", distribution="triangular", low=0.5, mode=1.0, high=3.0), 1.5, 0.5, 3.0),
    (rule(target="intensity", distribution="lognormal", median=2.0, sigma=0.4), 2.0 * math.exp(0.08),
     0.0, math.inf),
])
def test_distribution_sample_means_and_bounds(r, mean, lo, hi):
    from petra.ensemble.distributions import sample

    x = sample(r, np.random.default_rng(3), 200_000)
    # mean within 5 standard errors; support respected
    assert abs(x.mean() - mean) < 5 * x.std() / math.sqrt(len(x))
    assert x.min() >= lo and x.max() <= hi
    if r.distribution == "lognormal":
        assert abs(np.median(x) - 2.0) < 0.01  # median = exp(mu)
    if r.distribution == "normal":
        assert abs(x.std() - 0.5) < 0.005


def _small_dataset():
    m = pd.DataFrame({"region": ["A", "A", "B", "B"], "commodity": ["wheat", "soy", "wheat", "soy"],
                      "production": [100.0, 50.0, 60.0, 40.0], "consumption": [90.0, 45.0, 70.0, 45.0],
                      "price": [200.0, 400.0, 210.0, 420.0], "supply_elasticity": [0.5, 0.4, 0.3, 0.2],
                      "demand_elasticity": [-0.5, -0.4, -0.3, -0.2]})
    r = pd.DataFrame({"exporter": ["A", "A"], "importer": ["B", "B"], "commodity": ["wheat", "soy"],
                      "flow": [10.0, 5.0], "transport_cost": [10.0, 20.0], "tariff": [0.0, 0.0],
                      "expansion_elasticity": [math.inf, 3.0], "new_flow_slope": [0.0, 0.0]})
    i = pd.DataFrame({"region": ["A", "A", "A", "B"], "commodity": ["wheat", "wheat", "soy", "soy"],
                      "period": [2010.0, 2015.0, 2010.0, 2010.0], "indicator": ["land"] * 4,
                      "value": [0.2, 0.25, math.nan, 0.5], "unit": ["ha/t"] * 4})
    return from_frames(m, r, intensities=i)


def test_perturb_factor_value_order_clip_and_missing():
    ds = _small_dataset()
    rules = (rule(target="supply_elasticity", commodity="wheat", distribution="normal", mean=1, sd=1),
             rule(target="supply_elasticity", region="A", commodity="wheat", apply="value",
                  distribution="uniform", low=0, high=1),
             rule(target="demand_elasticity", distribution="uniform", low=0, high=2, independent=True),
             rule(target="intensity", region="A", distribution="uniform", low=0, high=2, independent=True),
             rule(target="expansion_elasticity", distribution="normal", mean=1, sd=1))
    sampling.check_rules(ds, rules)
    assert sampling.entity_counts(ds, rules) == [1, 1, 4, 2, 1]
    samples = [np.array([1.5]), np.array([0.7]), np.array([0.5, 1.0, 2.0, -3.0]),
               np.array([2.0, 3.0]), np.array([0.01])]
    out = sampling.perturb(sampling.fill_expansion(ds, 2.0), rules, samples)
    # wheat supply x1.5, then A/wheat set to 0.7 (later rule wins); soy untouched
    np.testing.assert_allclose(out.markets["supply_elasticity"], [0.7, 0.4, 0.45, 0.2])
    # one factor per market; a negative factor is clipped at 0 (never flips the sign)
    np.testing.assert_allclose(out.markets["demand_elasticity"], [-0.25, -0.4, -0.6, 0.0])
    # intensity groups (region, commodity, indicator): A/wheat (both periods) x2, A/soy missing stays NaN
    got = out.intensities["value"].to_numpy()
    np.testing.assert_allclose(got[[0, 1, 3]], [0.4, 0.5, 0.5])
    assert math.isnan(got[2])
    # expansion: the empty one at the calibration default 2.0, then x0.01, clipped at the floor 0.05
    np.testing.assert_allclose(out.routes["expansion_elasticity"], [0.05, 0.05])
    # the input is untouched
    assert ds.markets["supply_elasticity"].tolist() == [0.5, 0.4, 0.3, 0.2]
    with pytest.raises(InputError, match=r"uncertainty\[0\]\.region': unknown region 'C'"):
        sampling.check_rules(ds, (rule(target="supply_elasticity", region="C", distribution="normal",
                                       mean=1, sd=0.1),))


def test_row_quantiles_match_numpy_percentile():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 37))
    v[3, :5] = np.nan
    v[7, :] = np.nan
    got = summary.row_quantiles(v, (0.05, 0.5, 0.95))
    for i in range(50):
        row = v[i][~np.isnan(v[i])]
        if len(row) == 0:
            assert np.isnan(got[i]).all()
            continue
        np.testing.assert_allclose(got[i], np.percentile(row, [5, 50, 95]), rtol=1e-13)
    assert summary.quantile_label(0.05) == "q05" and summary.quantile_label(0.5) == "q50"


def test_out_of_core_values_align_differing_draw_files_like_a_pandas_outer_join(tmp_path):
    """Draw files with missing, extra and reordered rows: the values aligned one file at a time equal
    an outer join of all files done in memory with pandas; blocked and on-disk quantiles equal the
    whole-matrix ones."""
    rng = np.random.default_rng(5)
    base = pd.DataFrame({"model": "petra", "scenario": "S", "region": ["A", "B", "C"] * 4,
                         "variable": ["x"] * 6 + ["y"] * 6, "unit": "t",
                         "year": [2010] * 3 + [2020] * 3 + [2010] * 3 + [2020] * 3})
    files = []
    for d in range(7):
        f = base.assign(value=rng.normal(size=len(base)))
        if d == 2:
            f = f.drop(index=[1, 5])  # a draw without two rows
        if d == 4:
            f = pd.concat([f, f.iloc[:1].assign(region="D", value=9.0)])  # a row no other draw has
        if d == 5:
            f = f.sample(frac=1.0, random_state=1)  # another order
        path = tmp_path / f"d{d}.parquet"
        f.to_parquet(path)
        files.append(path)
    keys = summary.draw_keys(files)
    values = np.vstack(list(summary.aligned_values(files, keys)))
    wide = pd.concat([pd.read_parquet(f).set_index(summary.KEYS)["value"] for f in files], axis=1,
                     join="outer")
    expected = wide.reindex(pd.MultiIndex.from_frame(keys)).to_numpy().T
    assert len(keys) == 13
    np.testing.assert_array_equal(np.asarray(values), expected)
    assert np.isnan(values[2, [1, 5]]).all() and values[4, -1] == 9.0
    whole = summary.row_quantiles(expected.T)
    blocks = summary.blocked_quantiles(lambda a, b: values[:, a:b], 13, 7, block_bytes=8 * 7 * 2)
    np.testing.assert_allclose(blocks, whole, rtol=0)
    # the on-disk path (raw file, blocks of 3 rows) gives the same frame as the in-memory quantiles
    frame = summary.quantiles_out_of_core(files, tmp_path, block_bytes=8 * 7 * 3)
    np.testing.assert_allclose(frame["value"], summary.quantile_frame(keys, whole)["value"], rtol=0)
    assert not list(tmp_path.glob(".petra-quantiles-*"))  # the scratch folder is gone


# ---------------------------------------------------------------- real clusters


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    """runs/ensemble.yaml cut to 2 periods and one scenario (keeps the test fast)."""
    raw = read_scenario_document(ENSEMBLE_YAML)  # its `extends: default.yaml` resolved
    raw["periods"] = [2020, 2030]
    raw["scenarios"] = {"us_china_soy_tariff": raw["scenarios"]["us_china_soy_tariff"]}
    path = tmp_path_factory.mktemp("ens") / "small.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _cluster(n: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    return cluster, Client(cluster)


@pytest.fixture(scope="module")
def two_workers():
    cluster, client = _cluster(2)
    yield client
    client.close()
    cluster.close()


def _draw(out: Path, d: int) -> pd.DataFrame:
    return pd.read_parquet(out / store.draw_file(d))


def _mtimes(out: Path) -> dict:
    return {f.name: f.stat().st_mtime_ns for f in (out / "draws").glob("draw_*.parquet")}


def test_same_seed_same_draws_with_1_and_2_workers_and_resume(small_file, two_workers, tmp_path):
    from distributed import LocalCluster  # noqa: F401  (the fixtures' engine)

    p = plan(small_file, 4, seed=3, embodied=True)
    a, b = tmp_path / "two", tmp_path / "one"
    ra = run_ensemble(p, a, client=two_workers)
    assert (ra.ran, ra.skipped, ra.failed) == (4, 0, [])
    cluster, client = _cluster(1)
    try:
        rb = run_ensemble(p, b, client=client)
    finally:
        client.close()
        cluster.close()
    assert rb.failed == []
    workers_a = {r["worker"] for r in store.open_store(a, p.config, 3).records.values()}
    assert len(workers_a) == 2  # both workers of the 2-worker cluster ran draws
    for d in range(4):
        da, db = _draw(a, d), _draw(b, d)
        pd.testing.assert_frame_equal(da, db)
        assert {"Agricultural Imports|Crops|Oil Crops|Soybean",
                "Embodied Water|Blue|Imports"} <= set(da["variable"])
        meta_a = store.read_draw_meta(a / store.draw_file(d))
        assert meta_a["parameters"] == store.read_draw_meta(b / store.draw_file(d))["parameters"]
    # the draws differ from each other (the numbers were applied)
    assert not np.allclose(_draw(a, 0)["value"], _draw(a, 1)["value"])

    # quantiles in summary/quantiles.csv against numpy.percentile over the draw files
    q = pd.read_csv(a / "summary" / "quantiles.csv")
    var = "Price|Agriculture|Crops|Oil Crops|Soybean"
    vals = []
    for d in range(4):
        f = _draw(a, d)
        sel = (f["region"] == "CHN") & (f["variable"] == var) & (f["year"] == 2030)
        vals.append(f.loc[sel, "value"].item())
    expect = np.percentile(vals, [5, 50, 95])
    for lab, e in zip(("q05", "q50", "q95"), expect, strict=True):
        got = q[(q.Scenario == f"us_china_soy_tariff|{lab}") & (q.Region == "CHN") & (q.Variable == var)]
        assert got["2030"].item() == pytest.approx(e, rel=1e-12)
    assert (a / "summary" / "fan_chart.png").stat().st_size > 10_000
    params = pd.read_csv(a / "parameters.csv")
    assert sorted(params["draw"].unique()) == [0, 1, 2, 3]

    # resume: draw 2's file is lost (a crash before it was written); extend to 5 draws
    before = _mtimes(a)
    (a / store.draw_file(2)).unlink()
    rc = run_ensemble(plan(small_file, 5, seed=3, embodied=True), a, client=two_workers)
    assert (rc.ran, rc.skipped, rc.failed) == (2, 3, [])
    after = _mtimes(a)
    for d in (0, 1, 3):  # finished draws are not recomputed or rewritten
        name = Path(store.draw_file(d)).name
        assert after[name] == before[name]
    pd.testing.assert_frame_equal(_draw(a, 2), _draw(b, 2))
    manifest = store.open_store(a, p.config, 3)
    assert sorted(manifest.completed()) == [0, 1, 2, 3, 4]


def test_dead_worker_and_failing_task_are_recorded_and_the_rest_finish(small_file, tmp_path):
    import dask
    from ensemble_faults import fail_some
    p = plan(small_file, 4, seed=1, embodied=False)
    # a worker death fails only the task it was running (one task per worker thread at a time)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster, client = _cluster(1)
        try:
            res = run_ensemble(p, tmp_path / "f", client=client, draw_fn=fail_some)
        finally:
            client.close()
            cluster.close()
    failed = dict(res.failed)
    assert sorted(failed) == [1, 2], failed
    assert failed[1].startswith("KilledWorker") and failed[2] == "RuntimeError: boom in draw 2"
    recs = {r["draw"]: r for r in store.open_store(tmp_path / "f", p.config, 1).records.values()}
    assert recs[0]["status"] == recs[3]["status"] == "ok"
    assert (tmp_path / "f" / store.draw_file(3)).is_file()
    assert not (tmp_path / "f" / store.draw_file(1)).exists()


def test_cli_certificate_failures_exit_1_with_count_and_bad_input_exit_2(small_file, tmp_path):
    runner = CliRunner()
    out = tmp_path / "tight"
    r = runner.invoke(app, ["ensemble", str(small_file), "--draws", "2", "--workers", "1", "--tol", "1e-30",
                            "--no-embodied", "--out", str(out), "-q"])
    assert r.exit_code == 1, r.output
    assert "2 of 2 draws failed" in r.output and "certificate" in r.output
    import json

    man = json.loads((out / "manifest.json").read_text())
    assert [d["status"] for d in man["draws"]] == ["failed", "failed"]
    assert all("above tolerance 1e-30" in d["reason"] for d in man["draws"])
    assert not list((out / "draws").glob("*.parquet"))

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"scenarios": {"S": {}}, "uncertainty": [
        {"target": "supply_elasticity", "distribution": "normal", "mean": 1, "sd": 0.1, "sigma": 1}]}))
    shifted = tmp_path / "shifted.yaml"  # first period not the base year: every draw failed before
    raw = yaml.safe_load(small_file.read_text())
    shifted.write_text(yaml.safe_dump({**raw, "periods": [2025, 2030]}))
    cases = [
        ([str(shifted), "--draws", "2"], "the first period must be the base year 2020"),
        ([str(small_file), "--draws", "0"], "--draws must be a positive"),
        ([str(small_file), "--draws", "2", "-s", "nope"], "no scenario named 'nope'"),
        ([str(bad), "--draws", "2"], "key 'uncertainty[0]'"),
        ([str(tmp_path / "missing.yaml"), "--draws", "2"], "scenario file not found"),
        ([str(small_file), "--draws", "2", "--workers", "0"], "--workers must be between 1 and"),
        # before: --workers 1000000 started processes until it failed ("dictionary changed size")
        ([str(small_file), "--draws", "1", "--workers", "1000000"], "--workers must be between 1 and"),
        ([str(small_file), "--draws", "2", "--scheduler", "not a url"], "--scheduler must be a Dask"),
    ]
    for args, msg in cases:
        o = tmp_path / "nothing"
        r = runner.invoke(app, ["ensemble", *args, "--out", str(o)])
        assert r.exit_code == 2 and msg in r.output, (args, r.output)
        assert not o.exists()
    # the same folder with another seed: refused, folder untouched
    snapshot = (out / "manifest.json").read_bytes()
    r = runner.invoke(app, ["ensemble", str(small_file), "--draws", "2", "--seed", "9", "--tol", "1e-30",
                            "--no-embodied", "--out", str(out)])
    assert r.exit_code == 2 and "changed: seed" in r.output
    assert (out / "manifest.json").read_bytes() == snapshot


def test_killed_run_resumes_without_touching_finished_draws(small_file, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "petra.cli", "ensemble", str(small_file), "--draws", "8", "--workers", "1",
           "--no-embodied", "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "draws").glob("draw_*.parquet"))) < 2:
        time.sleep(0.05)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    # before: 3-9 s (closing the cluster waited for the busy worker); now the workers are killed first
    assert time.monotonic() - t0 < 2.0
    assert proc.returncode == 130
    last = proc.stderr.read().decode().strip().splitlines()[-1]  # (after Dask's warnings of busy ports)
    assert last == f"petra: interrupted; complete draws are kept in {out} (rerun to resume)"
    left = subprocess.run(["ps", "-o", "pid=,stat=", "-s", str(proc.pid)], capture_output=True, text=True)
    assert not [ln for ln in left.stdout.splitlines() if "Z" not in ln.split()[1]]  # no worker left running
    finished = _mtimes(out)
    assert 2 <= len(finished) < 8
    assert not list((out / "draws").glob(".*"))  # no partial (temporary) file left behind
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    after = _mtimes(out)
    assert len(after) == 8
    assert all(after[k] == v for k, v in finished.items())


def test_a_scheduler_that_does_not_answer_is_one_line(small_file, tmp_path, monkeypatch):
    # before: `--scheduler tcp://127.0.0.1:1`: an OSError traceback after Dask's 30 s connect timeout
    from petra.ensemble import cluster

    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 0.5)
    r = CliRunner().invoke(app, ["ensemble", str(small_file), "--draws", "1", "--scheduler", "tcp://127.0.0.1:1",
                            "--out", str(tmp_path / "e")])
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and "no Dask scheduler answers at tcp://127.0.0.1:1 within 0.5 s" in line


def test_a_local_cluster_has_no_more_workers_than_draws_to_run(small_file, tmp_path, monkeypatch):
    from petra.ensemble import cluster, run

    started = []

    def fake_local_client(workers):
        started.append(workers)
        raise KeyboardInterrupt   # stop here: only the size asked for matters

    monkeypatch.setattr(cluster, "usable_cores", lambda: 8)
    monkeypatch.setattr(run, "local_client", fake_local_client)
    with pytest.raises(KeyboardInterrupt):
        run.run_ensemble(plan(small_file, 3, embodied=False), tmp_path / "e", workers=16)
    assert started == [3]
