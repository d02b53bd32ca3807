// kubeclass pages: the few things htmx cannot do for us — the hop animation, terminal history,
// completion and streaming, keyboard shortcuts, time travel, and following a class.
(function () {
  "use strict";
  const app = () => document.getElementById("app");
  const $ = (id) => document.getElementById(id);
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const history = JSON.parse(sessionStorage.getItem("kubeclass-history") || "[]");
  let historyIndex = history.length;
  let viewing = null; // the step <li> shown while walking back; null = live
  let leavingForClass = false; // the class moved on and this page is on its way there
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const isOwner = () => app() && app().dataset.role === "owner";
  let dashboardSocket = null;
  let classSocket = null; // the teacher's page tells the class which step it shows
  let teacherViewPending = false; // a student's page heard the teacher's step before it had any steps

  function panelUrl(name, params) {
    const url = app().dataset.panelUrl.replace("PANEL", name);
    const query = new URLSearchParams(params || {}).toString();
    return query ? url + "?" + query : url;
  }

  // Each region of the page loads through its own htmx queue. A request without a source shares the body's
  // queue, where a newer request for another region replaces a queued one: the map's way back to live was
  // dropped whenever a past revision's map was still loading.
  function load(url, target, swap) {
    return htmx.ajax("GET", url, { source: target, target, swap: swap || "innerHTML" });
  }

  function post(url, data) {
    const body = new URLSearchParams(data);
    return fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
  }

  function send(message) {
    if (dashboardSocket) dashboardSocket.send(JSON.stringify(message));
  }

  // -- the hop animation ---------------------------------------------------
  function centre(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    const rect = el.querySelector("rect") || el;
    const x = parseFloat(rect.getAttribute("x")), y = parseFloat(rect.getAttribute("y"));
    return { x: x + parseFloat(rect.getAttribute("width")) / 2, y: y + parseFloat(rect.getAttribute("height")) / 2 };
  }

  function flash(id) {
    const el = document.getElementById(id);
    if (!el) return;
    el.classList.add("active");
    setTimeout(() => el.classList.remove("active"), 700);
  }

  function animateHop(step) {
    const from = centre(step.dataset.fromId), to = centre(step.dataset.toId);
    flash(step.dataset.toId);
    const layer = $("flight-layer");
    if (!from || !to || !layer || reduceMotion.matches) return;
    const ns = "http://www.w3.org/2000/svg";
    const g = document.createElementNS(ns, "g");
    g.setAttribute("class", "flight");
    const dot = document.createElementNS(ns, "circle");
    dot.setAttribute("r", "7");
    const label = document.createElementNS(ns, "text");
    label.textContent = step.dataset.verb + " " + (step.dataset.object || "");
    g.append(dot, label);
    layer.appendChild(g);
    const duration = 600, start = performance.now();
    function frame(now) {
      const t = Math.min(1, (now - start) / duration);
      const x = from.x + (to.x - from.x) * t, y = from.y + (to.y - from.y) * t;
      dot.setAttribute("cx", x); dot.setAttribute("cy", y);
      label.setAttribute("x", x + 10); label.setAttribute("y", y - 10);
      if (t < 1) requestAnimationFrame(frame); else setTimeout(() => g.remove(), 250);
    }
    requestAnimationFrame(frame);
  }

  function showHop(step) {
    const hop = $("hop");
    const detail = step.querySelector("template");
    if (hop && detail) hop.replaceChildren(detail.content.cloneNode(true));
    document.querySelectorAll("#step-log li.current").forEach((li) => li.classList.remove("current"));
    step.classList.add("current");
  }

  const heartbeatsHidden = () => $("step-log").classList.contains("hide-heartbeats");
  const visibleSteps = () => Array.from(document.querySelectorAll("#step-log li"))
    .filter((li) => !(heartbeatsHidden() && li.dataset.heartbeat));

  const latencies = (window.kubeclassStepLatencies = []);

  // A push may carry many steps: time them all, but explain and animate only the newest shown.
  function onNewSteps(added) {
    const now = Date.now();
    for (const step of added) if (step.dataset.sentAt) latencies.push(now - Number(step.dataset.sentAt));
    const newest = visibleSteps()[0];
    if (viewing || !newest || !added.includes(newest)) return; // walking back: keep the view still
    showHop(newest);
    animateHop(newest);
  }

  // -- time travel ---------------------------------------------------------
  function showRevision(revision) {
    const live = $("live-revision");
    const isLive = !revision || (!viewing && String(revision) === live.textContent.trim());
    $("past-banner").hidden = isLive;
    $("past-rev").textContent = revision || "";
    const params = isLive ? {} : { revision };
    load(panelUrl("map", params), "#map");
    const active = document.querySelector(".tab.active");
    if (active) load(panelUrl(active.dataset.panel, params), "#panel-body");
    app().dataset.viewRevision = isLive ? "" : revision;
  }

  // The teacher's page tells the class the step it shows and the revision it shows it at (0: live): a student's
  // page may lack the steps below it that the revision is read from.
  function tellClass(li) {
    const view = li ? { seq: Number(li.dataset.seq), revision: Number(revisionOf(li)) } : { seq: 0, revision: 0 };
    if (classSocket && document.getElementById("class-desk")) classSocket.send(JSON.stringify({ type: "view", ...view }));
  }

  function backToLive() {
    tellClass(null);
    viewing = null;
    const slider = $("time-slider");
    slider.value = slider.max;
    showRevision(null);
    const newest = visibleSteps()[0];
    if (newest) showHop(newest);
  }

  // A request hop has no revision of its own: the cluster is as the last write before it left it.
  function revisionOf(li) {
    for (let node = li; node; node = node.nextElementSibling) if (node.dataset.revision) return node.dataset.revision;
    return "1";
  }

  function viewStep(li, atRevision) {
    tellClass(li);
    viewing = li;
    showHop(li);
    li.scrollIntoView({ block: "nearest" }); // a follower's page may have moved to a step out of sight
    const revision = atRevision || revisionOf(li);
    $("time-slider").value = revision;
    showRevision(revision);
  }

  function walk(direction) {
    const steps = visibleSteps();
    if (!steps.length) return;
    const index = viewing ? steps.indexOf(viewing) : 0;
    const next = steps[Math.min(steps.length - 1, Math.max(0, index + direction))];
    if (direction > 0 && index === 0 && viewing) { backToLive(); return; }
    viewStep(next);
  }

  // -- controls ------------------------------------------------------------
  function control(action, value) {
    if (!isOwner()) return Promise.resolve();
    return post(app().dataset.controlUrl, { action, value: value || "" });
  }

  function next() {
    if (viewing) { walk(-1); return; }
    control("next");
  }

  function on(id, event, handler) {
    const el = $(id);
    if (el) el.addEventListener(event, handler);
  }

  function openPanel(tab) {
    document.querySelectorAll(".tab").forEach((t) => { t.classList.remove("active"); t.setAttribute("aria-selected", "false"); });
    tab.classList.add("active");
    tab.setAttribute("aria-selected", "true");
    const params = app().dataset.viewRevision ? { revision: app().dataset.viewRevision } : {};
    load(panelUrl(tab.dataset.panel, params), "#panel-body");
    send({ type: "panel", name: tab.dataset.panel });
  }

  function inspectPod(ref) {
    const [namespace, name] = ref.split("/");
    load(panelUrl("inspect", { resource: "pods", namespace, name }), "#inspector");
  }

  function explainComponent(id) {
    load(panelUrl("component", { id }), "#component-info");
  }

  function activateMapItem(target) {
    const pod = target.closest("[data-pod]");
    if (pod) { inspectPod(pod.dataset.pod); return true; }
    const component = target.closest("[data-component]");
    if (component) { explainComponent(component.dataset.component); return true; }
    return false;
  }

  function fillTerminal(button) {
    const input = $("term-input");
    if (!input || button.disabled) return;
    input.value = button.dataset.command;
    if (button.dataset.stdin) {
      $("yaml-input").value = button.dataset.stdin;
      const details = document.querySelector(".yaml-paste");
      if (details) details.open = true;
    }
    input.focus();
  }

  function bindControls() {
    on("btn-play", "click", () => control("toggle"));
    on("btn-next", "click", next);
    on("btn-prev", "click", () => walk(1));
    on("btn-ff", "click", () => control("fast-forward"));
    on("speed", "change", (e) => control("speed", e.target.value));
    on("step-mode", "change", (e) => control("step-mode", e.target.checked ? "on" : "off"));
    on("btn-projector", "click", () => document.body.classList.toggle("projector"));
    on("btn-live", "click", backToLive);
    on("show-heartbeats", "change", (e) => $("step-log").classList.toggle("hide-heartbeats", !e.target.checked));
    const slider = $("time-slider");
    slider.addEventListener("change", () => { viewing = null; showRevision(slider.value); });
    document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => openPanel(tab)));
    document.addEventListener("click", (e) => {
      const button = e.target.closest(".try-command");
      if (button) { fillTerminal(button); return; }
      if (e.target.closest(".close-info")) { $("component-info").replaceChildren(); return; }
      if (e.target.closest("#arch")) activateMapItem(e.target);
    });
    $("step-log").addEventListener("click", (e) => {
      const li = e.target.closest("li");
      if (li) viewStep(li);
    });
    $("step-log").addEventListener("keydown", (e) => {
      const li = e.target.closest("li");
      if (li && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); viewStep(li); }
    });
  }

  function bindKeys() {
    document.addEventListener("keydown", (e) => {
      if (e.target.closest && e.target.closest("#arch") && (e.key === "Enter" || e.key === " ")) {
        if (activateMapItem(e.target)) { e.preventDefault(); return; }
      }
      const typing = e.target.matches("input, textarea, select, button, summary, [role=button], li");
      if (typing) return;
      if (e.key === " ") { e.preventDefault(); control("toggle"); }
      else if (e.key === "ArrowRight") { e.preventDefault(); next(); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); walk(1); }
      else if (e.key === "p") { document.body.classList.toggle("projector"); }
    });
  }

  // -- terminal ------------------------------------------------------------
  // kubectl's verbs come from the server's own verb table (cluster/kubectl/cli.py), rendered onto #app.
  const verbs = () => ((app() && app().dataset.kubectlVerbs) || "").split(" ").filter(Boolean);
  const TYPES = ["pods", "deployments", "replicasets", "services", "endpoints", "nodes", "namespaces", "configmaps",
    "secrets", "persistentvolumes", "persistentvolumeclaims", "storageclasses", "horizontalpodautoscalers",
    "events", "endpointslices", "leases", "all", "deploy", "rs", "svc", "ep", "no", "ns", "cm", "pv", "pvc", "hpa", "po"];

  function completions(words) {
    const last = words[words.length - 1] || "";
    let pool;
    if (words.length <= 2 && (words[0] === "kubectl" || words.length === 1)) pool = verbs();
    else if (words.length === 3 || (words.length === 2 && words[0] !== "kubectl")) pool = TYPES;
    else pool = Array.from(document.querySelectorAll("#panel-body .inspect-link, #arch [data-pod]"))
      .map((el) => el.dataset.pod ? el.dataset.pod.split("/")[1] : el.textContent.trim());
    return pool.filter((w) => w.startsWith(last));
  }

  const streams = new Set(); // AbortControllers of the watches running in the terminal

  function stopNewestStream() {
    const newest = Array.from(streams).pop();
    if (newest) { newest.abort(); return true; }
    return false;
  }

  async function startStream(entry) {
    entry.dataset.started = "1";
    const out = entry.querySelector(".stream-out"), err = entry.querySelector(".stream-err");
    const stop = entry.querySelector(".stop-stream");
    const controller = new AbortController();
    streams.add(controller);
    stop.addEventListener("click", () => controller.abort());
    const output = $("term-output");
    try {
      const response = await fetch(app().dataset.streamUrl, {
        method: "POST", credentials: "same-origin", signal: controller.signal,
        headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ command: entry.dataset.streamCommand }),
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, cut); buffer = buffer.slice(cut + 1);
          const bar = line.indexOf("|"), text = line.slice(bar + 1);
          const part = line[bar - 1] === "+", kind = line.slice(0, part ? bar - 1 : bar); // "out+": no newline yet
          const piece = part ? text : text + "\n";
          if (kind === "out") out.textContent += piece;
          else if (kind === "err") { err.hidden = false; err.textContent += piece; }
          else if (kind === "end" && text !== "0") entry.classList.add("failed");
          output.scrollTop = output.scrollHeight;
        }
      }
    } catch (e) {
      if (e.name !== "AbortError") { err.hidden = false; err.textContent += String(e) + "\n"; }
      else out.textContent += "^C\n";
    } finally {
      streams.delete(controller);
      entry.classList.remove("streaming");
      stop.remove();
    }
  }

  function bindTerminal() {
    const input = $("term-input");
    if (!input) return;
    const form = $("term-form");
    const output = $("term-output");
    input.addEventListener("keydown", (e) => {
      if (e.key.toLowerCase() === "c" && e.ctrlKey) { // "C" with Caps Lock on
        if (stopNewestStream()) { e.preventDefault(); return; }
        if (!input.selectionStart && !input.selectionEnd) return;
        if (input.selectionStart === input.selectionEnd) { e.preventDefault(); input.value = ""; }
      } else if (e.key === "ArrowUp" && historyIndex > 0) { e.preventDefault(); input.value = history[--historyIndex]; }
      else if (e.key === "ArrowDown") {
        e.preventDefault();
        historyIndex = Math.min(history.length, historyIndex + 1);
        input.value = history[historyIndex] || "";
      } else if (e.key === "Tab") {
        e.preventDefault();
        const words = input.value.split(/\s+/);
        const options = completions(words);
        if (options.length === 1) { words[words.length - 1] = options[0]; input.value = words.join(" ") + " "; }
        else if (options.length > 1) {
          const pre = document.createElement("pre");
          pre.className = "term-out"; pre.textContent = options.join("  ");
          output.appendChild(pre); output.scrollTop = output.scrollHeight;
        }
      }
    });
    // The command line is read when the request leaves; clear the input at once so typing goes on.
    form.addEventListener("htmx:configRequest", (e) => {
      const line = input.value.trim();
      // `-f -` reads standard input: the YAML box is this terminal's standard input.
      if (/(^|\s)(-f|--filename)(=|\s+)-(\s|$)/.test(line) && !e.detail.parameters.stdin) {
        e.detail.parameters.stdin = $("yaml-input").value;
      }
      if (line && history[history.length - 1] !== line) history.push(line);
      sessionStorage.setItem("kubeclass-history", JSON.stringify(history.slice(-200)));
      historyIndex = history.length;
      input.value = ""; $("term-stdin").value = "";
      if (!line) e.preventDefault();
    });
    form.addEventListener("htmx:afterRequest", () => { output.scrollTop = output.scrollHeight; });
    output.addEventListener("htmx:afterSwap", () => {
      output.querySelectorAll(".term-entry[data-stream-command]:not([data-started])").forEach(startStream);
      output.scrollTop = output.scrollHeight;
    });
    document.body.addEventListener("htmx:afterSettle", () => {
      output.querySelectorAll(".term-entry[data-stream-command]:not([data-started])").forEach(startStream);
    });
    $("btn-apply-yaml").addEventListener("click", () => {
      $("term-stdin").value = $("yaml-input").value;
      input.value = "kubectl apply -f -";
      htmx.trigger(form, "submit");
    });
    $("yaml-file").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      if (file) $("yaml-input").value = await file.text();
    });
  }

  // -- live connection -----------------------------------------------------
  function syncControls() {
    const mode = $("cluster-mode");
    if (!mode) return;
    const stepMode = $("step-mode");
    if (stepMode) stepMode.checked = mode.dataset.mode === "step";
    const speed = $("speed");
    const value = String(Number(mode.dataset.speed));
    if (speed && Number(mode.dataset.speed) > 0 && Array.from(speed.options).some((o) => o.value === value)) speed.value = value;
    const text = $("mode-text");
    if (text) text.dataset.mode = mode.dataset.mode;
  }

  function followClass() {
    const banner = document.querySelector(".class-banner");
    const state = $("class-state");
    if (!banner || !state) return;
    const here = app().dataset.cluster;
    const modeChanged = state.dataset.mode !== banner.dataset.classMode;
    const movedOn = state.dataset.mode === "follow" && state.dataset.cluster !== here;
    // Once: a second assign while the first is loading would abort it and start over.
    if ((modeChanged || movedOn) && !leavingForClass) {
      leavingForClass = true;
      window.location.assign(banner.dataset.classUrl);
    }
  }

  // A following student's page shows the step the teacher is looking at (0: live). A page opens with the
  // newest steps only: a student who joined late fetches the older ones first.
  function followTeacherView(marker) {
    const state = $("class-state");
    if (!state || state.dataset.mode !== "follow" || state.dataset.cluster !== app().dataset.cluster) return;
    const seq = marker.dataset.seq, revision = marker.dataset.revision;
    if (seq === "0") { if (viewing) backToLive(); return; }
    const shown = () => document.querySelector(`#step-log li[data-seq="${seq}"]`);
    if (shown()) { viewStep(shown(), revision); return; }
    const oldest = Array.from(document.querySelectorAll("#step-log li")).pop();
    if (!oldest) { teacherViewPending = true; return; } // the page's first steps have not come yet
    const url = `${app().dataset.stepsUrl}?from=${seq}&before=${oldest.dataset.seq}`;
    load(url, "#step-log", "none").then(() => {
      if (shown() && $("teacher-view").dataset.seq === seq) viewStep(shown(), revision); // unless the teacher moved on
    });
  }

  function bindSocket() {
    const status = $("ws-status");
    document.body.addEventListener("htmx:wsOpen", (e) => {
      if (e.detail.elt.classList.contains("class-banner")) {
        classSocket = e.detail.socketWrapper;
        tellClass(viewing); // a reloaded teacher's page is live again
      }
      if (e.detail.elt !== app()) return;
      dashboardSocket = e.detail.socketWrapper;
      status.textContent = status.dataset.live || "live"; status.classList.add("live");
      const newest = document.querySelector("#step-log li");
      const active = document.querySelector(".tab.active");
      const mode = $("cluster-mode");
      const first = !newest; // a page that has shown nothing yet already holds the map it was rendered with
      const lesson = $("lesson-guide"); // and the guide's steps as they were: only what changes comes
      dashboardSocket.send(JSON.stringify({ type: "resync", last_seq: newest ? newest.dataset.seq : "0",
                                            guide: lesson ? lesson.dataset.version || "" : "",
                                            panel: active ? active.dataset.panel : "",
                                            revision: first ? $("live-revision").textContent.trim() : "",
                                            mode: mode ? mode.dataset.mode : "", speed: mode ? mode.dataset.speed : "" }));
    });
    document.body.addEventListener("htmx:wsClose", (e) => {
      if (e.detail.elt !== app()) return;
      status.textContent = status.dataset.reconnecting || "reconnecting…"; status.classList.remove("live");
    });
    // While the page shows the past, the live map and tables the socket pushes must not replace it.
    document.body.addEventListener("htmx:oobBeforeSwap", (e) => {
      const id = e.detail.target.id;
      if ((id === "map" || id.startsWith("live-panel-")) && app().dataset.viewRevision) e.detail.shouldSwap = false;
    });
    // The guide also comes over HTTP (a command's answer, a prediction, Check now): the socket must know which
    // steps the page shows, or it would send the whole guide again and close the hint the learner opened.
    let guideTold = "";
    const tellGuide = () => {
      const lesson = $("lesson-guide");
      const version = lesson ? lesson.dataset.version || "" : "";
      if (version === guideTold || !dashboardSocket) return;
      guideTold = version;
      dashboardSocket.send(JSON.stringify({ type: "guide", version }));
    };
    document.body.addEventListener("htmx:afterSettle", tellGuide);
    document.body.addEventListener("htmx:oobAfterSwap", (e) => {
      const id = e.detail.target.id;
      if (id === "lesson-guide") tellGuide();
      if (id === "cluster-mode") syncControls();
      if (id === "class-state") followClass();
      if (id === "teacher-view") followTeacherView($("teacher-view"));
    });
    new MutationObserver((mutations) => {
      const added = [];
      for (const m of mutations) for (const node of m.addedNodes) if (node.tagName === "LI") added.push(node);
      if (added.length) onNewSteps(added);
      if (added.length && teacherViewPending) { teacherViewPending = false; followTeacherView($("teacher-view")); }
      const live = $("live-revision").textContent.trim();
      const slider = $("time-slider");
      const atEnd = slider.value === slider.max;
      slider.max = live;
      if (atEnd && !viewing) slider.value = live;
    }).observe($("step-log"), { childList: true });
  }

  function bindLanguageSwitch() {
    document.querySelectorAll("select.auto-submit").forEach((select) =>
      select.addEventListener("change", () => select.form.submit()));
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindLanguageSwitch();
    if (!app()) return;
    bindControls(); bindKeys(); bindTerminal(); bindSocket();
    const input = $("term-input");
    if (input) input.focus();
  });
})();
