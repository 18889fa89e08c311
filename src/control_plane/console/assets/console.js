// kt console: the small client script of every page (served as /console/static/console.js).
// - keeps "12 s ago" times current (<time data-rel datetime=…>);
// - refreshes live regions: an element with data-live="<url>" is replaced by the element of the same
//   id in the HTML fragment that url returns (rendered and escaped by the server; parsed with
//   DOMParser, which runs no scripts), every data-live-interval ms;
// - lets the user pause live updates;
// - fills a file input's text into its textarea (data-file-into="<textarea id>").
(function () {
  "use strict";

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s ago";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min ago";
    const h = Math.floor(m / 60);
    if (h < 48) return h + " h ago";
    return Math.floor(h / 24) + " d ago";
  }

  function updateTimes() {
    const now = Date.now();
    for (const el of document.querySelectorAll("time[data-rel]")) {
      const t = Date.parse(el.getAttribute("datetime") || "");
      if (!Number.isNaN(t)) el.textContent = ago(now - t);
    }
  }

  let paused = false;
  const status = document.getElementById("live-status");

  function say(text) {
    if (status) status.textContent = text;
  }

  async function refresh(el) {
    const url = el.getAttribute("data-live");
    if (!url || paused) return;
    try {
      const res = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (res.status === 401) {
        paused = true;
        say("Your session has ended: sign in again to see live updates.");
        return;
      }
      if (!res.ok) {
        say("Live update failed (HTTP " + res.status + "); retrying.");
        return;
      }
      const html = await res.text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      const fresh = doc.getElementById(el.id);
      if (!fresh) return;
      if (fresh.innerHTML !== el.innerHTML) {
        const focusedId = document.activeElement && el.contains(document.activeElement)
          ? document.activeElement.id
          : "";
        el.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
        for (const name of ["data-count", "data-state"]) {
          const v = fresh.getAttribute(name);
          if (v !== null) el.setAttribute(name, v);
        }
        if (focusedId) document.getElementById(focusedId)?.focus();
        el.dispatchEvent(new CustomEvent("kt:updated", { bubbles: true }));
      }
      updateTimes();
      say("Updated " + new Date().toLocaleTimeString());
    } catch (_err) {
      say("Live update failed (network); retrying.");
    }
  }

  function startLive() {
    for (const el of document.querySelectorAll("[data-live]")) {
      const every = Number(el.getAttribute("data-live-interval")) || 5000;
      setInterval(() => refresh(el), every);
    }
    const toggle = document.getElementById("live-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", () => {
        paused = !paused;
        toggle.setAttribute("aria-pressed", String(paused));
        toggle.textContent = paused ? "Resume live updates" : "Pause live updates";
        say(paused ? "Live updates paused." : "Live updates on.");
      });
    }
  }

  function fileInputs() {
    for (const input of document.querySelectorAll("input[type=file][data-file-into]")) {
      input.addEventListener("change", () => {
        const target = document.getElementById(input.getAttribute("data-file-into") || "");
        const file = input.files && input.files[0];
        if (!target || !file) return;
        file.text().then((text) => {
          target.value = text;
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    updateTimes();
    setInterval(updateTimes, 1000);
    startLive();
    fileInputs();
  });
})();
