"""The calibration report: metrics by hand, tables beside a self-contained HTML page."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib.colors
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
    cal = cal.replace(metadata={**cal.metadata, "base_year": 2010})  # the history's years count from 2010
    hist = synthetic_history(cal, [2015, 2016], {"c00": 1.5, "c01": 2.5}, {"c00": 0.5, "c01": 1.0},
                             sigma=0.15, seed=2)
    # the "observed" base year is the calibrated one (cost adjustments dropped, as data would be)
    hist = hist.replace(routes=hist.routes.assign(cost_adjustment=0.0),
                        metadata={"title": "synthetic", "base_year": 2010,
                                  "units": {"quantity": "kt", "price": "USD(2010)/t"}})  # world_dataset's
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


# ---------------------------------------------------------------------------- the page a modeller reads

FOCUS = "R000"


@pytest.fixture(scope="module")
def report(history_dir, tmp_path_factory):
    """One calibration with validation and fit years, written as `petra calibrate` writes it."""
    cfg = CalibrationConfig(method="exact", unused_margin=0.01, focus_region=FOCUS, main_partners=3)
    out = tmp_path_factory.mktemp("cal") / "out"
    run = run_calibration(history_dir, out, cfg, validate=[2015, 2016], fit=[2015, 2016])
    return run, out, (out / "report.html").read_text(encoding="utf-8")


def rows_of(page: str, table_id: str) -> list[list[str]]:
    """Body rows (cell texts, header cells included) of the table with this id."""
    m = re.search(rf"<table[^>]*id='{table_id}'[^>]*>.*?<tbody>(.*?)</tbody></table>", page, re.S)
    assert m, table_id
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(cells, r, re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S)]


def head_of(page: str, table_id: str) -> list[str]:
    m = re.search(rf"<table[^>]*id='{table_id}'[^>]*><thead>(.*?)</thead>", page, re.S)
    assert m, table_id
    heads = re.findall(r"<th[^>]*>(.*?)</th>", m.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in heads]


def section(page: str, ident: str) -> str:
    return re.search(rf"<section id='{ident}'>(.*?)</section>", page, re.S).group(1)


def test_summary_scores_are_those_of_metrics_csv(report):
    run, out, page = report
    summary = section(page, "summary")
    met = pd.read_csv(out / "metrics.csv")
    rows = rows_of(summary, "validation")
    assert head_of(summary, "validation") == ["year", "weighted_mape", "r2_log", "hit_ratio",
                                              "volume_within_10pct", "r2"]
    assert [r[0] for r in rows] == ["2015", "2016"]
    for r in rows:
        want = met[(met["year"] == int(r[0])) & (met["commodity"] == "all")].iloc[0]
        assert r[1:] == [f"{want[k]:.3f}" for k in ("weighted_mape", "r2_log", "hit_ratio",
                                                     "volume_within_10pct", "r2")]
    # the base year's reproduction errors: settings.json's check as percentages
    check = json.loads((out / "settings.json").read_text())["base_year_check"]
    for name, cell in rows_of(summary, "reproduction"):
        v = 100 * check[name]
        assert cell == ("0 %" if v == 0 else "< 0.0001 %" if v < 1e-4 else f"{v:.2g} %" if v < 0.1
                        else f"{v:.1f} %"), name


def test_summary_says_what_was_calibrated_and_how_validation_is_driven(report):
    run, out, page = report
    text = html.unescape(re.sub(r"<[^>]+>", " ", section(page, "summary")))
    assert "base year 2010 was calibrated" in text
    assert "Validation years use observed production and consumption" in text
    assert "net imports match the observations by construction" in text
    # the fitted parameters with their identification flags, one row per fitted commodity
    fit = run.fit.parameters
    rows = rows_of(section(page, "summary"), "fit")
    heads = head_of(section(page, "summary"), "fit")
    assert [r[0] for r in rows] == list(fit["commodity"])
    for r, (_, p) in zip(rows, fit.iterrows(), strict=True):
        got = dict(zip(heads, r, strict=True))
        assert got["elasticity_identified"] == p["elasticity_identified"]
        assert got["slope_identified"] == p["slope_identified"]
        lo, hi = got["expansion_elasticity"].split("[")[1].rstrip("]").split(" – ")
        assert float(lo.replace(",", "")) == pytest.approx(p["expansion_elasticity_low"], rel=1e-3)
        assert float(hi.replace(",", "")) == pytest.approx(p["expansion_elasticity_high"], rel=1e-3)
    # the summary comes first and fits on a screen: no figure in it
    assert page.index("<section id='summary'>") < page.index("id='focus'") < page.index("id='tables'") \
        < page.index("id='glossary-section'") < page.index("id='settings-section'")
    assert "data:image" not in section(page, "summary")


def test_glossary_defines_every_name_the_page_shows(report):
    _, out, page = report
    gloss = re.search(r"<dl class='glossary'[^>]*>(.*?)</dl>", page, re.S).group(1)
    defined = {html.unescape(x) for x in re.findall(r"<dt><code>(.*?)</code></dt>", gloss)}
    body = page[:page.index("id='glossary-section'")]
    shown = set()
    for tid in re.findall(r"<table[^>]*id='([^']+)'", body):
        if "<thead>" in body.split(f"id='{tid}'", 1)[1].split("</table>", 1)[0]:
            shown |= set(head_of(body, tid))
    shown |= {r[0] for r in rows_of(body, "reproduction")}
    ids = {"year", "commodity", "exporter", "importer", "group", "quantity"}
    assert {s for s in shown if not s.isdigit()} - ids - defined == set()  # years head columns too
    met = pd.read_csv(out / "metrics.csv")
    assert set(met.columns) - ids - defined == set()  # every metric of metrics.csv too
    # the definitions are those of the code: r2_log on log10 with the 1e-3 floor, WAPE sum|m-o|/sum o
    assert "log10(x + f) with f = 1e-3" in html.unescape(gloss)
    assert "sum |m - o| / sum o" in html.unescape(gloss)


def test_numbers_are_for_people_and_settings_a_table(report):
    _, out, page = report
    visible = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    visible = re.sub(r"<img[^>]*>", "", visible)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", visible, re.S)]
    assert cells and not [c for c in cells if re.search(r"\de[-+]?\d", c)]
    # quantities in the IAMC units: the data are in kt and USD(2010)/t, the page in Mt and USD_2010/t
    facts = html.unescape(re.search(r"<table class='facts'>(.*?)</table>", page, re.S).group(1))
    assert "<th>quantities</th><td>Mt</td>" in facts and "<th>prices</th><td>USD_2010/t</td>" in facts
    comp = pd.read_csv(out / "flows_comparison.csv")
    total = comp.loc[comp["year"] == 2010, "observed"].sum()
    row = rows_of(page, "metrics-all")[0]
    cell = row[head_of(page, "metrics-all").index("observed_volume")]
    assert float(cell.replace(",", "")) == pytest.approx(total / 1000, rel=1e-3)
    # settings: readable rows, the raw JSON only in a collapsed block
    settings = json.loads((out / "settings.json").read_text())
    grid = re.search(r"<div class='settings-grid'[^>]*>(.*?)</div>", page, re.S).group(1)
    for key in ("method", "unused_margin", "focus_region", "default_expansion_elasticity"):
        assert f"<th class='l'>{key}</th>" in grid, key
    assert settings["config"]["method"] in grid
    text = html.unescape(page)
    assert text.count('"config": {') == 1 and re.search(r"<details>.*\"config\": \{.*</details>", text, re.S)


def test_panels_over_every_observed_year_break_at_gaps(history_dir):
    """The panels' data: observed every observed year, petra in the base year and validation years;
    a line never joins two points with a year between them (on the plotted data)."""
    from petra.calibration.focus_panels import focus_figures
    from petra.calibration.run import panel_data
    from petra.dataset import load_dataset

    ds = load_dataset(history_dir)
    cfg = CalibrationConfig(method="exact", unused_margin=0.01)
    run = calibrate(ds, cfg, validate=[2016])
    panels = panel_data(ds, run.comparison, [2016], [])
    assert sorted(panels.history["year"].unique()) == [2010, 2015, 2016]
    h = panels.history
    assert h.loc[h["year"] == 2015, "petra"].isna().all()
    assert h.loc[h["year"] != 2015, "petra"].notna().all()
    # net imports by hand from the observed 2015 flows
    of = ds.observed_flows[ds.observed_flows["year"] == 2015]
    hand = (of[of["importer"] == FOCUS].groupby("commodity")["flow"].sum()
            .sub(of[of["exporter"] == FOCUS].groupby("commodity")["flow"].sum(), fill_value=0.0))
    net = panels.net_imports
    got = net[(net["year"] == 2015) & (net["region"] == FOCUS)].set_index("commodity")["observed"]
    pd.testing.assert_series_equal(got.sort_index(), hand.sort_index(), check_names=False)
    figs = focus_figures(panels, FOCUS, "Mt", scale=1e-3)
    assert figs
    lines = [ln for _, fig in figs for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()]
    assert lines
    for ln in lines:
        x = np.asarray(ln.get_xdata(), dtype=float)
        y = np.asarray(ln.get_ydata(), dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        joined = ok[:-1] & ok[1:]
        assert (np.diff(x)[joined] == 1).all(), (ln.get_gid(), x, y)
        if ln.get_gid().endswith(":petra"):  # the model: 2010 alone, then 2016 alone
            assert set(x[ok]) <= {2010.0, 2016.0} and not joined.any()
    import matplotlib.pyplot as plt

    for _, fig in figs:
        plt.close(fig)


def test_scatter_colours_each_commodity_from_the_palette(report):
    from petra.calibration.report import scatter_figure
    from petra.palette import commodity_colour

    _, out, _ = report
    comp = pd.read_csv(out / "flows_comparison.csv")
    fig = scatter_figure(comp, [("base", [2010]), ("later", [2015, 2016])], 1e-3, "Mt")
    seen = {}
    for ax in fig.axes:
        for coll in ax.collections:
            com = coll.get_gid().split(":")[1]
            seen.setdefault(com, set()).add(matplotlib.colors.to_hex(coll.get_facecolor()[0]))
    assert set(seen) == set(comp["commodity"])
    assert all(c == {commodity_colour(k)} for k, c in seen.items())
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_commodity_colours_are_distinct_fixed_and_stable():
    from petra.palette import COMMODITY_FIXED, OTHER_COLOUR, commodity_colour

    root = Path(__file__).resolve().parents[1] / "data"
    shipped = sorted(set(pd.read_csv(root / "china9" / "commodities.csv")["commodity"])
                     | set(pd.read_csv(root / "globiom37" / "commodities.csv")["commodity"]))
    assert len(shipped) == 13
    colours = [commodity_colour(c) for c in shipped]
    assert len(set(colours)) == 13 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert OTHER_COLOUR not in colours and set(shipped) == set(COMMODITY_FIXED)
    # visibly distinct: every pair differs by more than 60 in some RGB channel
    rgb = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colours]
    for i in range(13):
        for j in range(i + 1, 13):
            assert max(abs(a - b) for a, b in zip(rgb[i], rgb[j], strict=True)) > 60, (shipped[i], shipped[j])
    assert commodity_colour("Bovine meat") == commodity_colour("bovine_meat")
    names = [*shipped, "cassava", "palm_oil"]
    code = ("import json; from petra.palette import commodity_colour; "
            f"print(json.dumps([commodity_colour(n) for n in {names!r}]))")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "777", "PATH": ""})
    assert json.loads(again.stdout) == [commodity_colour(n) for n in names]


def test_report_units_are_the_iamc_ones():
    from petra.calibration.report_html import display_price, display_quantity
    from petra.embodied.units import factor

    for unit in ("kt", "t", "Mt", "kt (1000 t, primary equivalent)"):
        label, f = display_quantity(unit)
        assert label == "Mt" and f == pytest.approx(factor(unit.split(" ")[0], "Mt"))
    assert display_quantity("head") == ("head", 1.0)
    assert display_price("USD(2010)/t") == "USD_2010/t"


def test_focus_region_by_canonical_name_then_largest_importer():
    from petra.calibration.focus_panels import focus_region_in

    net = pd.DataFrame({"region": ["A", "B", "B", "ChinaReg"], "observed": [5.0, 4.0, 3.0, -9.0]})
    assert focus_region_in(["A", "B", "ChinaReg"], "CHN", net) == "ChinaReg"
    assert focus_region_in(["A", "B", "ChinaReg"], "B", net) == "B"
    assert focus_region_in(["A", "B"], "CHN", net) == "B"  # 4 + 3 > 5


def test_every_fit_column_is_defined_where_the_fit_is_shown(report, tmp_path):
    """FIT_COLUMNS (one home) defines every column a real fit reports; the hindcast's fit table is
    followed by their definitions."""
    from petra.calibration.fit import FIT_COLUMNS
    from petra.calibration.hindcast_report import write_report as write_hindcast_report

    run, _, _ = report
    cols = [c for c in run.fit.parameters.columns if c != "commodity"]
    assert set(cols) <= set(FIT_COLUMNS), set(cols) - set(FIT_COLUMNS)
    fake = SimpleNamespace(metrics=pd.DataFrame(columns=["method", "commodity", "year", "wape", "r2_log",
                                                         "partner_misallocation", "observed_total"]),
                           flows=pd.DataFrame(columns=["year", "exporter", "importer", "commodity",
                                                       "observed", "petra"]),
                           history=None, net_imports=pd.DataFrame(), fit=run.fit, ras={}, notes=[],
                           timings={}, calibration_check={},
                           years={"base_year": 2010, "eval_years": [], "fit_years": [2015, 2016]})
    path = tmp_path / "r.html"
    write_hindcast_report(path, fake, title="t", focus_region=FOCUS, unit="kt", settings={})
    gloss = re.search(r"<dl class='glossary' id='fit-glossary'>(.*?)</dl>", path.read_text(), re.S).group(1)
    assert [html.unescape(x) for x in re.findall(r"<dt><code>(.*?)</code></dt>", gloss)] == \
        [c for c in FIT_COLUMNS if c in cols]


def test_a_153_region_dataset_of_markets_and_routes_alone_gets_its_report(tmp_path):
    # before: the calibration succeeded, then writing the report crashed (focus_panels.py:173 ValueError:
    # invalid literal for int() with base 10: 'base'): without dataset.toml there is no base year
    from builders import peer_instance
    from typer.testing import CliRunner

    from petra.cli import app
    from petra.dataset import load_dataset

    folder = peer_instance(tmp_path / "peer")
    assert sorted(p.name for p in folder.iterdir()) == ["markets.csv", "routes.csv"]
    ds = load_dataset(folder)
    assert len(ds.markets) == 153 and ds.markets["commodity"].nunique() == 1
    imports = ds.routes.groupby("importer")["flow"].sum().reindex(ds.markets["region"], fill_value=0)
    exports = ds.routes.groupby("exporter")["flow"].sum().reindex(ds.markets["region"], fill_value=0)
    balance = ds.markets["production"].to_numpy() + imports.to_numpy() - exports.to_numpy()
    np.testing.assert_allclose(balance, ds.markets["consumption"].to_numpy(), rtol=1e-12)   # consistent
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["calibrate", str(folder), "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text()
    assert "names no base year" in page and "None" not in page
    flows = pd.read_csv(out / "flows_comparison.csv")
    np.testing.assert_allclose(flows["observed"].sum(), ds.routes["flow"].sum(), rtol=1e-12)
