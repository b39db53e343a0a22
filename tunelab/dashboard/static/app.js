// tunelab dashboard front end: plain JS, no build step.
// Safety rule: every user-supplied string reaches the page through textContent / text nodes
// (el() below); innerHTML is never used. Strings given to plotly (which reads a little HTML in
// labels) go through plotText(), which turns < > & into entities.
"use strict";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const STATE_COLOURS = { COMPLETE: "#1f77b4", PRUNED: "#d62728", FAIL: "#7f7f7f", RUNNING: "#2ca02c", WAITING: "#bcbd22" };
const POLL_MS = 3000;
const PLOT_CONFIG = { displaylogo: false, responsive: true };

// ---------------------------------------------------------------- DOM and data helpers
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "checked" || key === "value" || key === "disabled" || key === "selected") node[key] = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function plotText(value) {
  return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e5 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(4) : String(+value.toPrecision(6));
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function fmtTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return new Date(seconds * 1000).toLocaleString();
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return seconds.toFixed(1) + " s";
  if (seconds < 3600) return (seconds / 60).toFixed(1) + " min";
  return (seconds / 3600).toFixed(2) + " h";
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
    else search.append(key, value);
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

async function api(path, params) {
  const response = await fetch(path + query(params), { credentials: "same-origin", headers: { Accept: "application/json" } });
  let body = null;
  try { body = await response.json(); } catch (err) { body = null; }
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return body;
}

function message(node, text, isError) {
  if (window.Plotly && node.classList.contains("js-plotly-plot")) Plotly.purge(node);
  delete node.dataset.bound;  // purge dropped the zoom handler
  node.replaceChildren(el("p", { class: isError ? "msg error" : "msg muted", text }));
}

function badge(state) { return el("span", { class: "badge state-" + state, text: state }); }

function downloadCsv(filename, rows) {
  const cell = (v) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s) && isNaN(Number(s))) s = "'" + s;
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const text = rows.map((r) => r.map(cell).join(",")).join("\n") + "\n";
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: filename });
  document.body.appendChild(link);
  link.click();
  link.remove();
}

// A table from column specs {label, get(row) -> Node|string, num, sort}; every table has a CSV button:
// csvUrl downloads the full server-side table, otherwise the rows shown are exported.
function makeTable(columns, rows, options) {
  const opts = options || {};
  const head = el("tr", {}, columns.map((c) => {
    const th = el("th", { text: c.label, title: c.title || null });
    if (c.sort && opts.onSort) {
      th.classList.add("sortable");
      if (opts.sort === c.sort) th.classList.add(opts.order === "asc" ? "sorted-asc" : "sorted-desc");
      th.addEventListener("click", () => opts.onSort(c.sort));
    }
    if (c.colour) th.prepend(el("span", { class: "swatch", style: "background:" + c.colour }));
    return th;
  }));
  const body = rows.map((row) => {
    const tr = el("tr", { class: opts.rowClass ? opts.rowClass(row) : null },
      columns.map((c) => {
        const value = c.get(row);
        return el("td", { class: c.num ? "num" : null }, value instanceof Node ? value : fmt(value));
      }));
    return tr;
  });
  const table = el("table", {}, el("thead", {}, head), el("tbody", {}, body));
  const csv = opts.csvUrl
    ? el("a", { href: opts.csvUrl, download: opts.csvName || "table.csv", class: "csv", text: "CSV" })
    : el("button", { text: "CSV", class: "csv", onclick: () => downloadCsv(opts.csvName || "table.csv",
      [columns.map((c) => c.label), ...rows.map((r) => columns.map((c) => { const v = c.get(r); return v instanceof Node ? v.textContent : fmt(v); }))]) });
  return el("div", { class: "table-block" }, el("div", { class: "toolbar" }, opts.title ? el("strong", { text: opts.title }) : null, csv),
    el("div", { class: "table-wrap" }, table));
}

function kv(pairs) {
  return el("div", { class: "kv" }, pairs.flatMap(([k, v]) => [el("div", { text: k }), el("div", {}, v instanceof Node ? v : fmt(v))]));
}

function plotBox(id) { return el("div", { class: "plot", id }); }

function draw(node, traces, layout) {
  if (!window.Plotly) { message(node, "plotly.js did not load", true); return; }
  if (!node.classList.contains("js-plotly-plot")) node.replaceChildren();  // drop a message, keep a plot
  return Plotly.react(node, traces, Object.assign({ margin: { l: 60, r: 20, t: 40, b: 50 }, height: 320 }, layout), PLOT_CONFIG);
}

// ---------------------------------------------------------------- routing and live updates
let pollTimer = null;
let pageToken = 0;

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, search] = hash.split("?");
  return { path: path || "", params: new URLSearchParams(search || "") };
}

function setLive(refresh) {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
  const live = document.getElementById("live");
  live.classList.toggle("on", !!refresh);
  if (!refresh) return;
  const token = pageToken;
  pollTimer = setInterval(() => {
    if (token !== pageToken || document.hidden) return;
    refresh().catch(() => {});
  }, POLL_MS);
}

async function render() {
  pageToken += 1;
  setLive(null);
  const app = document.getElementById("app");
  const { path, params } = route();
  app.replaceChildren();
  try {
    if (path === "") await homePage(app);
    else if (path === "runs") await runsPage(app, params);
    else if (path.startsWith("run/")) await runPage(app, decodeURIComponent(path.slice(4)));
    else if (path === "compare") await comparePage(app, params);
    else if (path === "study") await studyPage(app, params.get("name") || "");
    else message(app, "No such page.", true);
  } catch (err) {
    app.replaceChildren(el("p", { class: "error", text: String(err.message || err) }));
  }
}

// ---------------------------------------------------------------- home: projects and studies
async function homePage(app) {
  const [projects, studies] = await Promise.all([api("/api/projects"), api("/api/studies")]);
  app.append(el("h1", { text: "Projects & studies" }));
  const projectTable = () => makeTable([
    { label: "project", get: (p) => el("a", { href: "#/runs?" + new URLSearchParams({ project: p.project }), text: p.project }) },
    { label: "runs", get: (p) => p.n_runs, num: true },
  ], projects.projects, { title: "Projects", csvUrl: "/api/projects?format=csv", csvName: "projects.csv" });
  const studyTable = () => makeTable([
    { label: "study", get: (s) => el("a", { href: "#/study?" + new URLSearchParams({ name: s.name }), text: s.name }) },
    { label: "direction", get: (s) => s.direction },
    { label: "trials", get: (s) => s.n_trials, num: true },
    { label: "best value", get: (s) => s.best_value, num: true },
    { label: "started", get: (s) => s.datetime_start ? new Date(s.datetime_start).toLocaleString() : "" },
  ], studies.studies, { title: "Studies", csvUrl: "/api/studies?format=csv", csvName: "studies.csv" });
  const projectCard = el("div", { class: "card" }, projects.projects.length ? projectTable() : el("p", { class: "muted", text: "No tracked runs yet." }),
    el("p", {}, el("a", { href: "#/runs", text: "All runs →" })));
  const studyCard = el("div", { class: "card" }, studies.studies.length ? studyTable() : el("p", { class: "muted", text: "No studies yet." }));
  app.append(projectCard, studyCard);
  setLive(async () => {
    const [p, s] = await Promise.all([api("/api/projects"), api("/api/studies")]);
    projects.projects = p.projects; studies.studies = s.studies;
    projectCard.firstChild.replaceWith(p.projects.length ? projectTable() : el("p", { class: "muted", text: "No tracked runs yet." }));
    studyCard.firstChild.replaceWith(s.studies.length ? studyTable() : el("p", { class: "muted", text: "No studies yet." }));
  });
}

// ---------------------------------------------------------------- runs table
const selected = new Set(JSON.parse(sessionStorage.getItem("tunelab.selected") || "[]"));
function saveSelection() { sessionStorage.setItem("tunelab.selected", JSON.stringify([...selected])); }

async function runsPage(app, params) {
  const state = {
    project: params.get("project") || "", q: "", states: [], tag: "", filters: "",
    sort: "created_at", order: "desc", limit: 50, offset: 0,
  };
  const columnsKey = "tunelab.columns." + state.project;
  let chosen = JSON.parse(localStorage.getItem(columnsKey) || "null");
  const projects = await api("/api/projects");
  app.append(el("h1", { text: state.project ? "Runs of " + state.project : "All runs" }));
  const projectSelect = el("select", { onchange: (e) => { location.hash = "#/runs" + (e.target.value ? "?" + new URLSearchParams({ project: e.target.value }) : ""); } },
    el("option", { value: "", text: "all projects" }),
    projects.projects.map((p) => el("option", { value: p.project, text: `${p.project} (${p.n_runs})`, selected: p.project === state.project })));
  const search = el("input", { type: "search", placeholder: "search name, tags, notes…", id: "run-search" });
  const tagInput = el("input", { type: "text", placeholder: "tag", size: 10, id: "run-tag" });
  const filterInput = el("input", { type: "text", placeholder: "filters: lr>=0.01; opt.name=adam", id: "run-filter" });
  const stateBoxes = ["running", "finished", "failed", "crashed"].map((s) =>
    el("label", {}, el("input", { type: "checkbox", value: s, onchange: () => { state.states = stateBoxes.map((l) => l.firstChild).filter((b) => b.checked).map((b) => b.value); reload(true); } }), " " + s));
  const compareButton = el("button", { id: "compare-button", onclick: () => { location.hash = "#/compare?" + new URLSearchParams({ runs: [...selected].join(",") }); } });
  const columnsBox = el("details", { class: "columns" }, el("summary", { text: "Columns" }));
  const tableHolder = el("div", { class: "card" });
  const pager = el("div", { class: "toolbar" });
  const errorBox = el("p", { class: "error" });
  let timer = null;
  const debounce = () => { clearTimeout(timer); timer = setTimeout(() => reload(true), 250); };
  search.addEventListener("input", debounce); tagInput.addEventListener("input", debounce); filterInput.addEventListener("input", debounce);
  app.append(el("div", { class: "toolbar" }, projectSelect, search, tagInput, filterInput, ...stateBoxes),
    el("div", { class: "toolbar" }, columnsBox, compareButton, el("button", { text: "Clear selection", onclick: () => { selected.clear(); saveSelection(); reload(false); } })),
    errorBox, tableHolder, pager);

  function updateCompare() {
    compareButton.textContent = `Compare selected (${selected.size})`;
    compareButton.disabled = selected.size < 2;
  }

  function currentParams() {
    return {
      project: state.project, q: search.value.trim(), tag: tagInput.value.trim(), state: state.states,
      filter: filterInput.value.split(";").map((f) => f.trim()).filter(Boolean),
      sort: state.sort, order: state.order, limit: state.limit, offset: state.offset,
    };
  }

  function buildColumns(page) {
    if (!chosen) chosen = [...page.config_keys.slice(0, 4).map((k) => "config." + k), ...page.summary_keys.slice(0, 4).map((k) => "summary." + k)];
    const box = (key) => el("label", {}, el("input", { type: "checkbox", checked: chosen.includes(key), onchange: (e) => {
      chosen = e.target.checked ? [...chosen, key] : chosen.filter((c) => c !== key);
      localStorage.setItem(columnsKey, JSON.stringify(chosen));
      reload(false);
    } }), " " + key);
    columnsBox.replaceChildren(el("summary", { text: `Columns (${chosen.length} chosen)` }),
      el("div", {}, el("strong", { text: "config: " }), page.config_keys.map((k) => box("config." + k))),
      el("div", {}, el("strong", { text: "metrics: " }), page.summary_keys.map((k) => box("summary." + k))));
  }

  function renderTable(page) {
    const columns = [
      { label: "", get: (r) => el("input", { type: "checkbox", class: "select-run", "data-run": r.run_id, checked: selected.has(r.run_id),
        onchange: (e) => { if (e.target.checked) selected.add(r.run_id); else selected.delete(r.run_id); saveSelection(); updateCompare(); } }) },
      { label: "name", sort: "name", get: (r) => el("a", { href: "#/run/" + encodeURIComponent(r.run_id), class: "run-name", text: r.name }) },
      { label: "state", sort: "state", get: (r) => badge(r.state) },
      { label: "project", sort: "project", get: (r) => r.project },
      { label: "tags", get: (r) => el("span", {}, r.tags.map((t) => el("span", { class: "tag", text: t }))) },
      { label: "created", sort: "created_at", get: (r) => fmtTime(r.created_at) },
      { label: "duration", sort: "duration", get: (r) => fmtDuration(r.duration), num: true },
      ...chosen.map((key) => ({ label: key, sort: key, num: true,
        get: (r) => key.startsWith("config.") ? r.config[key.slice(7)] : r.summary[key.slice(8)] })),
    ];
    const csvUrl = "/api/runs" + query(Object.assign(currentParams(), { format: "csv", limit: null, offset: null }));
    tableHolder.replaceChildren(makeTable(columns, page.rows, {
      sort: state.sort, order: state.order, csvUrl, csvName: "runs.csv", title: `${page.total} runs`,
      onSort: (key) => { state.order = state.sort === key && state.order === "desc" ? "asc" : "desc"; state.sort = key; reload(false); },
    }));
    const last = Math.min(page.offset + page.limit, page.total);
    pager.replaceChildren(
      el("button", { text: "← previous", disabled: page.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - state.limit); reload(false); } }),
      el("span", { id: "page-info", text: page.total ? `${page.offset + 1}–${last} of ${page.total}` : "no runs match" }),
      el("button", { text: "next →", disabled: last >= page.total, onclick: () => { state.offset += state.limit; reload(false); } }),
      el("select", { onchange: (e) => { state.limit = +e.target.value; state.offset = 0; reload(false); } },
        [25, 50, 100, 250].map((n) => el("option", { value: n, text: n + " per page", selected: n === state.limit }))));
    updateCompare();
  }

  async function reload(resetOffset) {
    if (resetOffset) state.offset = 0;
    try {
      const page = await api("/api/runs", currentParams());
      errorBox.textContent = "";
      buildColumns(page);
      renderTable(page);
    } catch (err) {
      errorBox.textContent = String(err.message || err);
    }
  }
  await reload(false);
  setLive(() => reload(false));
}

// ---------------------------------------------------------------- metric plots with exact zoom
// A plot per metric key; zooming asks the server for the visible step range (exact data there).
function metricPlot(node, key, fetchRange, tracesOf) {
  let range = null;
  let busy = false;
  async function update() {
    if (busy) return;
    busy = true;
    try {
      const data = await fetchRange(range);
      const layout = { title: { text: plotText(key) }, xaxis: { title: { text: "step" } }, showlegend: false, uirevision: key };
      if (range) layout.xaxis.range = range;
      await draw(node, tracesOf(data), layout);
      if (!node.dataset.bound) {
        node.dataset.bound = "1";
        node.on("plotly_relayout", (ev) => {
          if (ev["xaxis.range[0]"] !== undefined) range = [ev["xaxis.range[0]"], ev["xaxis.range[1]"]];
          else if (ev["xaxis.autorange"]) range = null;
          else return;
          update();
        });
      }
    } catch (err) {
      message(node, String(err.message || err), true);
    } finally {
      busy = false;
    }
  }
  return update;
}

function rangeParams(range) { return range ? { start: Math.floor(range[0]), end: Math.ceil(range[1]) } : {}; }

// ---------------------------------------------------------------- one run
async function runPage(app, runId) {
  const run = await api("/api/runs/" + encodeURIComponent(runId));
  const health = await api("/api/health");
  const header = el("div", {});
  const plots = el("div", { class: "grid" });
  const systemPlots = el("div", { class: "grid" });
  const sections = el("div", {});
  app.append(header, el("h2", { text: "Metrics" }), plots, el("h2", { text: "System" }), systemPlots, sections);
  const updaters = new Map();

  function renderHeader(r) {
    header.replaceChildren(
      el("h1", {}, el("span", { class: "run-title", text: r.name }), " ", badge(r.state)),
      el("div", { class: "card" }, kv([
        ["id", r.run_id], ["project", el("a", { href: "#/runs?" + new URLSearchParams({ project: r.project }), text: r.project })],
        ["tags", el("span", {}, r.tags.map((t) => el("span", { class: "tag", text: t })))], ["group", r.group || ""],
        ["created", fmtTime(r.created_at)], ["finished", fmtTime(r.finished_at)], ["duration", fmtDuration(r.duration)],
        ["owner", r.owner || ""], ["study", r.study ? el("a", { href: "#/study?" + new URLSearchParams({ name: r.study }), text: `${r.study} #${r.trial_number}` }) : ""],
        ["notes", r.notes || ""],
      ]), r.error ? el("pre", { text: r.error }) : null, health.allow_edits ? editForm(r) : null));
  }

  function editForm(r) {
    const tags = el("input", { type: "text", value: r.tags.join(", "), size: 40 });
    const notes = el("textarea", { rows: 3, cols: 60 });
    notes.value = r.notes || "";
    const status = el("span", { class: "muted" });
    const save = async () => {
      const response = await fetch("/api/runs/" + encodeURIComponent(r.run_id), { method: "PATCH", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean), notes: notes.value }) });
      const body = await response.json();
      status.textContent = response.ok ? "saved" : body.error;
      if (response.ok) renderHeader(body);
    };
    return el("div", { class: "toolbar" }, "tags ", tags, " notes ", notes, el("button", { text: "Save", onclick: save }), status);
  }

  function renderPlots(keys) {
    for (const key of keys) {
      if (updaters.has(key)) continue;
      const node = plotBox("metric-" + updaters.size);
      (/^(system|sys)\//.test(key) ? systemPlots : plots).appendChild(node);
      updaters.set(key, metricPlot(node, key,
        (range) => api(`/api/runs/${encodeURIComponent(runId)}/metrics`, Object.assign({ keys: key }, rangeParams(range))),
        (data) => { const s = data.metrics[key]; return [{ x: s.steps, y: s.values, mode: "lines", line: { width: 1.5 }, name: plotText(key) }]; }));
    }
    if (!plots.childElementCount) message(plots, "No metrics logged yet.");
    if (!systemPlots.childElementCount) message(systemPlots, "No system metrics.");
    return Promise.all([...updaters.values()].map((u) => u()));
  }

  function renderSections(r) {
    const entries = (obj) => Object.entries(obj || {});
    const flatEnv = [];
    const walk = (prefix, value) => {
      if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) entries(value).forEach(([k, v]) => walk(prefix ? prefix + "." + k : k, v));
      else flatEnv.push([prefix, value]);
    };
    walk("", r.env);
    sections.replaceChildren(
      el("h2", { text: "Config" }), el("div", { class: "card" }, makeTable([{ label: "key", get: (e) => e[0] }, { label: "value", get: (e) => e[1] }], entries(r.config_flat), { csvName: "config.csv" })),
      el("h2", { text: "Summary" }), el("div", { class: "card" }, makeTable([{ label: "metric", get: (e) => e[0] }, { label: "last", get: (e) => e[1].last, num: true },
        { label: "min", get: (e) => e[1].min, num: true }, { label: "max", get: (e) => e[1].max, num: true }, { label: "step", get: (e) => e[1].step, num: true }], entries(r.summary), { csvName: "summary.csv" })),
      el("h2", { text: "Alerts" }), el("div", { class: "card" }, makeTable([{ label: "time", get: (a) => fmtTime(a.time) },
        { label: "level", get: (a) => el("span", { class: "alert-" + a.level, text: a.level }) }, { label: "title", get: (a) => a.title }, { label: "text", get: (a) => a.text }], r.alerts, { csvName: "alerts.csv" })),
      el("h2", { text: "Artifacts" }), el("div", { class: "card" }, makeTable([
        { label: "name", get: (a) => el("a", { href: `/api/runs/${encodeURIComponent(r.run_id)}/artifacts/${a.name.split("/").map(encodeURIComponent).join("/")}`, download: "", text: a.name }) },
        { label: "kind", get: (a) => a.kind }, { label: "size", get: (a) => a.size, num: true }, { label: "sha256", get: (a) => (a.sha256 || "").slice(0, 16) }], r.artifacts, { csvName: "artifacts.csv" })),
      el("h2", { text: "Environment" }), el("div", { class: "card" }, makeTable([{ label: "key", get: (e) => e[0] }, { label: "value", get: (e) => e[1] }], flatEnv, { csvName: "environment.csv" })),
    );
  }

  renderHeader(run);
  renderSections(run);
  await renderPlots(run.metric_keys);
  let last = JSON.stringify([run.state, run.summary, run.alerts.length, run.artifacts.length]);
  setLive(async () => {
    const fresh = await api("/api/runs/" + encodeURIComponent(runId));
    const now = JSON.stringify([fresh.state, fresh.summary, fresh.alerts.length, fresh.artifacts.length]);
    if (now === last) return;
    last = now;
    renderHeader(fresh);
    renderSections(fresh);
    await renderPlots(fresh.metric_keys);
  });
}

// ---------------------------------------------------------------- compare
async function comparePage(app, params) {
  const ids = (params.get("runs") || "").split(",").filter(Boolean);
  const data = await api("/api/compare", { runs: ids.join(","), points: 800 });
  const colour = Object.fromEntries(data.runs.map((r) => [r.run_id, r.colour]));
  const names = Object.fromEntries(data.runs.map((r) => [r.run_id, r.name]));
  app.append(el("h1", { text: `Compare ${data.runs.length} runs` }),
    el("div", { class: "card legend" }, data.runs.map((r) => el("div", {}, el("span", { class: "swatch", style: "background:" + r.colour }),
      el("a", { href: "#/run/" + encodeURIComponent(r.run_id), text: r.name }), " ", badge(r.state)))));
  const onlyDiff = el("input", { type: "checkbox", id: "only-differing" });
  const configBox = el("div", { class: "card", id: "config-diff" });
  const renderConfig = (config) => {
    const rows = onlyDiff.checked ? config.filter((c) => c.differs) : config;
    configBox.replaceChildren(makeTable([{ label: "key", get: (c) => c.key },
      ...data.runs.map((r, i) => ({ label: r.name, colour: r.colour, get: (c) => c.values[i] }))], rows,
    { rowClass: (c) => (c.differs ? "differs" : null), csvUrl: "/api/compare" + query({ runs: ids.join(","), format: "csv" }), csvName: "compare.csv", title: "Config (differing keys highlighted)" }));
  };
  onlyDiff.addEventListener("change", () => renderConfig(data.config));
  app.append(el("h2", { text: "Config" }), el("label", {}, onlyDiff, " only differing keys"), configBox);
  renderConfig(data.config);
  const plots = el("div", { class: "grid", id: "compare-plots" });
  app.append(el("h2", { text: "Metrics" }), plots);
  const updaters = [];
  Object.keys(data.metrics).forEach((key, i) => {
    const node = plotBox("compare-" + i);
    plots.appendChild(node);
    let first = data;
    updaters.push(metricPlot(node, key,
      (range) => { if (first && !range) { const d = first; first = null; return Promise.resolve(d); } return api("/api/compare", Object.assign({ runs: ids.join(","), keys: key, points: 800 }, rangeParams(range))); },
      (d) => Object.entries(d.metrics[key] || {}).map(([runId, s]) => ({ x: s.steps, y: s.values, mode: "lines", name: plotText(names[runId]), line: { color: colour[runId], width: 1.5 } }))));
  });
  if (!updaters.length) message(plots, "These runs logged no metrics.");
  await Promise.all(updaters.map((u) => u()));
  if (data.runs.some((r) => r.state === "running")) setLive(() => Promise.all(updaters.map((u) => u())));
}

// ---------------------------------------------------------------- study page
function hasWebGL() {
  try { return !!document.createElement("canvas").getContext("webgl"); } catch (err) { return false; }
}

function axisDimension(a) {
  if (a.type === "category") return { label: plotText(a.name), values: a.coords, tickvals: a.tickvals, ticktext: a.ticktext.map(plotText) };
  if (a.type === "log") return { label: plotText(a.name) + " (log10)", values: a.coords.map((v) => Math.log10(v)) };
  return { label: plotText(a.name), values: a.coords };
}

function parcoords(d) {
  return [[{ type: "parcoords", line: { color: d.values, colorscale: "Blues", reversescale: d.direction !== "maximize", showscale: true },
    dimensions: [...d.axes.map(axisDimension), { label: "value", values: d.values }] }], { title: { text: "Parallel coordinates" } }];
}

// Without WebGL (parcoords needs it): one SVG line per trial over axes scaled to [0, 1].
function parallelLines(d) {
  const dims = [...d.axes.map(axisDimension), { label: "value", values: d.values }];
  const scaled = dims.map((dim) => {
    const lo = Math.min(...dim.values); const hi = Math.max(...dim.values);
    return dim.values.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5));
  });
  const vlo = Math.min(...d.values); const vhi = Math.max(...d.values);
  const traces = d.values.map((v, t) => {
    const share = vhi > vlo ? (v - vlo) / (vhi - vlo) : 0.5;
    const good = d.direction === "maximize" ? share : 1 - share;
    return { x: dims.map((_, i) => i), y: scaled.map((col) => col[t]), mode: "lines", hoverinfo: "skip",
      line: { width: 1, color: `rgba(31,119,180,${(0.15 + 0.85 * good).toFixed(2)})` } };
  });
  return [traces, { title: { text: "Parallel coordinates" }, showlegend: false,
    xaxis: { tickmode: "array", tickvals: dims.map((_, i) => i), ticktext: dims.map((dim) => dim.label) },
    yaxis: { title: { text: "scaled to [0, 1]" }, range: [-0.05, 1.05] } }];
}

async function studyPage(app, name) {
  const summary = await api("/api/study/summary", { name });
  const studyApi = (view, extra) => api("/api/study/" + view, Object.assign({ name }, extra || {}));
  const head = el("div", {});
  const boxes = {};
  for (const id of ["history", "importances", "parallel", "contour", "slice", "intermediate"]) boxes[id] = plotBox("study-" + id);
  const xPick = el("select", { id: "contour-x" });
  const yPick = el("select", { id: "contour-y" });
  const trialsBox = el("div", { class: "card" });
  app.append(head, el("div", { class: "grid" }, boxes.history, boxes.importances),
    el("h2", { text: "Parallel coordinates" }), boxes.parallel,
    el("h2", { text: "Contour" }), el("div", { class: "toolbar" }, "x ", xPick, " y ", yPick), boxes.contour,
    el("h2", { text: "Slice" }), boxes.slice, el("h2", { text: "Intermediate values" }), boxes.intermediate,
    el("h2", { text: "Trials" }), trialsBox);

  function renderHead(s) {
    head.replaceChildren(el("h1", { text: "Study " + s.name }), el("div", { class: "card" }, kv([
      ["direction", s.direction], ["trials", s.n_trials],
      ["states", el("span", {}, Object.entries(s.states).map(([k, v]) => el("span", {}, badge(k), ` ${v}  `)))],
      ["best value", s.best ? s.best.value : "none yet"], ["best trial", s.best ? "#" + s.best.number : ""],
      ["best params", s.best ? el("span", {}, Object.entries(s.best.params).map(([k, v]) => el("span", { class: "tag", text: `${k}=${fmt(v)}` }))) : ""],
    ])));
    const names = s.params.map((p) => p.name);
    for (const [pick, index] of [[xPick, 0], [yPick, 1]]) {
      const current = pick.value || names[index] || "";
      pick.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
      pick.value = current;
    }
  }

  const axisLayout = (a) => a.type === "log" ? { type: "log", title: { text: plotText(a.name) } }
    : a.type === "category" ? { tickmode: "array", tickvals: a.tickvals, ticktext: a.ticktext.map(plotText), title: { text: plotText(a.name) } }
      : { title: { text: plotText(a.name) } };

  async function plot(id, fetcher, build) {
    try { const data = await fetcher(); const [traces, layout] = build(data); await draw(boxes[id], traces, layout); } catch (err) { message(boxes[id], String(err.message || err), true); }
  }

  let noWebGL = false;
  const drawers = {
    history: () => plot("history", () => studyApi("history"), (d) => [d.series.flatMap((s, i) => [
      { x: s.numbers, y: s.values, mode: "markers", name: "trials", marker: { color: PALETTE[i % 10], opacity: 0.6 } },
      { x: s.numbers, y: s.best, mode: "lines", name: "best", line: { color: PALETTE[i % 10], shape: "hv" } }]),
    { title: { text: `Optimisation history (${d.direction})` }, xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "value" } } }]),
    importances: () => plot("importances", () => studyApi("importances"), (d) => [[{ type: "bar", orientation: "h",
      x: [...d.importances].reverse(), y: [...d.names].reverse().map(plotText), marker: { color: "#1f77b4" } }],
    { title: { text: `Importances (${d.n_trials} trials)` }, yaxis: { automargin: true }, xaxis: { range: [0, 1], title: { text: "share of variance" } } }]),
    parallel: async () => {
      await plot("parallel", () => studyApi("parallel"), (d) => (hasWebGL() && !noWebGL ? parcoords(d) : parallelLines(d)));
      if (!boxes.parallel.querySelector(".no-webgl")) return;
      noWebGL = true;  // plotly's parcoords needs more WebGL than this browser gives: draw SVG lines instead
      message(boxes.parallel, "");
      await drawers.parallel();
    },
    contour: () => plot("contour", () => studyApi("contour", xPick.value && yPick.value && xPick.value !== yPick.value ? { x: xPick.value, y: yPick.value } : {}), (d) => {
      const traces = [];
      if (d.grid_z.length) traces.push({ type: "contour", x: d.grid_x, y: d.grid_y, z: d.grid_z, colorscale: "Blues", reversescale: d.direction !== "maximize", connectgaps: false, hoverinfo: "skip" });
      traces.push({ x: d.x.coords, y: d.y.coords, mode: "markers", customdata: d.numbers, hovertemplate: "trial %{customdata}<br>value %{marker.color:.6g}<extra></extra>",
        marker: { color: d.values, colorscale: "Blues", reversescale: d.direction !== "maximize", showscale: !d.grid_z.length, line: { color: "black", width: 1 } } });
      return [traces, { title: { text: "Contour" }, xaxis: axisLayout(d.x), yaxis: axisLayout(d.y), height: 420 }];
    }),
    slice: () => plot("slice", () => studyApi("slice"), (d) => {
      const n = d.panels.length;
      const layout = { title: { text: "Slice" }, showlegend: false, height: 340, yaxis: { title: { text: "value" } } };
      const traces = d.panels.map((p, i) => {
        const axis = i === 0 ? "" : String(i + 1);
        layout["xaxis" + axis] = Object.assign(axisLayout(p.axis), { domain: [i / n + 0.02, (i + 1) / n - 0.02], anchor: "y" });
        return { x: p.axis.coords, y: p.values, mode: "markers", xaxis: "x" + axis, yaxis: "y", customdata: p.numbers,
          marker: { color: p.numbers, colorscale: "Viridis", size: 6 }, hovertemplate: "trial %{customdata}<br>%{x}: %{y:.6g}<extra></extra>" };
      });
      return [traces, layout];
    }),
    intermediate: () => plot("intermediate", () => studyApi("intermediate"), (d) => [d.curves.map((c) => ({ x: c.steps, y: c.values, mode: "lines+markers",
      name: `trial ${c.number} (${c.state})`, line: { color: STATE_COLOURS[c.state] || "#000", width: 1.5 }, marker: { size: 4 } })),
    { title: { text: "Intermediate values (blue complete, red pruned)" }, xaxis: { title: { text: "step" } }, showlegend: false }]),
  };

  async function renderTrials() {
    try {
      const t = await studyApi("trials");
      trialsBox.replaceChildren(makeTable([
        { label: "#", get: (r) => r.number, num: true }, { label: "state", get: (r) => badge(r.state) },
        { label: "value", get: (r) => r.value, num: true },
        ...t.params.map((p) => ({ label: p, get: (r) => r.params[p], num: true })),
        { label: "duration", get: (r) => fmtDuration(r.duration), num: true }, { label: "error", get: (r) => r.error || "" },
      ], t.rows, { title: `${t.total} trials`, csvUrl: "/api/study/trials" + query({ name, format: "csv" }), csvName: "trials.csv" }));
    } catch (err) { message(trialsBox, String(err.message || err), true); }
  }

  const renderAll = () => Promise.all([...Object.values(drawers).map((f) => f()), renderTrials()]);
  xPick.addEventListener("change", drawers.contour);
  yPick.addEventListener("change", drawers.contour);
  renderHead(summary);
  await renderAll();
  let last = JSON.stringify(summary.states);
  setLive(async () => {
    const s = await api("/api/study/summary", { name });
    if (JSON.stringify(s.states) === last) return;
    last = JSON.stringify(s.states);
    renderHead(s);
    await renderAll();
  });
}

window.addEventListener("hashchange", render);
window.addEventListener("DOMContentLoaded", render);
