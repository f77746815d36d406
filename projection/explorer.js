/* petra explorer: browse a `petra run` output offline. Vanilla JavaScript drawing inline SVG; the
   data are the JSON in <script id="petra-data"> (written by petra.projection.explorer). */
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("petra-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const S = {};  // selection state

  // ---------- small helpers ----------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e12) return (v / 1e12).toPrecision(3) + " T";
    if (a >= 1e9) return (v / 1e9).toPrecision(3) + " G";
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + " M";
    if (a >= 1e4) return (v / 1e3).toPrecision(3) + " k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toPrecision(3);
    return v.toPrecision(2);
  }
  function fmtFull(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(5)).toString();
  }
  function fmtTick(t, ticks) {
    // as many decimals as the tick step needs (25, 2.5, 0.25), large values with k/M/G
    const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(t) || 1;
    if (Math.max(...ticks.map(Math.abs)) >= 1e4) return fmt(t);
    let dec = 0;
    while (dec < 6 && Math.abs(Math.round(step * Math.pow(10, dec)) - step * Math.pow(10, dec)) > 1e-6 * Math.pow(10, dec)) dec++;
    return t.toFixed(dec);
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1); }
    const raw = (hi - lo) / Math.max(n, 1), mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || 10 * mag;
    const ticks = [];
    for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    if (ticks[ticks.length - 1] < hi) ticks.push(ticks[ticks.length - 1] + step);
    return ticks;
  }
  function option(sel, value, text) { const o = el("option", { value: String(value) }, text); sel.appendChild(o); return o; }

  // tooltip
  const tip = el("div", { id: "tip" });
  function showTip(ev, lines) {
    clear(tip);
    lines.forEach((ln, i) => { const d = el("div"); if (i === 0) d.appendChild(el("b", {}, ln)); else d.textContent = ln; tip.appendChild(d); });
    tip.style.display = "block";
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let x = ev.clientX + 14, y = ev.clientY + 12;
    if (x + w > window.innerWidth - 6) x = ev.clientX - w - 14;
    if (y + h > window.innerHeight - 6) y = ev.clientY - h - 12;
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hideTip() { tip.style.display = "none"; }
  function hover(node, lines) {
    node.addEventListener("mousemove", ev => showTip(ev, typeof lines === "function" ? lines() : lines));
    node.addEventListener("mouseleave", hideTip);
    node.appendChild(sv("title", {}, (typeof lines === "function" ? lines() : lines).join("\n")));
  }

  // ---------- data indices ----------
  const NS = D.scenarios.length, NP = D.periods.length, NR = D.regions.length;
  const scenarioIndex = Object.fromEntries(D.scenarios.map((s, i) => [s, i]));
  const regionIndex = Object.fromEntries(D.regions.map((r, i) => [r, i]));
  // IAMC: key variable|scenario|region -> values per year
  const I = D.iamc, NY = I.years.length, iamc = new Map(), iamcRegionsOf = new Map();
  for (let k = 0; k < I.rows.length; k += 3 + NY) {
    const v = I.rows[k], s = I.rows[k + 1], r = I.rows[k + 2];
    iamc.set(v + "|" + s + "|" + r, I.rows.slice(k + 3, k + 3 + NY));
    if (!iamcRegionsOf.has(v)) iamcRegionsOf.set(v, new Set());
    iamcRegionsOf.get(v).add(r);
  }
  // flows: [scenario, period, commodity] -> list of [exporter, importer, flow]
  const flows = new Map();
  for (let k = 0; k < D.flows.length; k += 6) {
    const key = D.flows[k] + "|" + D.flows[k + 1] + "|" + D.flows[k + 2];
    if (!flows.has(key)) flows.set(key, []);
    flows.get(key).push([D.flows[k + 3], D.flows[k + 4], D.flows[k + 5]]);
  }
  const prices = new Map();  // scenario|period|commodity|region -> price
  for (let k = 0; k < D.prices.length; k += 5) prices.set(D.prices.slice(k, k + 4).join("|"), D.prices[k + 4]);
  const emb = new Map();  // scenario|period|indicator -> list of [exporter, importer, value]
  if (D.embodied) {
    const R = D.embodied.rows;
    for (let k = 0; k < R.length; k += 6) {
      const key = R[k] + "|" + R[k + 1] + "|" + R[k + 2];
      if (!emb.has(key)) emb.set(key, []);
      emb.get(key).push([R[k + 3], R[k + 4], R[k + 5]]);
    }
  }
  const regionColour = i => D.region_colours[i];

  // ---------- page ----------
  const app = document.getElementById("app");
  const header = el("header");
  header.appendChild(el("h1", {}, "petra explorer — " + D.run));
  header.appendChild(el("div", { class: "meta" },
    [D.scenario_file && ("scenario file " + D.scenario_file), D.dataset && ("dataset " + D.dataset),
     "periods " + D.periods.join(", "), D.scenarios.length + " scenarios", D.regions.length + " regions",
     D.commodities.length + " commodities", "focus region " + D.focus].filter(Boolean).join("  ·  ")));
  if (D.failed && D.failed.length) header.appendChild(el("div", { class: "meta failed" },
    "Not shown, failed (see run_log.csv): " + D.failed.join("; ")));
  app.appendChild(header);

  const controls = el("div", { class: "controls", id: "controls" });
  function control(id, label, items, value) {
    const lab = el("label", { for: id }, label);
    const sel = el("select", { id: id });
    items.forEach(([v, t]) => option(sel, v, t));
    sel.value = String(value);
    lab.appendChild(sel);
    controls.appendChild(lab);
    return sel;
  }
  // the baseline (black in petra.palette: SSP2, baseline, reference) is the first view, else the first scenario
  const baseline = Math.max(0, D.scenario_colours.indexOf("#000000"));
  const selScenario = control("scenario", "Scenario", D.scenarios.map((s, i) => [i, s + (D.scenario_ok[i] ? "" : " (failed)")]), baseline);
  const focusIdx = Math.max(0, D.regions.indexOf(D.focus));
  const selRegion = control("region", "Region", D.regions.map((r, i) => [i, r + (r === D.focus ? " (focus)" : "")]), focusIdx);
  // the most traded commodity first as default
  const traded = D.commodities.map(() => 0);
  for (let k = 0; k < D.flows.length; k += 6) traded[D.flows[k + 2]] += D.flows[k + 5];
  const topCommodity = traded.indexOf(Math.max(...traded));
  let focusImports = D.commodities.map(() => 0);
  for (let k = 0; k < D.flows.length; k += 6) if (D.flows[k + 4] === focusIdx) focusImports[D.flows[k + 2]] += D.flows[k + 5];
  const defaultCommodity = Math.max(...focusImports) > 0 ? focusImports.indexOf(Math.max(...focusImports)) : Math.max(topCommodity, 0);
  const selCommodity = control("commodity", "Commodity", D.commodities.map((c, i) => [i, c]), defaultCommodity);
  const selYear = control("year", "Year", D.periods.map((p, i) => [i, String(p)]), NP - 1);
  app.appendChild(controls);

  const main = el("main");
  app.appendChild(main);
  function panel(id, title, wide) {
    const p = el("section", { class: "panel" + (wide ? " wide" : ""), id: id });
    const head = el("div", { class: "panel-head" });
    const t = el("div");
    t.appendChild(el("h2", {}, title));
    const sub = el("div", { class: "sub" });
    t.appendChild(sub);
    head.appendChild(t);
    const tools = el("div", { class: "tools" });
    head.appendChild(tools);
    p.appendChild(head);
    const body = el("div", { class: "body" });
    p.appendChild(body);
    main.appendChild(p);
    return { p, sub, tools, body, title: head.querySelector("h2") };
  }

  // ---------- time series panel ----------
  const ts = panel("timeseries", "Time series", true);
  const filt = el("input", { type: "search", id: "variable-filter", placeholder: "filter variables…" });
  const lf = el("label", { for: "variable-filter" }, "Filter"); lf.appendChild(filt); ts.tools.appendChild(lf);
  const lv = el("label", { for: "variable" }, "Variable");
  const selVariable = el("select", { id: "variable" }); lv.appendChild(selVariable); ts.tools.appendChild(lv);
  const lr = el("label", { for: "ts-region" }, "Region");
  const selTsRegion = el("select", { id: "ts-region" }); lr.appendChild(selTsRegion); ts.tools.appendChild(lr);
  const lz = el("label", { for: "from-zero" }, "Axis from 0");
  const fromZero = el("input", { type: "checkbox", id: "from-zero" }); fromZero.checked = true;
  lz.appendChild(fromZero); ts.tools.appendChild(lz);
  I.regions.forEach((r, i) => option(selTsRegion, i, r + (r === D.focus ? " (focus)" : "")));
  selTsRegion.value = String(Math.max(0, I.regions.indexOf(D.focus)));
  function fillVariables() {
    const q = filt.value.trim().toLowerCase(), cur = selVariable.value;
    clear(selVariable);
    const groups = new Map();
    I.variables.forEach((v, i) => {
      if (q && !v.toLowerCase().includes(q)) return;
      const g = v.split("|")[0];
      if (!groups.has(g)) { groups.set(g, el("optgroup", { label: g })); selVariable.appendChild(groups.get(g)); }
      option(groups.get(g), i, v + "  [" + I.units[i] + "]");
    });
    if ([...selVariable.options].some(o => o.value === cur)) selVariable.value = cur;
  }
  fillVariables();
  const defVar = I.variables.findIndex(v => v.startsWith("Agricultural Imports|") && v.endsWith("|" + (D.commodities[defaultCommodity] || "").replace(/_/g, " ")));
  const soyLike = I.variables.findIndex(v => v === "Agricultural Imports|Crops|Oil Crops|Soybean");
  selVariable.value = String(soyLike >= 0 ? soyLike : defVar >= 0 ? defVar : 0);
  const hidden = new Set();

  function lineChart(target, years, series, unit, opts) {
    const W = opts.width || 900, H = opts.height || 300, m = { l: 64, r: 18, t: 12, b: 28 };
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart line-chart" });
    const vals = series.filter(s => !s.hidden).flatMap(s => s.values).filter(v => v !== null && isFinite(v));
    if (!vals.length) { target.appendChild(el("div", { class: "empty" }, "no values for this selection")); return; }
    let lo = opts.fromZero ? Math.min(0, ...vals) : Math.min(...vals), hi = Math.max(...vals);
    if (opts.fromZero && lo < 0 && hi < 0) hi = 0;
    if (!opts.fromZero && hi - lo < 1e-9 * Math.max(Math.abs(hi), 1)) { lo -= Math.abs(lo) * 0.05 || 1; hi += Math.abs(hi) * 0.05 || 1; }
    const ticks = niceTicks(lo, hi, 5); lo = ticks[0]; hi = ticks[ticks.length - 1];
    const x0 = years[0], x1 = years[years.length - 1];
    const X = y => m.l + (x1 > x0 ? (y - x0) / (x1 - x0) : 0.5) * (W - m.l - m.r);
    const Y = v => H - m.b - (v - lo) / (hi - lo) * (H - m.t - m.b);
    const grid = sv("g", { class: "grid" }), axis = sv("g", { class: "axis" });
    ticks.forEach(t => {
      grid.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t) }));
      axis.appendChild(sv("text", { x: m.l - 6, y: Y(t) + 4, "text-anchor": "end" }, fmtTick(t, ticks)));
    });
    years.forEach(y => {
      axis.appendChild(sv("line", { x1: X(y), x2: X(y), y1: H - m.b, y2: H - m.b + 4 }));
      axis.appendChild(sv("text", { x: X(y), y: H - m.b + 16, "text-anchor": "middle" }, String(y)));
    });
    axis.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: Y(lo), y2: Y(lo) }));
    if (lo < 0 && hi > 0) axis.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: Y(0), y2: Y(0), "stroke-dasharray": "3 3" }));
    svg.appendChild(grid); svg.appendChild(axis);
    svg.appendChild(sv("text", { x: 12, y: m.t + (H - m.t - m.b) / 2, transform: `rotate(-90 12 ${m.t + (H - m.t - m.b) / 2})`, "text-anchor": "middle", class: "title" }, unit));
    const dashes = ["", "7 4", "2 3", "9 3 2 3"];
    series.forEach((s, k) => {
      if (s.hidden) return;
      const pts = years.map((y, i) => [y, s.values[i]]).filter(p => p[1] !== null && isFinite(p[1]));
      if (!pts.length) return;
      svg.appendChild(sv("path", { d: "M" + pts.map(p => X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1)).join("L"),
        fill: "none", stroke: s.colour, "stroke-width": s.emph ? 3 : 2, "stroke-dasharray": dashes[k % dashes.length], class: "series" }));
      pts.forEach(p => {
        const c = sv("circle", { cx: X(p[0]), cy: Y(p[1]), r: s.emph ? 4 : 3.2, fill: s.colour, stroke: "#fff", "stroke-width": 1 });
        hover(c, [s.name, p[0] + ": " + fmtFull(p[1]) + " " + unit]);
        svg.appendChild(c);
      });
    });
    target.appendChild(svg);
  }

  function drawTimeSeries() {
    clear(ts.body);
    const v = +selVariable.value, r = +selTsRegion.value;
    if (!(v >= 0 && v < I.variables.length)) { ts.body.appendChild(el("div", { class: "empty" }, "no variable matches the filter")); return; }
    const unit = I.units[v];
    ts.sub.textContent = I.variables[v] + " · " + I.regions[r] + " · " + unit + " (all scenarios; click a legend entry to hide it)";
    const series = D.scenarios.map((s, i) => ({ name: s, colour: D.scenario_colours[i], hidden: hidden.has(i),
      emph: i === +selScenario.value, values: iamc.get(v + "|" + i + "|" + r) || null })).filter(s => s.values);
    const legend = el("div", { class: "legend" });
    series.forEach(s => {
      const i = scenarioIndex[s.name];
      const it = el("span", { class: "item toggle" + (s.hidden ? " off" : "") });
      const sw = el("span", { class: "ln" }); sw.style.background = s.colour;
      it.appendChild(sw); it.appendChild(document.createTextNode(s.name));
      it.addEventListener("click", () => { hidden.has(i) ? hidden.delete(i) : hidden.add(i); drawTimeSeries(); });
      legend.appendChild(it);
    });
    if (!series.length) { ts.body.appendChild(el("div", { class: "empty" }, I.variables[v] + " has no values for " + I.regions[r])); return; }
    ts.body.appendChild(legend);
    lineChart(ts.body, I.years, series, unit, { width: 1200, height: 300, fromZero: fromZero.checked });
    const t = el("table", { class: "values" }), hr = el("tr");
    hr.appendChild(el("th", {}, "scenario")); I.years.forEach(y => hr.appendChild(el("th", {}, String(y))));
    const th = el("thead"); th.appendChild(hr); t.appendChild(th);
    const tb = el("tbody");
    series.forEach(s => { const tr = el("tr"); tr.appendChild(el("td", {}, s.name)); s.values.forEach(x => tr.appendChild(el("td", {}, fmtFull(x)))); tb.appendChild(tr); });
    t.appendChild(tb); ts.body.appendChild(t);
  }

  // ---------- stacked bars (imports and embodied by partner) ----------
  function partnerStacks(rowsByPeriod, importer) {
    // rowsByPeriod: per period a list of [exporter, importer, value]; -> the main partners and 'other'
    const total = new Map(), per = rowsByPeriod.map(() => new Map());
    rowsByPeriod.forEach((rows, p) => rows.forEach(([e, i, v]) => {
      if (i !== importer || e === importer) return;
      per[p].set(e, (per[p].get(e) || 0) + v); total.set(e, (total.get(e) || 0) + v);
    }));
    const order = [...total.keys()].sort((a, b) => total.get(b) - total.get(a));
    const main = order.slice(0, D.max_partners), rest = order.slice(D.max_partners);
    const stacks = main.map(e => ({ name: D.regions[e], colour: regionColour(e), values: per.map(m => m.get(e) || 0) }));
    if (rest.length) stacks.push({ name: "other (" + rest.length + ")", colour: D.other_colour,
      values: per.map(m => rest.reduce((a, e) => a + (m.get(e) || 0), 0)) });
    return stacks;
  }
  function stackedBars(target, labels, stacks, unit, opts) {
    const W = opts.width || 560, H = opts.height || 300, m = { l: 60, r: 12, t: 12, b: 28 };
    const totals = labels.map((_, p) => stacks.reduce((a, s) => a + s.values[p], 0));
    if (!stacks.length || !(Math.max(...totals) > 0)) { target.appendChild(el("div", { class: "empty" }, opts.empty || "nothing to show")); return; }
    const ticks = niceTicks(0, Math.max(...totals), 5), hi = ticks[ticks.length - 1];
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart bar-chart" });
    const Y = v => H - m.b - v / hi * (H - m.t - m.b);
    const band = (W - m.l - m.r) / labels.length, bw = Math.min(70, band * 0.62);
    const grid = sv("g", { class: "grid" }), axis = sv("g", { class: "axis" });
    ticks.forEach(t => { grid.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t) }));
      axis.appendChild(sv("text", { x: m.l - 6, y: Y(t) + 4, "text-anchor": "end" }, fmtTick(t, ticks))); });
    axis.appendChild(sv("line", { x1: m.l, x2: W - m.r, y1: Y(0), y2: Y(0) }));
    svg.appendChild(grid); svg.appendChild(axis);
    svg.appendChild(sv("text", { x: 12, y: m.t + (H - m.t - m.b) / 2, transform: `rotate(-90 12 ${m.t + (H - m.t - m.b) / 2})`, "text-anchor": "middle", class: "title" }, unit));
    labels.forEach((lab, p) => {
      const x = m.l + band * p + (band - bw) / 2;
      let y0 = 0;
      stacks.forEach(s => {
        const v = s.values[p];
        if (!(v > 0)) return;
        const r = sv("rect", { x: x, y: Y(y0 + v), width: bw, height: Math.max(Y(y0) - Y(y0 + v), 0.5), fill: s.colour, class: "bar" });
        hover(r, [s.name + " → " + opts.importer, lab + ": " + fmtFull(v) + " " + unit, (100 * v / totals[p]).toFixed(1) + " % of " + fmtFull(totals[p])]);
        svg.appendChild(r);
        y0 += v;
      });
      svg.appendChild(sv("text", { x: x + bw / 2, y: H - m.b + 16, "text-anchor": "middle" }, lab));
      svg.appendChild(sv("text", { x: x + bw / 2, y: Y(totals[p]) - 4, "text-anchor": "middle", class: "title" }, fmt(totals[p])));
    });
    target.appendChild(svg);
    const legend = el("div", { class: "legend" });
    stacks.forEach(s => { const it = el("span", { class: "item" }), sw = el("span", { class: "sw" }); sw.style.background = s.colour;
      it.appendChild(sw); it.appendChild(document.createTextNode(s.name)); legend.appendChild(it); });
    target.appendChild(legend);
  }
  function unitScale(unit, values) {
    // kt -> Mt, ha -> Mha/kha, m3 -> km3/Mm3, t -> kt/Mt for readable axes
    const hi = Math.max(0, ...values);
    const steps = { kt: [[1e3, "Mt"]], t: [[1e6, "Mt"], [1e3, "kt"]], ha: [[1e6, "Mha"], [1e3, "kha"]], m3: [[1e9, "km3"], [1e6, "Mm3"]] }[unit] || [];
    for (const [f, u] of steps) if (hi >= f) return [f, u];
    return [1, unit];
  }

  const imp = panel("imports", "Imports by partner", false);
  function drawImports() {
    clear(imp.body);
    const s = +selScenario.value, r = +selRegion.value, c = +selCommodity.value;
    const rows = D.periods.map((_, p) => flows.get(s + "|" + p + "|" + c) || []);
    let stacks = partnerStacks(rows, r);
    const [f, unit] = unitScale(D.quantity_unit, stacks.flatMap(x => x.values));
    stacks = stacks.map(x => ({ ...x, values: x.values.map(v => v / f) }));
    imp.sub.textContent = D.regions[r] + " · " + D.commodities[c] + " · " + D.scenarios[s] + " · " + unit + " per year, by exporter";
    stackedBars(imp.body, D.periods.map(String), stacks, unit, { width: 560, height: 290, importer: D.regions[r],
      empty: D.regions[r] + " imports no " + D.commodities[c] + " in " + D.scenarios[s] });
  }

  const embp = panel("embodied", "Embodied resources in imports, by partner", false);
  let selIndicator = null;
  if (D.embodied) {
    const li = el("label", { for: "indicator" }, "Indicator");
    selIndicator = el("select", { id: "indicator" });
    D.embodied.indicators.forEach((x, i) => option(selIndicator, i, x + " [" + D.embodied.units[i] + "]"));
    const land = D.embodied.indicators.indexOf("land"), wb = D.embodied.indicators.indexOf("water_blue");
    selIndicator.value = String(land >= 0 ? land : wb >= 0 ? wb : 0);
    li.appendChild(selIndicator); embp.tools.appendChild(li);
  }
  function drawEmbodied() {
    clear(embp.body);
    if (!D.embodied) { embp.sub.textContent = ""; embp.body.appendChild(el("div", { class: "empty" }, "this run has no embodied-resource accounts (run without --no-embodied, on a dataset with intensities.csv)")); return; }
    const s = +selScenario.value, r = +selRegion.value, k = +selIndicator.value;
    const rows = D.periods.map((_, p) => emb.get(s + "|" + p + "|" + k) || []);
    let stacks = partnerStacks(rows, r);
    const [f, unit] = unitScale(D.embodied.units[k], stacks.flatMap(x => x.values));
    stacks = stacks.map(x => ({ ...x, values: x.values.map(v => v / f) }));
    embp.sub.textContent = D.regions[r] + " · " + D.embodied.indicators[k] + " · " + D.scenarios[s] + " · " + unit + " per year, all commodities";
    stackedBars(embp.body, D.periods.map(String), stacks, unit, { width: 560, height: 290, importer: D.regions[r],
      empty: "no embodied " + D.embodied.indicators[k] + " in " + D.regions[r] + "'s imports" });
    embp.body.appendChild(el("div", { class: "note" }, "Sums over commodities with a known intensity; see embodied_coverage.csv for the share covered."));
  }

  // ---------- bilateral flows ----------
  const fp = panel("flows", "Bilateral flows", true);
  function drawFlows() {
    clear(fp.body);
    const s = +selScenario.value, p = +selYear.value, c = +selCommodity.value;
    const rows = flows.get(s + "|" + p + "|" + c) || [];
    const [f, unit] = unitScale(D.quantity_unit, rows.map(x => x[2]));
    fp.sub.textContent = D.commodities[c] + " · " + D.periods[p] + " · " + D.scenarios[s] + " · " + unit + " per year (rows export, columns import)";
    if (!rows.length) { fp.body.appendChild(el("div", { class: "empty" }, "no trade in " + D.commodities[c] + " in " + D.periods[p])); return; }
    const grid = el("div", { class: "flowgrid" });
    const exp = [...new Set(rows.map(x => x[0]))], imp_ = [...new Set(rows.map(x => x[1]))];
    const out = new Map(), inn = new Map();
    rows.forEach(([e, i, v]) => { out.set(e, (out.get(e) || 0) + v); inn.set(i, (inn.get(i) || 0) + v); });
    exp.sort((a, b) => out.get(b) - out.get(a)); imp_.sort((a, b) => inn.get(b) - inn.get(a));
    // cells as large as the panel allows (9 regions: values written in them; 37: 17 px and tooltips)
    const cell = Math.max(17, Math.min(48, Math.floor(620 / Math.max(imp_.length, 1)))), lw = 118, th = 104, W = lw + cell * imp_.length + 70, H = th + cell * exp.length + 8;
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart flow-matrix" });
    const vmax = Math.max(...rows.map(x => x[2]));
    const ei = new Map(exp.map((e, k) => [e, k])), ii = new Map(imp_.map((i, k) => [i, k]));
    imp_.forEach((i, k) => {
      const x = lw + k * cell + cell / 2;
      const t = sv("text", { x: x, y: th - 6, transform: `rotate(-60 ${x} ${th - 6})`, "text-anchor": "start", fill: i === +selRegion.value ? "#c00" : "#333" }, D.regions[i]);
      svg.appendChild(t);
    });
    exp.forEach((e, k) => {
      svg.appendChild(sv("rect", { x: lw - 12, y: th + k * cell + 4, width: 8, height: cell - 8, fill: regionColour(e) }));
      svg.appendChild(sv("text", { x: lw - 16, y: th + k * cell + cell / 2 + 4, "text-anchor": "end" }, D.regions[e]));
      svg.appendChild(sv("text", { x: lw + imp_.length * cell + 6, y: th + k * cell + cell / 2 + 4, class: "title" }, fmt(out.get(e) / f)));
    });
    for (let a = 0; a < exp.length; a++) for (let b = 0; b < imp_.length; b++)
      svg.appendChild(sv("rect", { x: lw + b * cell, y: th + a * cell, width: cell - 1, height: cell - 1, fill: "#f4f6f8" }));
    rows.forEach(([e, i, v]) => {
      const t = Math.sqrt(v / vmax);  // area-like scale so small flows stay visible
      const r = sv("rect", { x: lw + ii.get(i) * cell, y: th + ei.get(e) * cell, width: cell - 1, height: cell - 1,
        fill: "rgb(" + Math.round(235 - 204 * t) + "," + Math.round(243 - 148 * t) + "," + Math.round(250 - 111 * t) + ")", class: "cell" });
      const pe = prices.get(s + "|" + p + "|" + c + "|" + e), pi = prices.get(s + "|" + p + "|" + c + "|" + i);
      hover(r, [D.regions[e] + " → " + D.regions[i], fmtFull(v / f) + " " + unit + " (" + (100 * v / inn.get(i)).toFixed(1) + " % of " + D.regions[i] + "'s imports)",
        "price " + fmtFull(pe) + " → " + fmtFull(pi) + " " + D.price_unit]);
      svg.appendChild(r);
      if (cell >= 36) svg.appendChild(sv("text", { x: lw + ii.get(i) * cell + cell / 2, y: th + ei.get(e) * cell + cell / 2 + 4,
        "text-anchor": "middle", "pointer-events": "none", style: "font-size:10px;fill:" + (t > 0.55 ? "#fff" : "#1d232b") }, fmt(v / f)));
    });
    const left = el("div", { class: "scroll" }); left.appendChild(svg);
    grid.appendChild(left);
    const right = el("div", { class: "scroll" });
    const t = el("table", { class: "values", id: "flow-table" }), hr = el("tr");
    ["exporter", "importer", unit, "share of imports"].forEach(h => hr.appendChild(el("th", {}, h)));
    const thead = el("thead"); thead.appendChild(hr); t.appendChild(thead);
    const tb = el("tbody");
    [...rows].sort((a, b) => b[2] - a[2]).slice(0, 25).forEach(([e, i, v]) => {
      const tr = el("tr");
      const td = el("td"), sw = el("span", { class: "sw" }); sw.style.cssText = "display:inline-block;width:9px;height:9px;margin-right:5px;background:" + regionColour(e);
      td.appendChild(sw); td.appendChild(document.createTextNode(D.regions[e])); tr.appendChild(td);
      tr.appendChild(el("td", {}, D.regions[i])); tr.appendChild(el("td", {}, fmtFull(v / f)));
      tr.appendChild(el("td", {}, (100 * v / inn.get(i)).toFixed(1) + " %")); tb.appendChild(tr);
    });
    t.appendChild(tb); right.appendChild(t);
    right.appendChild(el("div", { class: "note" }, "The 25 largest of " + rows.length + " routes with trade; world trade " +
      fmtFull(rows.reduce((a, x) => a + x[2], 0) / f) + " " + unit + ". Matrix shade ∝ √flow (darkest " + fmtFull(vmax / f) +
      " " + unit + "); right of each row the exporter's total."));
    grid.appendChild(right);
    fp.body.appendChild(grid);
  }

  const footer = el("footer", {}, "Generated by petra explore from the run's iamc.csv, flows.parquet, markets.parquet and embodied.parquet; values rounded to 5 significant digits. Works offline.");
  app.appendChild(footer);
  document.body.appendChild(tip);

  // the view is kept in the address (#scenario=SSP2&region=CHN&...): a bookmark or link reopens it
  const named = { scenario: [selScenario, D.scenarios], region: [selRegion, D.regions],
    commodity: [selCommodity, D.commodities], year: [selYear, D.periods.map(String)],
    variable: [selVariable, I.variables], "ts-region": [selTsRegion, I.regions] };
  if (selIndicator) named.indicator = [selIndicator, D.embodied.indicators];
  function readHash() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (const k in named) {
      const v = h.get(k), [sel, names] = named[k];
      if (v !== null && names.indexOf(v) >= 0) sel.value = String(names.indexOf(v));
    }
  }
  function writeHash() {
    const h = new URLSearchParams();
    for (const k in named) { const [sel, names] = named[k]; if (names[+sel.value] !== undefined) h.set(k, names[+sel.value]); }
    try { history.replaceState(null, "", "#" + h.toString()); } catch (e) { /* file: URLs in some browsers */ }
  }
  function on(sel, ev, fn) { sel.addEventListener(ev, () => { fn(); writeHash(); }); }
  function drawAll() { drawTimeSeries(); drawImports(); drawEmbodied(); drawFlows(); }
  on(selScenario, "change", drawAll);
  on(selRegion, "change", () => { drawImports(); drawEmbodied(); drawFlows(); });
  on(selCommodity, "change", () => { drawImports(); drawFlows(); });
  on(selYear, "change", drawFlows);
  on(selVariable, "change", drawTimeSeries);
  on(selTsRegion, "change", drawTimeSeries);
  filt.addEventListener("input", () => { fillVariables(); drawTimeSeries(); });
  fromZero.addEventListener("change", drawTimeSeries);
  if (selIndicator) on(selIndicator, "change", drawEmbodied);
  readHash();
  drawAll();
  document.body.setAttribute("data-ready", "1");
})();
