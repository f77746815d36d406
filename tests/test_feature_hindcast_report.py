"""The hindcast report (report.html): headline numbers as in metrics.csv, every definition, one panel
per commodity the focus region trades, one colour per region (petra.palette), self-contained."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from petra.calibration import hindcast_math as hm
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import synthetic_history
from petra.calibration.hindcast import METHODS, run_hindcast
from petra.calibration.hindcast_output import write_hindcast
from petra.calibration.hindcast_report import focus_figures, write_report
from petra.palette import OTHER, OTHER_COLOUR, region_colour, region_marker
from petra.synthetic import world_dataset

LABELS = {"petra": "petra", "petra_held": "petra, quantities held", "persistence": "persistence",
          "last_year_shares": "last-year shares", "net_only_ras": "net-only RAS",
          "net_only_ras_last": "net-only RAS, last-year seed", "ras": "RAS (told gross totals)"}
FOCUS = "R000"


@pytest.fixture(scope="module")
def result():
    """A small synthetic hindcast: base 2011, evaluation 2013 and 2015 (a gap year between)."""
    cfg = CalibrationConfig(unused_margin=0.01)
    cal = calibrate_base_year(world_dataset(6, 2, seed=4), cfg).dataset
    hist = synthetic_history(cal, [2011, 2012, 2013, 2014, 2015], {"c00": 1.5, "c01": 2.5},
                             {"c00": 0.5, "c01": 1.0}, sigma=0.15, seed=2)
    hist = hist.replace(routes=hist.routes.assign(cost_adjustment=0.0),
                        metadata={"title": "synthetic", "base_year": 2010})
    return run_hindcast(hist, 2011, [2013, 2015], config=cfg)


def settings_of(r) -> dict:
    return {"dataset": "synthetic", "base_year": r.years["base_year"], "eval_years": r.years["eval_years"],
            "fit_years": r.years["fit_years"], "policy": None, "scenario": None, "focus_region": FOCUS}


@pytest.fixture(scope="module")
def out(result, tmp_path_factory):
    """The full output folder, written the way `petra hindcast` writes it."""
    folder = tmp_path_factory.mktemp("hc") / "out"
    write_hindcast(result, folder, settings=settings_of(result), inputs=[], title="synthetic hindcast",
                   focus_region=FOCUS, unit="kt")
    return folder


@pytest.fixture(scope="module")
def page(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def write_page(r, tmp_path, focus=FOCUS) -> str:
    path = tmp_path / "report.html"
    write_report(path, r, title="t", focus_region=focus, unit="kt", settings=settings_of(r))
    return path.read_text(encoding="utf-8")


def table(page: str, table_id: str) -> dict[str, list[str]]:
    """{row header: [cell texts]} of the body of the table with this id."""
    m = re.search(rf"<table[^>]*id='{table_id}'[^>]*>.*?<tbody>(.*?)</tbody></table>", page, re.S)
    assert m, f"no table {table_id}"
    rows = {}
    for head, rest in re.findall(r"<tr[^>]*><th class='l'[^>]*>(.*?)</th>(.*?)</tr>", m.group(1), re.S):
        rows[html.unescape(head)] = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rest, re.S)]
    return rows


def best_cells(page: str, table_id: str) -> dict[str, list[int]]:
    m = re.search(rf"<table[^>]*id='{table_id}'[^>]*>.*?<tbody>(.*?)</tbody></table>", page, re.S)
    out = {}
    for head, rest in re.findall(r"<tr[^>]*><th class='l'[^>]*>(.*?)</th>(.*?)</tr>", m.group(1), re.S):
        cls = re.findall(r"<td(?: class='([^']*)')?>", rest)
        out[html.unescape(head)] = [i for i, c in enumerate(cls) if "best" in c.split()]
    return out


def docstring_bullets() -> list[str]:
    """The '* ' items of hindcast_math's docstring, continuation lines joined."""
    items, open_item = [], False
    for line in hm.__doc__.splitlines():
        if line.startswith("* "):
            items.append(line[2:].strip())
            open_item = True
        elif open_item and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()
        else:
            open_item = False
    return items


def traded(r, region) -> set[str]:
    f = r.flows
    mine = f[(f["importer"] == region) | (f["exporter"] == region)]
    return set(mine.loc[(mine["observed"] > 0) | (mine["petra"] > 0), "commodity"])


# ------------------------------------------------------------------------------------ summary


def test_headline_numbers_are_those_of_metrics_csv(out, page):
    met = pd.read_csv(out / "metrics.csv", dtype={"year": str})
    pooled = met[(met["commodity"] == "all") & (met["year"] == "all")].set_index("method")
    rows = table(page, "headline")
    assert list(rows) == [LABELS[m] for m in METHODS]
    for m in METHODS:
        want = [f"{pooled.loc[m, k]:.3f}" for k in ("wape", "r2_log", "partner_misallocation")]
        assert rows[LABELS[m]] == want, m
    # the best per column is highlighted: lowest WAPE and misallocation, highest r2_log
    best = best_cells(page, "headline")
    for col, (k, pick) in enumerate([("wape", min), ("r2_log", max), ("partner_misallocation", min)]):
        shown = {m: round(pooled.loc[m, k], 3) for m in METHODS}
        winners = {LABELS[m] for m, v in shown.items() if v == pick(shown.values())}
        assert {lab for lab, cols in best.items() if col in cols} == winners, k


def test_verdict_compares_petra_with_every_baseline(out, page):
    met = pd.read_csv(out / "metrics.csv", dtype={"year": str})
    w = met[(met["commodity"] == "all") & (met["year"] == "all")].set_index("method")["wape"]
    verdict = html.unescape(re.search(r"id='verdict'>(.*?)</p>", page, re.S).group(1))
    assert verdict.startswith(f"petra's pooled WAPE {w['petra']:.3f} is ")
    for m in ("petra_held", "persistence", "last_year_shares", "net_only_ras", "net_only_ras_last", "ras"):
        rel = ("lower than" if round(w["petra"], 3) < round(w[m], 3) else
               "higher than" if round(w["petra"], 3) > round(w[m], 3) else "equal to")
        assert f"{LABELS[m]} ({w[m]:.3f})" in verdict
        # the baseline is listed under the right comparison
        groups = re.split(r"(lower than|higher than|equal to)", verdict)
        where = [groups[i - 1] for i in range(1, len(groups)) if f"{LABELS[m]} (" in groups[i]]
        assert where == [rel], (m, verdict)


def test_summary_states_the_run_and_the_out_of_sample_rule(result, page):
    summary = re.search(r"<section id='summary'>(.*?)</section>", page, re.S).group(1)
    text = html.unescape(re.sub(r"<[^>]+>", " ", summary))
    assert "2011" in text and "2013, 2015" in text
    assert "observed production and consumption as drivers" in text
    assert "no evaluation-year flow or price reached the model" in text
    assert "Warnings and notes" in text and result.notes[0] in text  # the result's notes are warnings


def test_warnings_for_ras_and_notes(result, tmp_path):
    ras = {2013: {"iterations": 2000, "converged": False, "margin_error": 0.0012, "unreachable": 8},
           2015: {"iterations": 12, "converged": True, "margin_error": 1e-12, "unreachable": 0}}
    page = write_page(dataclasses.replace(result, ras=ras, notes=["a note to read"]), tmp_path)
    warn = html.unescape(re.search(r"<div class='warn'>(.*?)</div>", page, re.S).group(1))
    assert "RAS 2013: did not converge" in warn and "8 exporter or importer totals" in warn
    assert "RAS 2015" not in warn
    assert "a note to read" in warn
    calm = write_page(dataclasses.replace(result, ras={2015: ras[2015]}, notes=[]), tmp_path)
    assert "class='warn'" not in calm


# ------------------------------------------------------------------------------------ definitions


def test_every_metric_and_baseline_is_defined(page):
    text = html.unescape(page)
    bullets = docstring_bullets()
    assert len(bullets) >= 5  # WAPE, r2_log, misallocation, carried shares, RAS
    for b in bullets:
        assert b in text, b
    defs = html.unescape(re.search(r"id='definitions'>(.*?)<h2", page, re.S).group(1))
    for name in ("WAPE", "r2_log", "partner misallocation", "pooled", "persistence", "last-year shares",
                 *(LABELS[m] for m in METHODS if m != "petra")):
        assert f"<dt>{name}</dt>" in defs, name
    # the information caveat: RAS gets gross totals, petra and the net-only RAS only net trade
    assert "gross" in defs and "net" in defs and "RAS has the most information of all" in defs
    assert "<b>The fair baseline.</b>" in defs


# ------------------------------------------------------------------------------------ tables


def test_score_tables_are_three_digit_decimals(out, page):
    met = pd.read_csv(out / "metrics.csv", dtype={"year": str})
    by_c = table(page, "wape-by-commodity")
    for c in ("c00", "c01"):
        row = met[(met["commodity"] == c) & (met["year"] == "all")].set_index("method")["wape"]
        assert by_c[c][1:] == [f"{row[m]:.3f}" for m in METHODS]
    by_y = table(page, "scores-by-year")
    assert set(by_y) == {"2013", "2015", "pooled"}
    for cells in [*by_c.values(), *by_y.values()]:
        for cell in cells:
            assert not re.search(r"\de[-+]?\d", cell), cell
    for cells in by_y.values():
        assert all(re.fullmatch(r"-?\d+\.\d{3}|n/a", c) for c in cells), cells


def test_fit_parameters_render_every_column(result, tmp_path):
    assert "id='fit-parameters'" not in write_page(result, tmp_path)
    params = pd.DataFrame({"commodity": ["c00", "c01"], "brand_new_column": [0.123456789, 12345.678],
                           "routes": [30, 30], "status": ["ok", "`xtol` reached"],
                           "bounded": [np.inf, np.nan]})
    fit = SimpleNamespace(parameters=params, years=[2012], seconds=1.5)
    page = write_page(dataclasses.replace(result, fit=fit), tmp_path)
    t = re.search(r"<table[^>]*id='fit-parameters'[^>]*>(.*?)</table>", page, re.S).group(1)
    heads = [html.unescape(re.sub(r"<wbr>", "", h)) for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", t)]
    assert heads == list(params.columns)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", t)]
    assert cells[:5] == ["c00", "0.1235", "30", "ok", "inf"]
    assert cells[5:] == ["c01", "12,350", "30", "`xtol` reached", "n/a"]
    # a wide table (more columns than fit on a page) is transposed: every column still shown, long
    # texts as a list below it
    wide = params.assign(status=["a long solver message for c00", "a long solver message for c01"],
                         **{f"extra_{k}": [k + 0.5, -k - 0.25] for k in range(15)})
    page = write_page(dataclasses.replace(result, fit=SimpleNamespace(parameters=wide)), tmp_path)
    rows = {html.unescape(re.sub(r"<wbr>", "", h)): v for h, v in table(page, "fit-parameters").items()}
    assert set(rows) | {"commodity", "status"} == set(wide.columns)
    assert rows["extra_3"] == ["3.5", "-3.25"] and rows["brand_new_column"] == ["0.1235", "12,350"]
    after = html.unescape(re.search(r"id='fit-parameters'.*?</table>(.*?)</div>", page, re.S).group(1))
    assert "c00: a long solver message for c00" in after and "c01: a long solver message for c01" in after


# ------------------------------------------------------------------------------------ focus panels


def test_one_panel_per_commodity_the_focus_region_trades(result, page, tmp_path):
    want = traded(result, FOCUS)
    assert want == {"c00", "c01"}
    assert set(re.findall(r"<figure id='focus-([^']+)'", page)) == want
    assert page.count("data:image/png;base64,") == len(want)
    # a commodity without any trade of the region gets no panel
    f = result.flows
    touch = ((f["importer"] == FOCUS) | (f["exporter"] == FOCUS)) & (f["commodity"] == "c01")
    quiet = f.copy()
    quiet.loc[touch, ["observed", "petra"]] = 0.0
    less = write_page(dataclasses.replace(result, flows=quiet), tmp_path)
    assert set(re.findall(r"<figure id='focus-([^']+)'", less)) == {"c00"}
    assert less.count("data:image/png;base64,") == 1


def test_panels_show_main_partners_with_one_colour_per_region(result):
    figs = focus_figures(result, FOCUS, "kt")
    assert [c for c, _ in figs] == ["c00", "c01"]
    seen: dict[str, set] = {}
    for commodity, fig in figs:
        a, b = fig.axes[:2]
        net = [ln for ln in a.get_lines() if (ln.get_gid() or "").startswith("net:")]
        assert {ln.get_gid() for ln in net} == {f"net:{FOCUS}:observed", f"net:{FOCUS}:petra"}
        partners = [ln for ln in b.get_lines() if (ln.get_gid() or "").startswith("partner:")]
        names = {ln.get_gid().split(":")[1] for ln in partners}
        assert FOCUS not in names and len(names - {OTHER}) <= 5
        f = result.flows[(result.flows["commodity"] == commodity)]
        imports = f[f["importer"] == FOCUS].groupby("exporter")["observed"].sum()
        exports = f[f["exporter"] == FOCUS].groupby("importer")["observed"].sum()
        side = imports if imports.sum() >= exports.sum() else exports
        top = set(side[side > 0].sort_values(ascending=False).index[:5])
        assert top <= names
        for ln in net + partners:
            _, region, kind = ln.get_gid().split(":")
            seen.setdefault(region, set()).add(ln.get_color())
            # observed solid with filled markers, petra dashed with hollow ones
            assert (ln.get_linestyle() == "-") == (kind == "observed")
            assert (ln.get_markerfacecolor() == "none") == (kind == "petra")
        # partner lines cover the whole history (every observed year up to the last evaluation year)
        x = np.asarray(partners[0].get_xdata(), dtype=float)
        assert sorted(set(x[np.isfinite(x)])) == sorted(result.history["year"].unique())
    for region, colours in seen.items():
        assert colours == {region_colour(region)}, region
    assert len({region_colour(r) for r in seen if r != OTHER}) > 1
    if OTHER in seen:
        assert seen[OTHER] == {OTHER_COLOUR}
    import matplotlib.pyplot as plt

    for _, fig in figs:
        plt.close(fig)


def test_palette_is_a_stable_pure_function():
    names = ["CHN", "ChinaReg", "USA", "USAReg", "EU", "ROW", "R000", "R001", "WesternAf", "Pacific_Islands"]
    first = [(region_colour(n), region_marker(n)) for n in names]
    assert first == [(region_colour(n), region_marker(n)) for n in names]
    assert region_colour("CHN") == region_colour("ChinaReg") != region_colour("USA")
    assert region_colour("USA") == region_colour("USAReg")
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c, _ in first)
    assert region_colour(OTHER) == OTHER_COLOUR and OTHER_COLOUR not in {c for c, _ in first}
    # the same in another interpreter with another string-hash seed (no use of Python's hash())
    code = ("import json; from petra.palette import region_colour, region_marker; "
            f"print(json.dumps([[region_colour(n), region_marker(n)] for n in {names!r}]))")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert [tuple(x) for x in json.loads(again.stdout)] == first


# ------------------------------------------------------------------------------------ page


def test_page_is_self_contained_and_compact(out, page):
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "src='data:image/png;base64," in page
    assert (out / "report.html").stat().st_size < 1_000_000
    for section in ("id='summary'", "id='definitions'", "id='scores'", "id='focus'", "id='checks'"):
        assert section in page
    assert page.index("id='summary'") < page.index("id='focus'") < page.index("id='scores'") \
        < page.index("id='definitions'") < page.index("id='checks'")
    assert "id='calibration-check'" in page and "id='timings'" in page


def test_lines_break_at_years_without_data():
    from petra.calibration.focus_panels import gap_segments

    x, y = gap_segments(np.array([2013, 2010, 2011]), np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(x[:2], [2010, 2011])
    assert np.isnan(x[2]) and np.isnan(y[2]) and x[3] == 2013 and y[3] == 3.0


def test_glossary_defines_every_metric_name_that_appears(out, page):
    """Every column of metrics.csv is defined (the metrics as in hindcast_math's docstring) and every
    metric label of the score tables has a plain definition."""
    gloss = re.search(r"<dl class='glossary'[^>]*>(.*?)</dl>", page, re.S).group(1)
    defined = {html.unescape(x): html.unescape(d) for x, d in
               re.findall(r"<dt><code>(.*?)</code></dt><dd>(.*?)</dd>", gloss, re.S)}
    met = pd.read_csv(out / "metrics.csv")
    assert set(met.columns) <= set(defined)
    bullets = docstring_bullets()
    for col, start in (("wape", "WAPE"), ("r2_log", "r2_log"), ("partner_misallocation", "partner")):
        want = next(b for b in bullets if b.startswith(start))
        assert defined[col].startswith(want), col
    assert f"FLOW_FLOOR_SHARE = {hm.FLOW_FLOOR_SHARE:g}" in defined["r2_log"]
    defs = html.unescape(re.search(r"id='definitions'>(.*?)<h2", page, re.S).group(1))
    heads = set()
    for tid in ("headline", "scores-by-year"):
        t = re.search(rf"<table[^>]*id='{tid}'[^>]*><thead>(.*?)</thead>", page, re.S).group(1)
        heads |= {html.unescape(re.sub(r"<[^>]+>.*", "", h)).strip()
                  for h in re.findall(r"<th[^>]*>(.*?)</th>", t, re.S)}
    metric_heads = heads & {"WAPE", "r2_log", "partner misallocation"}
    assert metric_heads == {"WAPE", "r2_log", "partner misallocation"}
    for h in metric_heads:
        assert f"<dt>{h}</dt>" in defs, h


def test_focus_lines_never_bridge_a_year_without_data(result):
    """On the plotted data: two points are joined only if they are one year apart."""
    figs = focus_figures(result, FOCUS, "Mt", scale=1e-3)
    checked = 0
    for _, fig in figs:
        for ax in fig.axes:
            for ln in ax.get_lines():
                if not ln.get_gid():
                    continue
                x = np.asarray(ln.get_xdata(), dtype=float)
                y = np.asarray(ln.get_ydata(), dtype=float)
                ok = np.isfinite(x) & np.isfinite(y)
                joined = ok[:-1] & ok[1:]
                assert (np.diff(x)[joined] == 1).all(), (ln.get_gid(), x, y)
                checked += 1
    assert checked >= 4
    # petra has no value before the base year: its lines start there
    for _, fig in figs:
        for ln in fig.axes[0].get_lines():
            if (ln.get_gid() or "").endswith(":petra"):
                x = np.asarray(ln.get_xdata(), dtype=float)
                y = np.asarray(ln.get_ydata(), dtype=float)
                assert x[np.isfinite(y)].min() == result.years["base_year"]
    import matplotlib.pyplot as plt

    for _, fig in figs:
        plt.close(fig)


def test_settings_are_a_table_and_numbers_plain(page):
    grid = re.search(r"<div class='settings-grid'[^>]*>(.*?)</div>", page, re.S).group(1)
    for key in ("base_year", "eval_years", "focus_region"):
        assert f"<th class='l'>{key}</th>" in grid, key
    text = html.unescape(page)
    assert re.search(r"<details><summary>settings \(JSON\)</summary><pre>\{", text)
    visible = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", visible, re.S)]
    assert cells and not [c for c in cells if re.search(r"\de[-+]?\d", c)]
    # quantities in Mt (the fixture's data are in kt)
    assert "<th>quantities</th><td>Mt</td>" in page


def test_summary_warns_of_fitted_values_not_identified(result, tmp_path):
    params = pd.DataFrame({"commodity": ["c00", "c01"], "expansion_elasticity": [2.0, 3.0],
                           "elasticity_identified": ["yes", "weak"],
                           "slope_identified": ["no: at bound", "yes"]})
    page = write_page(dataclasses.replace(result, fit=SimpleNamespace(parameters=params, years=[2012])),
                      tmp_path)
    warn = html.unescape(re.search(r"<div class='warn'>(.*?)</div>", page, re.S).group(1))
    assert "1 of 2 fitted elasticity values are not well identified (weak): c01." in warn
    assert "1 of 2 fitted slope values are not well identified (no: at bound): c00." in warn
    ok = params.assign(elasticity_identified="yes", slope_identified="yes")
    page = write_page(dataclasses.replace(result, fit=SimpleNamespace(parameters=ok, years=[2012])), tmp_path)
    assert "not well identified" not in page
