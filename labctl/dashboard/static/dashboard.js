// labctl dashboard: subscribes to every rig's retained state on the broker and draws it; commands go to
// labctl/<rig>/cmd/<verb> and their answers come back on the signed-in user's ops/<user>/… topic.
// Everything from the broker is shown with textContent, never parsed as HTML.
"use strict";

(() => {
  const MAX_POINTS = 7200;
  const ANSWER_TIMEOUT_MS = 10000;
  const SIGNALS = ["Tr_C", "Tj_C", "Tset_C", "dTr_dt_K_min", "MTSR_C"];
  const FINISHED = ["completed", "completed with deviations", "batch compromised", "aborted", "failed", "halted"];
  const $ = (selector, root = document) => root.querySelector(selector);
  const decoder = new TextDecoder();
  const rigs = new Map();
  const pending = new Map();
  let config = null;
  let client = null;
  let user = null;
  const clientId = `labctl-dashboard-${randomId()}`;

  function randomId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function replyTopic() {
    return `ops/${user}/dashboard/${clientId}`;
  }

  function parse(payload) {
    const text = decoder.decode(payload);
    if (text === "") return null;
    try {
      const value = JSON.parse(text);
      return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  function number(value, places = 2) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(places) : "—";
  }

  function setConnection(state, text) {
    const badge = $("#connection");
    badge.dataset.state = state;
    badge.textContent = text;
  }

  // --- connection ------------------------------------------------------------------------------------------

  function connect(username, password) {
    if (client) client.end(true);
    user = username || null;
    const options = { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 2000, connectTimeout: 5000 };
    if (user) Object.assign(options, { username: user, password });
    $("#login-error").textContent = "";
    setConnection("connecting", `connecting to ${config.broker}`);
    client = mqtt.connect(config.broker, options);
    client.on("connect", onConnect);
    client.on("reconnect", () => setConnection("connecting", "reconnecting… (values are not live)"));
    client.on("close", onClose);
    client.on("offline", () => setConnection("offline", "broker unreachable; retrying (values are not live)"));
    client.on("error", onError);
    client.on("message", onMessage);
  }

  function onConnect() {
    document.body.dataset.connected = "yes";
    setConnection("online", "connected");
    $("#login").hidden = true;
    $("#sign-out").hidden = false;
    $("#who").textContent = user ? `signed in as ${user}` : "watching (sign in to command)";
    document.body.dataset.canCommand = user ? "yes" : "no";
    const root = config.root;
    const topics = ["status", "telemetry", "alarms/+", "prompt", "plan", "dosing"].map((t) => `${root}/+/${t}`);
    if (user) topics.push(replyTopic());
    client.subscribe(topics, { qos: 1 }, (err, granted) => {
      const refused = (granted || []).filter((g) => g.qos >= 128).map((g) => g.topic);
      if (err || refused.length) {
        setConnection("error", `the broker refused: ${err ? err.message : refused.join(", ")}`);
      }
    });
  }

  function onError(err) {
    const code = err && err.code;
    if (code === 134 || code === 135 || code === 4 || code === 5) {
      client.end(true);
      client = null;
      forgetPending();
      setConnection("error", "not signed in");
      $("#login").hidden = false;
      $("#sign-out").hidden = true;
      $("#login-error").textContent = `The broker refused the login: ${err.message}`;
      return;
    }
    setConnection("error", err ? err.message : "connection error");
  }

  // A command the broker has not confirmed when the link drops is taken back, never sent on reconnect: the
  // state it was meant for may be gone by then (a stale Resume must not release a new trip).
  function onClose() {
    document.body.dataset.connected = "no";
    if (!client) return;
    for (const [messageId, entry] of Object.entries(client.outgoing || {})) {
      if (entry.cmd === "publish") client.removeOutgoingMessage(Number(messageId));
    }
  }

  function forgetPending() {
    for (const entry of pending.values()) clearTimeout(entry.timer);
    pending.clear();
  }

  function signOut() {
    if (client) client.end(true);
    client = null;
    user = null;
    forgetPending();
    document.body.dataset.connected = "no";
    document.body.dataset.canCommand = "no";
    $("#login").hidden = false;
    $("#sign-out").hidden = true;
    $("#who").textContent = "";
    setConnection("idle", "not connected");
  }

  // --- messages --------------------------------------------------------------------------------------------

  function onMessage(topic, payload) {
    const levels = topic.split("/");
    if (levels[0] === "ops") return onReply(parse(payload));
    if (levels[0] !== config.root || levels.length < 3) return;
    const body = parse(payload);
    if (body === undefined) return; // not a JSON object: not ours to show
    const rig = rigFor(levels[1]);
    switch (levels[2]) {
      case "status": return rig.status(body);
      case "telemetry": return levels.length === 3 && rig.telemetry(body);
      case "alarms": return rig.alarm(levels.slice(3).join("/"), body);
      case "prompt": return rig.prompt(body);
      case "plan": return rig.plan(body);
      case "dosing": return rig.dosing(body);
    }
  }

  function onReply(answer) {
    if (!answer || typeof answer.id !== "string" || !pending.has(answer.id)) return;
    const { rig, verb, timer, sentAt } = pending.get(answer.id);
    clearTimeout(timer);
    pending.delete(answer.id);
    const late = Date.now() - sentAt > ANSWER_TIMEOUT_MS ? ` (answer came after ${Math.round((Date.now() - sentAt) / 1000)} s)` : "";
    const text = answer.accepted ? `${verb}: accepted${late}` : `${verb}: refused by labctl: ${answer.reason}${late}`;
    rig.feedback(text, answer.accepted ? "accepted" : "refused");
  }

  function send(rig, verb, target) {
    if (!client || !user) return;
    if (!client.connected) {
      rig.feedback(`${verb}: not sent: no connection to the broker`, "refused");
      return;
    }
    const id = randomId();
    const request = { by: user, id, rig: rig.name };
    if (target) request.target = target;
    const topic = `${config.root}/${rig.name}/cmd/${verb}`;
    rig.feedback(`${verb}: sent…`, "pending");
    const entry = { rig, verb, sentAt: Date.now(), messageId: null, timer: null };
    entry.timer = setTimeout(() => {
      if (entry.messageId !== null) client.removeOutgoingMessage(entry.messageId);
      rig.feedback(`${verb}: no answer from labctl within ${ANSWER_TIMEOUT_MS / 1000} s: outcome unknown, check the state before sending again`, "unknown");
    }, ANSWER_TIMEOUT_MS);
    pending.set(id, entry);
    const before = new Set(Object.keys(client.outgoing || {}));
    const options = { qos: 1, properties: { responseTopic: replyTopic() } };
    client.publish(topic, JSON.stringify(request), options, (err) => {
      entry.messageId = null;
      if (!err) return;
      clearTimeout(entry.timer);
      pending.delete(id);
      if (err.message === "Message removed") {
        rig.feedback(`${verb}: outcome unknown: the connection dropped before the broker confirmed it; check the state before sending again`, "unknown");
      } else {
        rig.feedback(`${verb}: rejected by the broker: ${err.message}`, "refused");
      }
    });
    const added = Object.keys(client.outgoing || {}).find((key) => !before.has(key));
    if (added !== undefined && pending.has(id)) entry.messageId = Number(added);
  }

  // --- one rig ---------------------------------------------------------------------------------------------

  function rigFor(name) {
    let rig = rigs.get(name);
    if (!rig) {
      rig = new Rig(name);
      rigs.set(name, rig);
      $("#no-rigs").hidden = true;
      const cards = [...rigs.keys()].sort();
      const after = cards[cards.indexOf(name) + 1];
      $("#rigs").insertBefore(rig.card, after ? rigs.get(after).card : null);
    }
    return rig;
  }

  class Rig {
    constructor(name) {
      this.name = name;
      this.card = $("#rig-template").content.firstElementChild.cloneNode(true);
      this.card.dataset.rig = name;
      $(".rig-name", this.card).textContent = name;
      this.state = null;
      this.online = false;
      this.step = null;
      this.band = null;
      this.bands = {};
      this.alarms = new Map();
      this.points = [[], [], [], []];
      this.runId = null;
      this.chart = null;
      this.redraw = false;
      $(".pause", this.card).addEventListener("click", () => send(this, "pause"));
      $(".resume", this.card).addEventListener("click", () => send(this, "resume"));
      $(".abort", this.card).addEventListener("click", () => this.abort());
      $(".confirm", this.card).addEventListener("click", () => send(this, "confirm-prompt", this.promptId));
      // A pause while labctl asks whether an addition arrived is the answer "no": it pumps it again on resume.
      $(".decline", this.card).addEventListener("click", () => send(this, "pause"));
      this.controls();
    }

    el(selector) {
      return $(selector, this.card);
    }

    feedback(text, kind) {
      const p = this.el(".feedback");
      p.textContent = text;
      p.dataset.kind = kind;
    }

    abort() {
      const reason = this.el(".abort-reason").value.trim();
      if (!reason) {
        this.feedback("abort: give a reason first", "refused");
        return;
      }
      if (window.confirm(`Abort the run on ${this.name}? Additions stop and the rig goes to its safe state.`)) {
        send(this, "abort", reason);
      }
    }

    status(s) {
      if (s === null) {
        this.state = null;
        this.online = false;
        this.el(".state").textContent = "unknown (no status)";
        this.el(".state").dataset.state = "";
        this.controls();
        return;
      }
      this.online = s.online !== false;
      this.state = s.state;
      const badge = this.el(".state");
      badge.dataset.state = this.state || "";
      badge.textContent = s.state === "lost" ? "lost: controller offline" : s.state;
      this.el(".run").textContent = [s.protocol, s.run_id && `run ${s.run_id}`, s.mode].filter(Boolean).join(" · ");
      this.el(".step-id").textContent = s.step || "—";
      this.step = s.step || null;
      this.pickBand();
      this.el(".step-kind").textContent = s.step_kind ? `(${s.step_kind})` : "";
      this.el(".reason").textContent = s.reason ? `— ${s.reason}` : "";
      this.controls();
    }

    live() {
      return this.online && this.state && !FINISHED.includes(this.state) && this.state !== "lost";
    }

    controls() {
      const live = this.live();
      this.el(".pause").disabled = !live || this.state !== "running";
      this.el(".resume").disabled = !live || this.state !== "paused";
      this.el(".abort").disabled = !live;
      this.el(".confirm").disabled = !live;
      for (const ack of this.card.querySelectorAll(".ack")) ack.disabled = !live;
    }

    telemetry(t) {
      if (t === null) return;
      for (const signal of SIGNALS) {
        const cell = this.el(`.v-${signal}`);
        if (cell) cell.textContent = number(t[signal], signal === "dTr_dt_K_min" ? 3 : 2);
      }
      if (t.run_id !== this.runId) this.newRun(t.run_id);
      const at = typeof t.t_s === "number" ? t.t_s / 60 : NaN;
      if (!Number.isFinite(at)) return;
      const [x, tr, tj, tset] = this.points;
      if (x.length && at <= x[x.length - 1]) return; // a retained copy already drawn
      const value = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
      x.push(at);
      tr.push(value(t.Tr_C));
      tj.push(value(t.Tj_C));
      tset.push(value(t.Tset_C));
      if (x.length > MAX_POINTS) this.points.forEach((column) => column.shift());
      this.schedule();
    }

    newRun(runId) {
      this.runId = runId;
      this.points = [[], [], [], []];
      this.schedule();
    }

    plan(p) {
      this.bands = p && p.bands_C && typeof p.bands_C === "object" ? p.bands_C : {};
      this.pickBand();
    }

    pickBand() {
      const band = this.step ? this.bands[this.step] : undefined;
      this.band = Array.isArray(band) && band.length === 2 ? band : null;
      this.schedule();
    }

    dosing(d) {
      const box = this.el(".dosing");
      box.hidden = d === null;
      if (d === null) return;
      const planned = d.portions_planned;
      this.el(".dose-bar").max = planned || 1;
      this.el(".dose-bar").value = d.portions_done;
      const mass = d.planned_g ? `${number(d.dispensed_g, 2)} of ${number(d.planned_g, 2)} g` : `${number(d.dispensed_g, 2)} g`;
      this.el(".dose-text").textContent = `${d.portions_done} of ${planned ?? "?"} portions done, ${mass}`;
      let wait = "";
      if (d.completed) wait = "dosing complete";
      else if (d.in_progress) wait = `portion ${d.in_progress} dosing`;
      else if (d.waiting_for && d.waiting_for.length) wait = `waits for ${d.waiting_for.join(", ")}`;
      this.el(".dose-wait").textContent = wait;
    }

    prompt(p) {
      const box = this.el(".prompt");
      box.hidden = p === null;
      this.promptId = p ? p.id : null;
      this.el(".prompt-message").textContent = p ? p.message : "";
      this.el(".decline").hidden = !(p && p.delivery);
    }

    alarm(id, a) {
      if (a === null || a.state === "cleared") this.alarms.delete(id);
      else this.alarms.set(id, a);
      const list = this.el(".alarms");
      list.replaceChildren();
      for (const [alarmId, alarm] of this.alarms) {
        const li = document.createElement("li");
        li.dataset.alarm = alarmId;
        li.dataset.state = alarm.state;
        const who = alarm.acknowledged_by ? ` — acknowledged by ${alarm.acknowledged_by}` : "";
        const gone = alarm.active === false ? " (condition gone)" : "";
        li.textContent = `${alarm.level}: ${alarm.id} — ${alarm.message}${gone}${who} `;
        if (alarm.state === "raised") {
          const ack = document.createElement("button");
          ack.type = "button";
          ack.className = "ack";
          ack.disabled = !this.live();
          ack.textContent = "Acknowledge";
          ack.addEventListener("click", () => send(this, "ack-alarm", alarmId));
          li.append(ack);
        }
        list.append(li);
      }
    }

    schedule() {
      if (this.redraw) return;
      this.redraw = true;
      requestAnimationFrame(() => {
        this.redraw = false;
        this.draw();
      });
    }

    draw() {
      if (!this.points[0].length) return;
      if (!this.chart) this.chart = this.makeChart();
      this.chart.setData(this.points);
    }

    makeChart() {
      const box = this.el(".chart");
      const rig = this;
      const shadeBand = (u) => {
        if (!rig.band) return;
        const top = u.valToPos(rig.band[1], "y", true);
        const bottom = u.valToPos(rig.band[0], "y", true);
        u.ctx.save();
        u.ctx.fillStyle = "rgba(26, 152, 80, 0.18)";
        u.ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
        u.ctx.restore();
      };
      const withBand = (u, min, max) => {
        const low = rig.band ? Math.min(min, rig.band[0] - 1) : min;
        const high = rig.band ? Math.max(max, rig.band[1] + 1) : max;
        return low === high ? [low - 1, high + 1] : [low, high];
      };
      return new uPlot(
        {
          width: Math.max(box.clientWidth, 320),
          height: 220,
          scales: { x: { time: false }, y: { range: withBand } },
          axes: [{ label: "process time / min" }, { label: "°C" }],
          series: [
            { label: "min", value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
            { label: "Tr", stroke: "#b2182b", width: 2, points: { show: false } },
            { label: "Jacket", stroke: "#2166ac", width: 1, points: { show: false } },
            { label: "Setpoint", stroke: "#555", width: 1, dash: [6, 4], points: { show: false } },
          ],
          hooks: { drawClear: [shadeBand] },
        },
        this.points,
        box,
      );
    }
  }

  // --- start -----------------------------------------------------------------------------------------------

  async function start() {
    config = await (await fetch("config.json", { cache: "no-store" })).json();
    $("#broker").textContent = config.broker;
    $("#login").addEventListener("submit", (event) => {
      event.preventDefault();
      connect($("#username").value.trim(), $("#password").value);
    });
    $("#watch").addEventListener("click", () => connect("", ""));
    $("#sign-out").addEventListener("click", signOut);
  }

  start().catch((err) => setConnection("error", `cannot start: ${err.message}`));
})();
