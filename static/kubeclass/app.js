// kubeclass dashboard: the few things htmx cannot do for us — the hop animation,
// terminal history and completion, keyboard shortcuts, and time travel.
(function () {
  "use strict";
  const app = () => document.getElementById("app");
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const history = JSON.parse(sessionStorage.getItem("kubeclass-history") || "[]");
  let historyIndex = history.length;
  let viewing = null; // the step <li> shown while walking back; null = live
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";

  function panelUrl(name, params) {
    const url = app().dataset.panelUrl.replace("PANEL", name);
    const query = new URLSearchParams(params || {}).toString();
    return query ? url + "?" + query : url;
  }

  function post(url, data) {
    const body = new URLSearchParams(data);
    return fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
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
    const layer = document.getElementById("flight-layer");
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
    const hop = document.getElementById("hop");
    const detail = step.querySelector("template");
    if (hop && detail) hop.replaceChildren(detail.content.cloneNode(true));
    document.querySelectorAll("#step-log li.current").forEach((li) => li.classList.remove("current"));
    step.classList.add("current");
  }

  const latencies = (window.kubeclassStepLatencies = []);

  // A push may carry many steps: time them all, but explain and animate only the newest.
  function onNewSteps(added) {
    const now = Date.now();
    for (const step of added) if (step.dataset.sentAt) latencies.push(now - Number(step.dataset.sentAt));
    const newest = document.querySelector("#step-log li");
    if (viewing || !newest) return; // walking back through history: keep the view still
    showHop(newest);
    animateHop(newest);
  }

  // -- time travel ---------------------------------------------------------
  function showRevision(revision) {
    const live = document.getElementById("live-revision");
    const isLive = !revision || (!viewing && String(revision) === live.textContent.trim());
    document.getElementById("past-banner").hidden = isLive;
    document.getElementById("past-rev").textContent = revision || "";
    const params = isLive ? {} : { revision };
    htmx.ajax("GET", panelUrl("map", params), { target: "#map", swap: "innerHTML" });
    const active = document.querySelector(".tab.active");
    if (active) htmx.ajax("GET", panelUrl(active.dataset.panel, params), { target: "#panel-body", swap: "innerHTML" });
    app().dataset.viewRevision = isLive ? "" : revision;
  }

  function backToLive() {
    viewing = null;
    const slider = document.getElementById("time-slider");
    slider.value = slider.max;
    showRevision(null);
    const newest = document.querySelector("#step-log li");
    if (newest) showHop(newest);
  }

  // A request hop has no revision of its own: the cluster is as the last write before it left it.
  function revisionOf(li) {
    for (let node = li; node; node = node.nextElementSibling) if (node.dataset.revision) return node.dataset.revision;
    return "1";
  }

  function viewStep(li) {
    viewing = li;
    showHop(li);
    const revision = revisionOf(li);
    document.getElementById("time-slider").value = revision;
    showRevision(revision);
  }

  function walk(direction) {
    const steps = Array.from(document.querySelectorAll("#step-log li"));
    if (!steps.length) return;
    const index = viewing ? steps.indexOf(viewing) : 0;
    const next = steps[Math.min(steps.length - 1, Math.max(0, index + direction))];
    if (direction > 0 && index === 0 && viewing) { backToLive(); return; }
    viewStep(next);
  }

  // -- controls ------------------------------------------------------------
  function control(action, value) {
    return post(app().dataset.controlUrl, { action, value: value || "" });
  }

  function next() {
    if (viewing) { walk(-1); return; }
    control("next");
  }

  function bindControls() {
    document.getElementById("btn-play").addEventListener("click", () => control("toggle"));
    document.getElementById("btn-next").addEventListener("click", next);
    document.getElementById("btn-prev").addEventListener("click", () => walk(1));
    document.getElementById("btn-ff").addEventListener("click", () => control("fast-forward"));
    document.getElementById("speed").addEventListener("change", (e) => control("speed", e.target.value));
    document.getElementById("step-mode").addEventListener("change", (e) => control("step-mode", e.target.checked ? "on" : "off"));
    document.getElementById("btn-projector").addEventListener("click", () => document.body.classList.toggle("projector"));
    document.getElementById("btn-live").addEventListener("click", backToLive);
    const slider = document.getElementById("time-slider");
    slider.addEventListener("change", () => { viewing = null; showRevision(slider.value); });
    document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
      document.querySelectorAll(".tab").forEach((t) => t.classList.remove("active"));
      tab.classList.add("active");
      const params = app().dataset.viewRevision ? { revision: app().dataset.viewRevision } : {};
      htmx.ajax("GET", panelUrl(tab.dataset.panel, params), { target: "#panel-body", swap: "innerHTML" });
    }));
    document.getElementById("panel-body").addEventListener("click", (e) => {
      const button = e.target.closest(".try-command");
      if (!button) return;
      const input = document.getElementById("term-input");
      input.value = button.dataset.command;
      input.focus();
    });
    document.getElementById("step-log").addEventListener("click", (e) => {
      const li = e.target.closest("li");
      if (li) viewStep(li);
    });
  }

  function bindKeys() {
    document.addEventListener("keydown", (e) => {
      const typing = e.target.matches("input, textarea, select");
      if (typing) return;
      if (e.key === " ") { e.preventDefault(); control("toggle"); }
      else if (e.key === "ArrowRight") { e.preventDefault(); next(); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); walk(1); }
      else if (e.key === "p") { document.body.classList.toggle("projector"); }
    });
  }

  // -- terminal ------------------------------------------------------------
  const VERBS = ["get", "describe", "create", "apply", "delete", "scale", "set", "label", "annotate", "patch",
    "expose", "rollout", "cordon", "uncordon", "explain", "api-resources", "api-versions", "run", "exec", "fault", "edit"];
  const TYPES = ["pods", "deployments", "replicasets", "services", "endpoints", "nodes", "namespaces", "configmaps",
    "secrets", "persistentvolumes", "persistentvolumeclaims", "storageclasses", "horizontalpodautoscalers",
    "events", "endpointslices", "leases", "all", "deploy", "rs", "svc", "ep", "no", "ns", "cm", "pv", "pvc", "hpa", "po"];

  function completions(words) {
    const last = words[words.length - 1] || "";
    let pool;
    if (words.length <= 2 && (words[0] === "kubectl" || words.length === 1)) pool = VERBS;
    else if (words.length === 3 || (words.length === 2 && words[0] !== "kubectl")) pool = TYPES;
    else pool = Array.from(document.querySelectorAll("#panel-body .inspect-link, #arch [data-pod]"))
      .map((el) => el.dataset.pod ? el.dataset.pod.split("/")[1] : el.textContent.trim());
    return pool.filter((w) => w.startsWith(last));
  }

  function bindTerminal() {
    const input = document.getElementById("term-input");
    const form = document.getElementById("term-form");
    const output = document.getElementById("term-output");
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowUp" && historyIndex > 0) { e.preventDefault(); input.value = history[--historyIndex]; }
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
    form.addEventListener("htmx:beforeRequest", () => {
      const line = input.value.trim();
      if (line && history[history.length - 1] !== line) history.push(line);
      sessionStorage.setItem("kubeclass-history", JSON.stringify(history.slice(-200)));
      historyIndex = history.length;
    });
    form.addEventListener("htmx:afterRequest", () => {
      input.value = ""; document.getElementById("term-stdin").value = "";
      output.scrollTop = output.scrollHeight;
    });
    document.getElementById("btn-apply-yaml").addEventListener("click", () => {
      document.getElementById("term-stdin").value = document.getElementById("yaml-input").value;
      input.value = "kubectl apply -f -";
      htmx.trigger(form, "submit");
    });
    document.getElementById("yaml-file").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      if (file) document.getElementById("yaml-input").value = await file.text();
    });
  }

  // -- live connection -----------------------------------------------------
  function bindSocket() {
    const status = document.getElementById("ws-status");
    document.body.addEventListener("htmx:wsOpen", () => { status.textContent = "live"; status.classList.add("live"); });
    document.body.addEventListener("htmx:wsClose", () => { status.textContent = "reconnecting…"; status.classList.remove("live"); });
    // While the page shows the past, the live map the socket pushes must not replace it; back to live reloads it.
    document.body.addEventListener("htmx:oobBeforeSwap", (e) => {
      if (e.detail.target.id === "map" && app().dataset.viewRevision) e.detail.shouldSwap = false;
    });
    document.body.addEventListener("htmx:wsConfigSend", (e) => {
      const newest = document.querySelector("#step-log li");
      e.detail.parameters.last_seq = newest ? newest.dataset.seq : "0";
    });
    document.body.addEventListener("htmx:wsOpen", (e) => {
      const newest = document.querySelector("#step-log li");
      e.detail.socketWrapper.send(JSON.stringify({ type: "resync", last_seq: newest ? newest.dataset.seq : "0" }));
    });
    new MutationObserver((mutations) => {
      const added = [];
      for (const m of mutations) for (const node of m.addedNodes) if (node.tagName === "LI") added.push(node);
      if (added.length) onNewSteps(added);
      const live = document.getElementById("live-revision").textContent.trim();
      const slider = document.getElementById("time-slider");
      const atEnd = slider.value === slider.max;
      slider.max = live;
      if (atEnd && !viewing) slider.value = live;
    }).observe(document.getElementById("step-log"), { childList: true });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!app()) return;
    bindControls(); bindKeys(); bindTerminal(); bindSocket();
    document.getElementById("term-input").focus();
  });
})();
