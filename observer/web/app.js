// The gerl observer's page: plain JavaScript, no library. Data comes from
// the node's JSON API (/api/...) and its event stream (/api/events).
// Everything shown is built with textContent: no text from the cluster is
// ever parsed as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVG = "http://www.w3.org/2000/svg";

const state = {
  tab: "cluster",
  self: "",
  node: "",          // the node the processes and trees tabs show
  allowKill: false,
  cluster: null,
  procs: { sort: "pid", desc: false, filter: "", offset: 0, limit: 100, selected: "" },
  restarts: {},      // tree path -> restarts seen, to blink what went up
  events: [],        // trace events, time order
  paused: false,
  pendingWhilePaused: 0,
  dropped: {},       // node -> events dropped there
};
const maxEvents = 400;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function showError(msg) {
  const box = $("#error");
  box.textContent = msg;
  box.classList.remove("hidden");
  clearTimeout(showError.t);
  showError.t = setTimeout(() => box.classList.add("hidden"), 6000);
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-Gerl-Observer": "1" },
  };
  const r = await fetch(path, opts);
  if (!r.ok) throw new Error((await r.text()).trim() || r.statusText);
  return r.json();
}

function fmtNum(n) {
  if (n === undefined || n === null) return "";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function fmtBytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function pidLink(pid) {
  return el("a", { class: "pid", "data-pid": pid, onclick: (e) => { e.preventDefault(); openProcess(pid); } }, pid);
}

function nodeOfPid(pid) {
  const m = /^<(.+)\.\d+\.\d+>$/.exec(pid);
  return m ? m[1] : "";
}

// ---- tabs and node choice ----

function setTab(tab) {
  state.tab = tab;
  document.querySelectorAll("nav .tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === "tab-" + tab));
  if (tab === "processes") loadProcesses();
  if (tab === "trees") loadTrees();
  if (tab === "trace") drawTrace();
}

function setNode(node) {
  if (!node || node === state.node) return;
  state.node = node;
  $("#node").value = node;
  state.procs.offset = 0;
  state.procs.selected = "";
  $("#detail").classList.add("hidden");
  connect();
  if (state.tab === "processes") loadProcesses();
  if (state.tab === "trees") loadTrees();
}

// ---- cluster ----

function renderCluster(c) {
  state.cluster = c;
  state.self = c.self;
  state.allowKill = c.allowKill;
  $("#self").textContent = c.self;
  if (!state.node) state.node = c.self;
  const pick = $("#node");
  const names = c.nodes.filter((n) => n.state === "up" && !n.erlang).map((n) => n.name);
  if ([...pick.options].map((o) => o.value).join() !== names.join()) {
    pick.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
  }
  pick.value = state.node;

  const body = $("#nodes tbody");
  body.replaceChildren(...c.nodes.map((n) => {
    const s = n.summary || {};
    const tr = el("tr", { class: n.state === "down" ? "down" : "", "data-node": n.name, "data-state": n.state },
      el("td", { class: "mono" }, n.name + (n.self ? " (this node)" : "") + (n.hidden ? " (hidden)" : "") + (n.erlang ? " (Erlang)" : "")),
      el("td", { class: "state-" + n.state }, n.state + (n.downReason ? " (" + n.downReason + ")" : "")),
      el("td", {}, n.state === "up" ? fmtNum(s.processes) : ""),
      el("td", {}, s.heap ? fmtBytes(s.heap) : ""),
      el("td", {}, n.self ? "" : fmtNum(n.framesInPerSec)),
      el("td", {}, n.self ? "" : fmtNum(n.framesOutPerSec)),
      el("td", {}, n.self ? "" : fmtBytes(n.bytesInPerSec)),
      el("td", {}, n.self ? "" : fmtBytes(n.bytesOutPerSec)),
      el("td", {}, n.self ? "" : fmtNum(n.framesIn)),
      el("td", {}, n.self ? "" : fmtNum(n.framesOut)),
      el("td", {}, n.self ? "" : fmtBytes(n.queued)));
    if (n.state === "up" && !n.erlang) tr.addEventListener("click", () => { setNode(n.name); setTab("processes"); });
    return tr;
  }));
  drawGraph(c);
}

function drawGraph(c) {
  const g = $("#graph");
  g.replaceChildren();
  const W = 800, H = 360, cx = W / 2, cy = H / 2;
  const others = c.nodes.filter((n) => !n.self);
  const pos = { [c.self]: [cx, cy] };
  others.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, others.length) - Math.PI / 2;
    pos[n.name] = [cx + 280 * Math.cos(a), cy + 130 * Math.sin(a)];
  });
  for (const n of others) {
    const [x, y] = pos[n.name];
    const color = n.state === "up" ? "var(--up)" : n.state === "down" ? "var(--down)" : "var(--pending)";
    g.append(svg("line", { class: "edge", x1: cx, y1: cy, x2: x, y2: y, stroke: color,
      "stroke-dasharray": n.state === "up" ? "" : "6 5" }));
    if (n.state === "up") {
      g.append(svg("text", { x: (cx + x) / 2, y: (cy + y) / 2 - 6 },
        "\u2192 " + fmtNum(n.framesOutPerSec) + "/s  \u2190 " + fmtNum(n.framesInPerSec) + "/s"));
    }
  }
  for (const n of c.nodes) {
    const [x, y] = pos[n.name];
    const color = n.state === "up" ? "var(--up)" : n.state === "down" ? "var(--down)" : "var(--pending)";
    const grp = svg("g", { class: "node", "data-node": n.name });
    grp.append(svg("circle", { cx: x, cy: y, r: 34, stroke: n.self ? "var(--accent)" : color }));
    grp.append(svg("text", { x, y: y + 4 }, n.name.split("@")[0]));
    grp.append(svg("text", { x, y: y + 50 }, n.state === "down" ? "DOWN" : n.erlang ? "Erlang" :
      (n.summary ? fmtNum(n.summary.processes) + " processes" : "")));
    grp.append(svg("title", {}, n.name));
    if (n.state === "up" && !n.erlang) grp.addEventListener("click", () => { setNode(n.name); setTab("processes"); });
    g.append(grp);
  }
}

// ---- processes ----

let procTimer = null;

async function loadProcesses() {
  clearTimeout(procTimer);
  if (state.tab !== "processes" || !state.node) return;
  const p = state.procs;
  const q = new URLSearchParams({ node: state.node, sort: p.sort, desc: p.desc ? "1" : "0",
    filter: p.filter, offset: p.offset, limit: p.limit });
  try {
    const page = await api("/api/processes?" + q);
    renderProcesses(page);
  } catch (e) {
    showError("processes of " + state.node + ": " + e.message);
  }
  procTimer = setTimeout(loadProcesses, 2000);
}

function renderProcesses(page) {
  const p = state.procs;
  $("#proc-count").textContent = page.matched === page.total
    ? page.total + " processes" : page.matched + " of " + page.total + " processes";
  const last = Math.min(page.matched, page.offset + page.rows.length);
  $("#page").textContent = page.matched ? (page.offset + 1) + "\u2013" + last : "";
  $("#prev").disabled = page.offset === 0;
  $("#next").disabled = last >= page.matched;
  document.querySelectorAll("#procs th").forEach((th) => {
    th.classList.toggle("asc", th.dataset.sort === p.sort && !p.desc);
    th.classList.toggle("desc", th.dataset.sort === p.sort && p.desc);
  });
  $("#procs tbody").replaceChildren(...page.rows.map((r) => {
    const tr = el("tr", { class: r.pid === p.selected ? "selected" : "", "data-pid": r.pid, "data-name": r.name || "" },
      el("td", { class: "pid" }, r.pid), el("td", { class: "mono" }, r.name || ""), el("td", { class: "mono" }, r.func),
      el("td", {}, r.status), el("td", {}, r.mailbox), el("td", {}, fmtBytes(r.memory)),
      el("td", {}, r.links), el("td", {}, r.monitors + r.monitoring));
    tr.addEventListener("click", () => openProcess(r.pid));
    return tr;
  }));
  if (p.selected && nodeOfPid(p.selected) === state.node) refreshDetail();
}

async function openProcess(pid) {
  const nd = nodeOfPid(pid);
  if (nd && nd !== state.node) setNode(nd);
  if (state.procs.selected !== pid) {
    // Until the new process's details arrive, show nothing of the one
    // selected before: its kill button must not be clicked by mistake.
    $("#detail").replaceChildren(el("h2", { class: "mono" }, pid), el("p", { class: "note" }, "loading…"));
  }
  state.procs.selected = pid;
  if (state.tab !== "processes") setTab("processes");
  await refreshDetail();
}

async function refreshDetail() {
  const pid = state.procs.selected;
  const box = $("#detail");
  let d;
  try {
    d = await api("/api/process?pid=" + encodeURIComponent(pid));
  } catch (e) {
    if (state.procs.selected !== pid) return; // another process was chosen meanwhile
    box.replaceChildren(el("h2", {}, pid), el("p", { class: "warn" }, "not running: " + e.message));
    box.classList.remove("hidden");
    return;
  }
  if (state.procs.selected !== pid) return; // another process was chosen meanwhile
  const list = (pids) => pids.length ? pids.flatMap((x, i) => i ? [", ", pidLink(x)] : [pidLink(x)]) : ["none"];
  const dl = el("dl", {},
    el("dt", {}, "registered name"), el("dd", { class: "mono" }, d.name || "none"),
    el("dt", {}, "initial function"), el("dd", { class: "mono" }, d.func),
    el("dt", {}, "status"), el("dd", {}, d.status),
    el("dt", {}, "mailbox"), el("dd", {}, String(d.mailbox)),
    el("dt", {}, "memory"), el("dd", {}, fmtBytes(d.memory) + " (runtime structures and mailbox slots)"),
    el("dt", {}, "trap exit"), el("dd", {}, d.trapExit ? "yes" : "no"),
    el("dt", {}, "links"), el("dd", {}, ...list(d.links)),
    el("dt", {}, "monitored by"), el("dd", {}, ...list(d.monitoredBy)),
    el("dt", {}, "monitoring"), el("dd", {}, ...(d.monitoring.length
      ? d.monitoring.flatMap((x, i) => { const k = x.startsWith("<") ? pidLink(x) : x; return i ? [", ", k] : [k]; })
      : ["none"])),
    el("dt", {}, "group leader"), el("dd", {}, d.groupLeader ? pidLink(d.groupLeader) : "none (output goes to the node's standard output)"),
    el("dt", {}, "traced"), el("dd", {}, d.traced ? "yes" : "no"));
  const head = d.mailboxHead.length
    ? el("ol", {}, ...d.mailboxHead.map((m) => el("li", {}, m)))
    : el("p", { class: "note" }, d.mailboxPartial ? "(the process is working through its mailbox: its messages cannot be read now)" : "empty");
  const actions = el("p", {},
    el("button", { onclick: () => traceTarget(pid, !d.traced) }, d.traced ? "untrace" : "trace"), " ");
  if (state.allowKill) {
    actions.append(el("button", { class: "danger", id: "kill", onclick: () => killProcess(pid) }, "kill"));
  }
  box.replaceChildren(el("h2", { class: "mono" }, pid), actions, dl,
    el("h3", {}, "mailbox head" + (d.mailboxPartial ? " (newest arrivals only)" : "")), head,
    el("h3", {}, "current stack"), el("pre", {}, d.stack));
  box.classList.remove("hidden");
}

async function killProcess(pid) {
  try {
    await api("/api/kill", { pid });
    loadProcesses();
  } catch (e) {
    showError("kill " + pid + ": " + e.message);
  }
}

// ---- supervision trees ----

let treesData = null;

async function loadTrees() {
  if (!state.node) return;
  try {
    renderTrees(await api("/api/trees?node=" + encodeURIComponent(state.node)));
  } catch (e) {
    showError("trees of " + state.node + ": " + e.message);
  }
}

function renderTrees(trees) {
  treesData = trees;
  const box = $("#trees");
  if (trees.error) {
    box.replaceChildren(el("p", { class: "warn" }, trees.error));
    return;
  }
  if (!trees.length) {
    box.replaceChildren(el("p", { class: "note" }, "No supervisor runs on " + state.node + "."));
    return;
  }
  const blink = [];
  const seen = {};
  const draw = (t, path) => {
    const ul = el("ul", {});
    for (const c of t.children) {
      const key = path + "/" + c.id;
      seen[key] = c.restarts;
      const cls = "child " + (c.supervisor ? "supervisor" : "worker") + (c.pid ? "" : " stopped");
      const span = el("span", { class: cls, "data-id": c.id, "data-restarts": c.restarts },
        el("b", {}, c.id), c.pid ? pidLink(c.pid) : el("span", { class: "warn" }, c.restarting ? "restarting" : "not running"),
        c.name ? el("span", { class: "mono" }, "registered as " + c.name) : "",
        el("span", { class: "note" }, c.restart),
        el("span", { class: "restarts" + (c.restarts ? " some" : "") }, c.restarts + (c.restarts === 1 ? " restart" : " restarts")));
      const prev = state.restarts[key];
      if (prev !== undefined && c.restarts > prev) blink.push(span);
      const li = el("li", {}, span);
      if (c.sub) li.append(draw(c.sub, key));
      ul.append(li);
    }
    return ul;
  };
  box.replaceChildren(...trees.map((t) => {
    const head = el("div", { class: "sup-head" }, "supervisor ", pidLink(t.pid), t.name ? " registered as " + t.name : "",
      " \u2014 " + (t.strategy || "?") + ", at most " + t.intensity + " restarts in " + (t.periodMs / 1000) + " s");
    const div = el("div", { class: "tree", "data-sup": t.pid }, head);
    if (t.error) div.append(el("p", { class: "warn" }, t.error));
    div.append(draw(t, t.name || t.pid));
    return div;
  }));
  state.restarts = seen;
  for (const s of blink) s.classList.add("blink");
}

// ---- trace ----

async function traceTarget(target, on) {
  try {
    await api("/api/trace", { target, node: state.node, on });
    if (state.procs.selected) refreshDetail();
  } catch (e) {
    showError((on ? "trace " : "untrace ") + target + ": " + e.message);
  }
}

function addEvents(evs) {
  for (const e of evs) {
    if (e.kind === "dropped") {
      state.dropped[e.node] = (state.dropped[e.node] || 0) + e.n;
      continue;
    }
    state.events.push(e);
  }
  state.events.sort((a, b) => a.t - b.t);
  if (state.events.length > maxEvents) state.events.splice(0, state.events.length - maxEvents);
  const d = Object.entries(state.dropped).map(([n, c]) => c + " events dropped on " + n);
  $("#dropped").textContent = d.join(", ");
  if (state.paused) {
    state.pendingWhilePaused += evs.length;
    $("#pause").textContent = "resume (" + state.pendingWhilePaused + " new)";
    return;
  }
  if (state.tab === "trace") drawTrace();
}

// drawTrace draws the trace as a sequence diagram: one lifeline per
// process, an arrow per message (from its send to its delivery when both
// were traced), a cross where a process exited.
function drawTrace() {
  const g = $("#seq");
  const evs = state.events;
  const names = {}; // "{name,node}" and pid -> pid, from the events that named a process
  for (const e of evs) {
    if (e.name) { names["{" + e.name + "," + e.node + "}"] = e.pid; names[e.name + "@" + e.node] = e.pid; }
  }
  const resolve = (peer, fromNode) => {
    if (!peer) return "";
    if (peer.startsWith("<")) return peer;
    return names[peer] || names[peer + "@" + fromNode] || peer;
  };
  const lanes = [];
  const lane = (p) => { if (p && !lanes.includes(p)) lanes.push(p); return lanes.indexOf(p); };
  const label = {};
  for (const e of evs) { if (e.name) label[e.pid] = e.name; }
  // Pair each delivery with the send it came from.
  const used = new Set();
  const pairs = [];
  evs.forEach((e, i) => {
    if (e.kind !== "send") return;
    const to = resolve(e.peer, e.node);
    let j = -1;
    for (let k = i + 1; k < evs.length; k++) {
      const r = evs[k];
      if (!used.has(k) && r.kind === "receive" && r.peer === e.pid && r.msg === e.msg && (!to.startsWith("<") || r.pid === to)) { j = k; break; }
    }
    if (j >= 0) used.add(j);
    pairs.push({ from: e.pid, to: j >= 0 ? evs[j].pid : to, i, j, msg: e.msg, recv: j >= 0 });
  });
  evs.forEach((e, k) => {
    if (e.kind === "receive" && !used.has(k)) pairs.push({ from: e.peer || "(outside)", to: e.pid, i: k, j: k, msg: e.msg, recv: true });
  });
  for (const e of evs) lane(e.pid);
  for (const p of pairs) { lane(p.from); lane(p.to); }
  const laneW = 190, top = 60, rowH = 26, left = 110;
  const W = left + Math.max(1, lanes.length) * laneW, H = top + (evs.length + 1) * rowH + 20;
  g.setAttribute("width", W);
  g.setAttribute("height", H);
  g.replaceChildren();
  const x = (p) => left + lane(p) * laneW + laneW / 2;
  const y = (i) => top + (i + 1) * rowH;
  const t0 = evs.length ? evs[0].t : 0;
  for (const p of lanes) {
    const hx = x(p);
    g.append(svg("line", { class: "lifeline", x1: hx, y1: top, x2: hx, y2: H - 10 }));
    const head = svg("g", { class: "head", "data-pid": p });
    head.append(svg("rect", { x: hx - laneW / 2 + 8, y: 8, width: laneW - 16, height: 40, rx: 5 }));
    head.append(svg("text", { x: hx, y: 25 }, label[p] || (p.startsWith("<") ? "" : p)));
    head.append(svg("text", { x: hx, y: 41 }, p.startsWith("<") ? p : ""));
    g.append(head);
  }
  evs.forEach((e, i) => {
    g.append(svg("text", { class: "time", x: 6, y: y(i) + 4 }, "+" + ((e.t - t0) / 1e6).toFixed(3) + " ms"));
  });
  const tip = $("#tip");
  for (const p of pairs) {
    const x1 = x(p.from), x2 = x(p.to), y1 = y(p.i), y2 = y(p.j >= 0 ? p.j : p.i);
    const cross = nodeOfPid(p.from) !== nodeOfPid(p.to);
    const a = svg("g", { class: "arrow" + (cross ? " cross-node" : ""), "data-from": p.from, "data-to": p.to, "data-msg": p.msg });
    const dir = x2 >= x1 ? 1 : -1;
    const self = x1 === x2;
    if (self) {
      a.append(svg("line", { x1, y1, x2: x1 + 30, y2: y1 }), svg("line", { x1: x1 + 30, y1, x2: x1 + 30, y2: y2 + 8 }),
        svg("line", { x1: x1 + 30, y1: y2 + 8, x2: x1 + 4, y2: y2 + 8 }));
    } else {
      a.append(svg("line", { x1, y1, x2: x2 - dir * 4, y2, "stroke-dasharray": p.recv ? "" : "5 4" }));
      a.append(svg("line", { x1: x2 - dir * 4, y1: y2, x2: x2 - dir * 12, y2: y2 - 5 }));
      a.append(svg("line", { x1: x2 - dir * 4, y1: y2, x2: x2 - dir * 12, y2: y2 + 5 }));
    }
    const short = p.msg.length > 28 ? p.msg.slice(0, 27) + "\u2026" : p.msg;
    a.append(svg("text", { x: (x1 + x2) / 2 + (self ? 40 : 0), y: (y1 + y2) / 2 - 4, "text-anchor": self ? "start" : "middle" }, short));
    a.append(svg("title", {}, p.from + " \u2192 " + p.to + "\n" + p.msg));
    a.addEventListener("mousemove", (ev) => {
      tip.textContent = p.from + " \u2192 " + p.to + "\n" + p.msg;
      tip.style.left = ev.clientX + 12 + "px";
      tip.style.top = ev.clientY + 12 + "px";
      tip.classList.remove("hidden");
    });
    a.addEventListener("mouseleave", () => tip.classList.add("hidden"));
    g.append(a);
  }
  evs.forEach((e, i) => {
    if (e.kind !== "exit") return;
    const cx = x(e.pid), cy = y(i);
    const ex = svg("g", { class: "exit", "data-pid": e.pid });
    ex.append(svg("line", { x1: cx - 9, y1: cy - 9, x2: cx + 9, y2: cy + 9 }), svg("line", { x1: cx - 9, y1: cy + 9, x2: cx + 9, y2: cy - 9 }));
    ex.append(svg("text", { x: cx + 14, y: cy + 4 }, "exit " + e.msg));
    ex.append(svg("title", {}, e.pid + " exited: " + e.msg));
    g.append(ex);
  });
}

// ---- the event stream ----

let source = null;

function connect() {
  if (source) source.close();
  const q = state.node ? "?node=" + encodeURIComponent(state.node) : "";
  source = new EventSource("/api/events" + q);
  source.onopen = () => { $("#live").className = "live on"; $("#live").textContent = "live"; };
  source.onerror = () => { $("#live").className = "live off"; $("#live").textContent = "reconnecting"; };
  source.addEventListener("cluster", (m) => renderCluster(JSON.parse(m.data)));
  source.addEventListener("trees", (m) => { if (state.tab === "trees") renderTrees(JSON.parse(m.data)); else treesData = JSON.parse(m.data); });
  source.addEventListener("trace", (m) => addEvents(JSON.parse(m.data)));
}

function init() {
  document.querySelectorAll("nav .tab").forEach((b) => b.addEventListener("click", () => setTab(b.dataset.tab)));
  $("#node").addEventListener("change", (e) => setNode(e.target.value));
  let filterTimer = null;
  $("#filter").addEventListener("input", (e) => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { state.procs.filter = e.target.value; state.procs.offset = 0; loadProcesses(); }, 200);
  });
  $("#prev").addEventListener("click", () => { state.procs.offset = Math.max(0, state.procs.offset - state.procs.limit); loadProcesses(); });
  $("#next").addEventListener("click", () => { state.procs.offset += state.procs.limit; loadProcesses(); });
  document.querySelectorAll("#procs th").forEach((th) => th.addEventListener("click", () => {
    const p = state.procs;
    if (p.sort === th.dataset.sort) p.desc = !p.desc; else { p.sort = th.dataset.sort; p.desc = th.dataset.sort !== "pid" && th.dataset.sort !== "name" && th.dataset.sort !== "func"; }
    p.offset = 0;
    loadProcesses();
  }));
  $("#trace-on").addEventListener("click", () => traceTarget($("#trace-target").value.trim(), true));
  $("#trace-off").addEventListener("click", () => traceTarget($("#trace-target").value.trim(), false));
  $("#trace-all").addEventListener("click", () => traceTarget("all", true));
  $("#untrace-all").addEventListener("click", () => traceTarget("all", false));
  $("#pause").addEventListener("click", () => {
    state.paused = !state.paused;
    state.pendingWhilePaused = 0;
    $("#pause").textContent = state.paused ? "resume" : "pause";
    $("#pause").classList.toggle("active", state.paused);
    if (!state.paused) drawTrace();
  });
  $("#clear").addEventListener("click", () => { state.events = []; state.dropped = {}; $("#dropped").textContent = ""; drawTrace(); });
  api("/api/trace").then(addEvents).catch(() => {});
  connect();
  const tab = new URLSearchParams(location.search).get("tab");
  if (tab) setTab(tab);
}

init();
