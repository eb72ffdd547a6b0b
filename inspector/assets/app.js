// postbacksim inspector: follows /_admin/stream (Server-Sent Events) and
// updates the page in place. Plain JavaScript, no dependencies.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base || "";
  var page = body.dataset.page || "";
  var status = document.getElementById("live-status");
  if (!page || !window.EventSource) { return; }

  function say(text) { if (status) { status.textContent = text; } }

  // The Ocean filter, as the server applies it.
  var fs = document.getElementById("filter-state");
  var filter = fs ? { code: fs.dataset.code, et: fs.dataset.eventType, outer: fs.dataset.outer, fault: fs.dataset.fault, api: fs.dataset.api, warned: fs.dataset.warned, q: (fs.dataset.q || "").toLowerCase() } : null;

  function codeOf(r) {
    if (r.code !== undefined) { return String(r.code); }
    return "";
  }
  function label(r) {
    if (r.code !== undefined) { return r.code + " " + (r.msg || ""); }
    if (!r.status) { return "connection dropped"; }
    return "HTTP " + r.status;
  }
  function keep(r) {
    var p = r.params || {};
    if (filter.code && codeOf(r) !== filter.code) { return false; }
    if (filter.et && p.event_type !== filter.et) { return false; }
    if (filter.outer && p.outer_event_id !== filter.outer) { return false; }
    if (filter.fault && r.fault !== filter.fault) { return false; }
    if (filter.api && (r.api || "track") !== filter.api) { return false; }
    var warned = (r.warnings || []).length > 0;
    if (filter.warned && warned !== (filter.warned === "true")) { return false; }
    if (filter.q) {
      var hay = [r.msg || "", r.detail || "", r.fault || "", r.path || ""].concat(r.warnings || []);
      Object.keys(p).forEach(function (k) { hay.push(k + "=" + p[k]); });
      if (!hay.some(function (h) { return h.toLowerCase().indexOf(filter.q) >= 0; })) { return false; }
    }
    return true;
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text; }
    tr.appendChild(td);
  }
  function pad(n, w) { n = String(n); while (n.length < w) { n = "0" + n; } return n; }
  function clock(t) {
    var d = new Date(t);
    return pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" + pad(d.getUTCSeconds(), 2) + "." + pad(d.getUTCMilliseconds(), 3);
  }
  function addOceanRow(r) {
    var tbody = document.querySelector("#ocean-rows tbody");
    if (!tbody || !keep(r)) { return; }
    if (tbody.querySelector('tr[data-seq="' + r.seq + '"]')) { return; }
    var empty = tbody.querySelector("tr.empty");
    if (empty) { empty.remove(); }
    var p = r.params || {};
    var tr = document.createElement("tr");
    tr.dataset.seq = r.seq;
    var warnings = r.warnings || [];
    tr.className = (r.code === 0 ? "ok" : "bad") + (warnings.length ? " warned" : "") + " fresh";
    var a = document.createElement("a");
    a.href = base + "/ocean/" + r.seq;
    a.textContent = r.seq;
    cell(tr, a, "num");
    cell(tr, clock(r.time));
    if (warnings.length) {
      var lab = document.createElement("span");
      lab.textContent = label(r) + " ";
      var badge = document.createElement("span");
      badge.className = "badge b-warned";
      badge.title = "accepted with " + warnings.length + " warning(s)";
      badge.textContent = "warned";
      lab.appendChild(badge);
      cell(tr, lab);
    } else {
      cell(tr, label(r));
    }
    cell(tr, (r.api === "v2" ? "v2 " : "") + (p.event_type || ""));
    cell(tr, p.outer_event_id || "", "mono");
    cell(tr, r.fault || "");
    cell(tr, r.detail || warnings.join("; "), "why");
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.rows.length > 500) { tbody.deleteRow(tbody.rows.length - 1); }
    var m = document.getElementById("matched");
    if (m) { m.textContent = String(Number(m.textContent) + 1); }
  }

  // Pages with a live region are refreshed from the server (one fetch at
  // a time, at most every 300 ms), keeping what the user typed elsewhere.
  var region = document.getElementById("live-region");
  var busy = false, again = false;
  function refresh() {
    if (!region) { return; }
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live-region");
        if (fresh) { region.replaceWith(fresh); region = fresh; }
      })
      .catch(function () {})
      .then(function () {
        setTimeout(function () { busy = false; if (again) { again = false; refresh(); } }, 300);
      });
  }

  var url = base + "/_admin/stream";
  if (body.dataset.since) { url += "?since=" + encodeURIComponent(body.dataset.since); }
  var es = new EventSource(url);
  es.onopen = function () { say("● live"); };
  es.onerror = function () { say("reconnecting…"); };
  es.addEventListener("ocean", function (e) {
    var r = JSON.parse(e.data);
    if (page === "ocean" && filter) { addOceanRow(r); }
    if (page === "overview") { refresh(); }
  });
  es.addEventListener("impact", function (e) {
    var a = JSON.parse(e.data);
    if (!region) { return; }
    var only = region.dataset.delivery;
    if (!only || only === a.delivery_id) { refresh(); }
  });
  es.addEventListener("gap", function () { if (page === "ocean") { say("● live (some requests skipped: reload for all)"); } });
})();
