"""`petra explore RUN_DIR`: one self-contained HTML file whose embedded values are the run's, that
renders in headless Chromium with its selectors and charts, and that never replaces a user's file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from petra.cli import app
from petra.palette import region_colour, scenario_colour
from petra.projection.explorer import ROUND_OFF, SIGNIFICANT_DIGITS, script_json, write_explorer

runner = CliRunner()
SMALL = """\
dataset: china9
base_year: 2020
periods: [2020, 2030]
focus_region: CHN
base:
  drivers:
    population_growth: [{value: 1.0}]
    income_growth: [{value: 2.0}]
    income_elasticity: [{value: 0.2}]
scenarios:
  SSP2: {description: reference}
  soy_tariff:
    drivers:
      tariffs: [{exporter: USA, importer: CHN, commodity: soybeans, ad_valorem: 0.25, from: 2030}]
"""
RTOL = 10.0 ** (1 - SIGNIFICANT_DIGITS)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("explore")
    (base / "small.yaml").write_text(SMALL)
    res = runner.invoke(app, ["run", str(base / "small.yaml"), "--out", str(base / "run"), "--quiet",
                              "--no-plots"])
    assert res.exit_code == 0, res.output
    return base / "run"


@pytest.fixture(scope="module")
def page(run_dir):
    res = runner.invoke(app, ["explore", str(run_dir)])
    assert res.exit_code == 0, res.output
    path = run_dir / "explorer.html"
    size = path.stat().st_size
    assert f"{size / 1e6:.2f} MB" in res.output  # the size is printed
    return path


def embedded(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="petra-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(m[1])


def rows(flat: list, width: int) -> list[list]:
    return [flat[k:k + width] for k in range(0, len(flat), width)]


def test_page_is_self_contained(page):
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 10e6
    # nothing loaded from anywhere: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", text) and "<link" not in text
    assert not re.search(r"url\(\s*['\"]?https?:", text) and "@import" not in text
    assert '<meta name="petra-output" content="explore">' in text


def test_embedded_flows_and_series_are_the_runs(page, run_dir):
    d = embedded(page)
    flows = pd.read_parquet(run_dir / "flows.parquet")
    soy = flows[(flows.period == 2030) & (flows.commodity == "soybeans")]
    usa_chn = soy[(soy.exporter == "USA") & (soy.importer == "CHN")].set_index("scenario")["flow"]
    biggest = soy.groupby("scenario")["flow"].max()
    want = {s: v for s, v in usa_chn.items() if v > ROUND_OFF * biggest[s]}  # round-off is not trade
    assert want["SSP2"] > 1000
    p, c = d["periods"].index(2030), d["commodities"].index("soybeans")
    e, i = d["regions"].index("USA"), d["regions"].index("CHN")
    embedded_flow = {d["scenarios"][r[0]]: r[5] for r in rows(d["flows"], 6) if r[1:5] == [p, c, e, i]}
    assert embedded_flow == pytest.approx(want, rel=RTOL)
    # every flow above round-off of its commodity and period is embedded, and nothing else
    top = flows.groupby(["scenario", "period", "commodity"])["flow"].transform("max")
    assert len(d["flows"]) // 6 == int(((flows["flow"] > ROUND_OFF * top) & (flows["flow"] > 0)).sum())
    # an IAMC series: China's soybean imports in the wide iamc.csv
    wide = pd.read_csv(run_dir / "iamc.csv")
    var = "Agricultural Imports|Crops|Oil Crops|Soybean"
    line = wide[(wide.Scenario == "SSP2") & (wide.Region == "CHN") & (wide.Variable == var)]
    table = d["iamc"]
    v, r = table["variables"].index(var), table["regions"].index("CHN")
    series = [x[3:] for x in rows(table["rows"], 3 + len(table["years"])) if x[:3] == [v, 0, r]]
    assert series[0] == pytest.approx(line[[str(y) for y in table["years"]]].to_numpy(float)[0], rel=RTOL)
    # colours are the palette's
    assert d["scenario_colours"][0] == scenario_colour("SSP2") == "#000000"
    assert d["region_colours"][d["regions"].index("BRA")] == region_colour("BRA")


def test_embodied_by_partner_sums_commodities(page, run_dir):
    d = embedded(page)
    e = pd.read_parquet(run_dir / "embodied.parquet")
    sel = e[(e.scenario == "SSP2") & (e.period == 2020) & (e.exporter == "BRA") & (e.importer == "CHN")
            & (e.indicator == "land")]
    want = float(np.nansum(sel["value"]))
    assert want > 0 and len(sel) > 1  # several commodities summed
    E = d["embodied"]
    key = [0, d["periods"].index(2020), E["indicators"].index("land"), d["regions"].index("BRA"),
           d["regions"].index("CHN")]
    got = [r[5] for r in rows(E["rows"], 6) if r[:5] == key]
    assert got == [pytest.approx(want, rel=RTOL)]
    assert E["units"][E["indicators"].index("land")] == "ha"


def test_script_json_cannot_end_the_script_element():
    text = script_json({"region": "</script><script>alert(1)</script><!--"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == {"region": "</script><script>alert(1)</script><!--"}


def test_refuses_what_is_not_its_own(run_dir, tmp_path):
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    res = runner.invoke(app, ["explore", str(run_dir), "--out", str(mine)])
    assert res.exit_code == 2 and "not a petra output" in res.output
    assert mine.read_text() == "<html>my notes</html>"
    res = runner.invoke(app, ["explore", str(run_dir), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder" in res.output
    res = runner.invoke(app, ["explore", str(run_dir), "--out", str(run_dir / "iamc.csv")])
    assert res.exit_code == 2 and "input" in res.output
    res = runner.invoke(app, ["explore", str(tmp_path)])  # not a run output
    assert res.exit_code == 2 and "not a petra output" in res.output
    assert not (tmp_path / "explorer.html").exists()
    # its own file is replaced, but not through a symbolic link
    own = tmp_path / "own.html"
    for _ in range(2):
        res = runner.invoke(app, ["explore", str(run_dir), "--out", str(own)])
        assert res.exit_code == 0, res.output
    assert not list(tmp_path.glob(".own.html.*"))
    (tmp_path / "link.html").symlink_to(own)
    res = runner.invoke(app, ["explore", str(run_dir), "--out", str(tmp_path / "link.html")])
    assert res.exit_code == 2 and "symbolic link" in res.output


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (sudo apt-get install -y chromium); .ci/run installs it")
    return exe


def _headless(exe: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--virtual-time-budget=5000", *args], capture_output=True, text=True, timeout=180)


def test_renders_in_headless_chromium(page, run_dir):
    exe = _chromium()
    dom = _headless(exe, "--dump-dom", page.as_uri()).stdout
    assert 'data-ready="1"' in dom, dom[-2000:]
    d = embedded(page)
    for sel_id, n in (("scenario", 2), ("region", len(d["regions"])), ("commodity", len(d["commodities"])),
                      ("year", 2)):
        m = re.search(rf'<select id="{sel_id}">(.*?)</select>', dom, re.S)
        assert m and m[1].count("<option") == n, sel_id
    assert re.search(r'<select id="variable">.*?<option', dom, re.S)
    for chart in ("line-chart", "bar-chart", "flow-matrix"):
        assert f'class="chart {chart}"' in dom, chart
    # the rendered values table of the default series: China's soybean imports, computed from iamc.csv
    wide = pd.read_csv(run_dir / "iamc.csv")
    var = "Agricultural Imports|Crops|Oil Crops|Soybean"
    v2030 = float(wide[(wide.Scenario == "soy_tariff") & (wide.Region == "CHN")
                       & (wide.Variable == var)]["2030"].iloc[0])
    assert f"<td>{float(f'{v2030:.5g}'):g}</td>" in dom  # shown as embedded: 5 digits
    # 2 scenarios x 2 periods as points of the line chart
    line = re.search(r'class="chart line-chart".*?</svg>', dom, re.S)[0]
    assert line.count("<circle") == 4


def test_screenshot_is_not_blank(page, tmp_path):
    from PIL import Image

    exe = _chromium()
    png = tmp_path / "explorer.png"
    _headless(exe, f"--screenshot={png}", "--window-size=1400,2000", page.as_uri())
    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert img.shape == (2000, 1400)
    assert img.std() > 20  # a white or single-colour page has ~0
    # the chart area (below the header and controls) has ink: dark pixels of axes, bars and labels
    assert (img[300:1500] < 128).mean() > 0.01


def test_a_view_in_the_address_is_drawn(page, run_dir):
    """#commodity=wheat&year=2020&region=USA&scenario=soy_tariff selects that view; the flow table's
    first row is the largest wheat flow of 2020 in flows.parquet."""
    exe = _chromium()
    view = "#commodity=wheat&year=2020&region=USA&scenario=soy_tariff"
    dom = _headless(exe, "--dump-dom", page.as_uri() + view).stdout
    assert 'data-ready="1"' in dom
    subs = re.findall(r'<div class="sub">(.*?)</div>', dom)
    assert any(s.startswith("USA · wheat · soy_tariff") for s in subs), subs
    assert any(s.startswith("wheat · 2020 · soy_tariff") for s in subs), subs
    f = pd.read_parquet(run_dir / "flows.parquet")
    top = f[(f.scenario == "soy_tariff") & (f.period == 2020) & (f.commodity == "wheat")].nlargest(1, "flow")
    first = re.search(r'<table class="values" id="flow-table">.*?<tbody><tr>(.*?)</tr>', dom, re.S)[1]
    cells = re.findall(r"<td>(?:<span[^>]*></span>)?(.*?)</td>", first)
    assert cells[:2] == [top.exporter.iloc[0], top.importer.iloc[0]]


def test_a_run_without_embodied_accounts_and_a_failed_scenario(tmp_path):
    """A run from a dict without embodied accounts: the embodied panel says so; a scenario recorded
    as failed in summary.json is named in the header."""
    import petra

    spec = {**yaml.safe_load(SMALL), "scenarios": {"SSP2": {}}}
    petra.run(spec, embodied=False, out=tmp_path / "run")
    summary_path = tmp_path / "run" / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["scenarios"]["broken"] = {"ok": False, "failure": "certificate 0.1 > 1e-06"}
    summary_path.write_text(json.dumps(summary))
    path, size = write_explorer(tmp_path / "run")
    d = embedded(path)
    assert d["embodied"] is None and d["scenarios"] == ["SSP2"] and d["scenario_file"] == ""
    assert d["failed"] == ["broken: certificate 0.1 > 1e-06"] and size == path.stat().st_size
    exe = shutil.which("chromium")
    if exe is None:
        return
    dom = _headless(exe, "--dump-dom", path.as_uri()).stdout
    assert "this run has no embodied-resource accounts" in dom
    assert "Not shown, failed (see run_log.csv): broken: certificate 0.1 &gt; 1e-06" in dom


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "summary.json").write_text("{not json"), "summary.json: cannot be read (JSONDecodeError"),
    (lambda d: (d / "flows.parquet").write_bytes(b"PAR1 broken"), "flows.parquet: cannot be read"),
    (lambda d: (d / "iamc.csv").unlink(), "iamc.csv is missing"),
    (lambda d: pd.read_parquet(d / "flows.parquet").assign(importer="Atlantis")
     .to_parquet(d / "flows.parquet"),
     "the run's files disagree: importer 'Atlantis' is not in markets.parquet"),
])
def test_a_damaged_run_is_one_line_exit_2_and_nothing_written(run_dir, tmp_path, damage, message):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("explorer.html"))
    damage(copy)
    res = runner.invoke(app, ["explore", str(copy)])
    assert res.exit_code == 2 and message in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (copy / "explorer.html").exists() and not list(copy.glob(".explorer.html*"))
