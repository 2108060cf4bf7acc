// rung dashboard: reads the server's JSON API, polls for new log records every second and
// redraws what changed. No framework; plotly.js is served by the dashboard itself.
"use strict";

const state = { experiment: 0, sort: "trial_id", desc: false, offset: 0, limit: 50,
                positions: null, trial: null, reading: false };

async function get(path) {
  const answer = await fetch(path);
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

function text(value) {
  if (value === null || value === undefined) return "";
  // Four significant digits, as the status view writes them (0.2, not 0.2000).
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = text(value);
  row.appendChild(td);
  return td;
}

async function drawExperiments() {
  const experiments = await get("api/experiments");
  const body = document.querySelector("#experiments tbody");
  body.replaceChildren();
  const select = document.getElementById("experiment");
  if (select.options.length !== experiments.length) {
    select.replaceChildren(...experiments.map((e, i) => new Option(e.name, i)));
    select.value = state.experiment;
  }
  for (const e of experiments) {
    const row = body.insertRow();
    row.className = "experiment";
    cell(row, e.name);
    cell(row, e.front !== null ? e.objectives : `${e.metric} (${e.mode})`);
    cell(row, e.num_trials ? `${e.trials} of ${e.num_trials}` : e.trials);
    for (const s of ["running", "completed", "stopped", "failed"]) cell(row, e.counts[s]);
    cell(row, e.best ? e.best.value : (e.front !== null ? `a front of ${e.front}` : ""));
    cell(row, e.best ? e.best.trial_id : "");
    cell(row, clock(e.elapsed_s) + (e.time_budget_s ? " of " + clock(e.time_budget_s) : ""));
    cell(row, `${e.searcher} + ${e.scheduler}`);
    cell(row, e.stop_reason || "running or not ended");
  }
  const reading = experiments.filter(e => e.reading);
  document.getElementById("reading").textContent = reading.map(e =>
    `reading the log of ${e.name}: ${e.reading.records.toLocaleString("en")} of ` +
    `${e.reading.of.toLocaleString("en")} records (charts once it is read)`).join("; ");
  const several = experiments[state.experiment].front !== null;
  return { count: experiments.length, reading: reading.length > 0, several };
}

async function drawFigure(kind, element, path) {
  try {
    const figure = await get(path || `api/experiments/${state.experiment}/figures/${kind}`);
    if (figure.drawing) {  // the server is still drawing it: ask again in a moment
      if (!element.data) element.textContent = `drawing ${kind.replaceAll("_", " ")}...`;
      setTimeout(() => drawFigure(kind, element, path), 1000);
      return;
    }
    if (!element.data) element.textContent = "";
    element.style.display = "";
    if (kind === "pbt") document.getElementById("pbt_section").style.display = "";
    figure.layout.width = element.clientWidth;
    figure.layout.height = element.clientHeight;
    Plotly.react(element, figure.data, figure.layout, { displaylogo: false });
  } catch (error) {
    if (kind === "pbt") document.getElementById("pbt_section").style.display = "none";
    else if (kind === "comparison") element.style.display = "none";
    else element.textContent = `${kind}: ${error.message}`;
  }
}

function query() {
  const params = new URLSearchParams({ sort: state.sort, desc: state.desc ? "1" : "0",
                                       offset: state.offset, limit: state.limit });
  const wanted = document.getElementById("state").value;
  if (wanted) params.set("state", wanted);
  const low = document.getElementById("low").value, high = document.getElementById("high").value;
  if (low || high) params.append("range", `value:${low}:${high}`);
  return params;
}

async function drawTrials() {
  const page = await get(`api/experiments/${state.experiment}/trials?${query()}`);
  const head = document.querySelector("#trials thead");
  head.replaceChildren();
  const header = head.insertRow();
  for (const column of page.columns) {
    const th = document.createElement("th");
    th.textContent = column + (column === state.sort ? (state.desc ? " ▼" : " ▲") : "");
    th.onclick = () => {
      state.desc = column === state.sort ? !state.desc : false;
      state.sort = column;
      state.offset = 0;
      drawTrials();
    };
    header.appendChild(th);
  }
  const body = document.querySelector("#trials tbody");
  body.replaceChildren();
  for (const one of page.rows) {
    const row = body.insertRow();
    row.className = "trial";
    row.onclick = () => { state.trial = one.trial_id; drawTrial(); };
    for (const column of page.columns) cell(row, one[column]);
  }
  const last = Math.min(state.offset + state.limit, page.total);
  document.getElementById("page").textContent =
    `${page.total ? state.offset + 1 : 0}-${last} of ${page.total}`;
}

async function drawTrial() {
  if (state.trial === null) return;
  const trial = await get(`api/experiments/${state.experiment}/trials/${state.trial}`);
  const metric = (await get("api/experiments"))[state.experiment].metric;
  document.getElementById("trial_title").textContent =
    `Trial ${trial.trial_id}: ${trial.state}, ${trial.iterations} ` +
    (trial.iterations === 1 ? "iteration" : "iterations");
  const reports = trial.results.filter(r => typeof r[metric] === "number");
  const x = reports.map(r => r.training_iteration), y = reports.map(r => r[metric]);
  const traces = [{ x, y, mode: "lines+markers", name: metric }];
  if (trial.state === "stopped" && x.length) {
    traces.push({ x: [x[x.length - 1]], y: [y[y.length - 1]], mode: "markers",
                  marker: { symbol: "x", size: 14, color: "#d62728" },
                  name: `stopped at ${x[x.length - 1]}` });
  }
  for (const copy of trial.lineage || []) {
    traces.push({ x: [copy.iteration, copy.iteration], y: [Math.min(...y), Math.max(...y)],
                  mode: "lines", line: { dash: "dot", color: "#ff7f0e" },
                  name: `copied ${copy.donor}` });
  }
  Plotly.react("trial_curve", traces,
               { xaxis: { title: { text: "iteration" } }, yaxis: { title: { text: metric } },
                 margin: { t: 30 } }, { displaylogo: false });
  document.getElementById("trial_info").textContent = JSON.stringify(
    { config: trial.config, initial_config: trial.initial_config, lineage: trial.lineage,
      checkpoints: trial.checkpoints, error: trial.error }, null, 1)
    + (trial.stdout ? "\n\nstdout (end):\n" + trial.stdout : "")
    + (trial.stderr ? "\n\nstderr (end):\n" + trial.stderr : "")
    + (trial.traceback ? "\n\n" + trial.traceback : "");
}

async function drawAll() {
  const { count, reading, several } = await drawExperiments();
  state.reading = reading;
  if (reading) return drawTrials();  // the charts wait for the whole log
  if (count > 1) await drawFigure("comparison", document.getElementById("comparison"), "api/comparison");
  await drawTrials();
  // One objective: its best so far; several: their front and its hypervolume.
  const ranking = several ? ["pareto_front", "hypervolume"]
                          : ["best_so_far", "best_so_far_trials", "importance"];
  for (const kind of ["best_so_far", "best_so_far_trials", "importance", "pareto_front",
                      "hypervolume"]) {
    if (!ranking.includes(kind)) document.getElementById(kind).style.display = "none";
  }
  for (const kind of [...ranking, "learning_curves", "parallel_coordinates", "pbt"]) {
    await drawFigure(kind, document.getElementById(kind));
  }
  await drawTrial();
}

async function poll() {
  try {
    const { positions } = await get("api/poll");
    const changed = JSON.stringify(positions) !== JSON.stringify(state.positions);
    state.positions = positions;
    document.getElementById("live").textContent = `log at record ${positions[state.experiment]}`;
    if (changed || state.reading) await drawAll();
  } catch (error) {
    document.getElementById("live").textContent = `not reachable: ${error.message}`;
  }
  setTimeout(poll, 1000);
}

document.getElementById("experiment").onchange = (event) => {
  state.experiment = Number(event.target.value);
  state.offset = 0;
  state.trial = null;
  drawAll();
};
for (const id of ["state", "low", "high"]) {
  document.getElementById(id).onchange = () => { state.offset = 0; drawTrials(); };
}
document.getElementById("prev").onclick = () => {
  state.offset = Math.max(0, state.offset - state.limit); drawTrials();
};
document.getElementById("next").onclick = () => { state.offset += state.limit; drawTrials(); };
poll();
