// swarmlab board: renders the snapshots the server pushes on /events (server-sent events), live.
// Stable data attributes for tests and scripts: data-node, data-role, data-availability,
// data-state, data-leader on node columns; data-service, data-image-tag, data-state, data-task on
// task cards; data-router, data-service on route rows.
(function () {
  "use strict";
  var $ = function (sel) { return document.querySelector(sel); };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null) return;
        if (k === "text") e.textContent = v;
        else if (k === "style") e.setAttribute("style", v);
        else e.setAttribute(k, String(v));
      });
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function taskCard(t) {
    return el("li", {
      class: "task",
      "data-task": t.id,
      "data-service": t.service,
      "data-image-tag": t.imageTag,
      "data-state": t.state,
      "data-desired-state": t.desiredState,
      "data-leaving": t.leaving ? "true" : "false",
      style: "--svc: " + t.color,
      title: t.image + " (" + t.state + ", desired " + t.desiredState + ")",
    }, [
      el("span", { class: "svc", text: t.name }), document.createTextNode(" "),
      el("span", { class: "tag", text: t.imageTag }), document.createTextNode(" "),
      el("span", { class: "state", text: t.state }),
      t.message && t.state !== "running" ? el("span", { class: "msg", text: t.message }) : null,
    ]);
  }

  function nodeColumn(n) {
    var badges = [
      el("span", { class: "badge role", text: n.role }),
      n.leader ? el("span", { class: "badge leader", text: "leader" }) : null,
      el("span", { class: "badge avail-" + n.availability, text: n.availability }),
      el("span", { class: "badge state-" + n.state, text: n.state === "ready" ? "Ready" : n.state === "down" ? "Down" : n.state }),
    ];
    var labels = Object.keys(n.labels).sort().map(function (k) { return k + "=" + n.labels[k]; });
    return el("div", {
      class: "node",
      "data-node": n.name,
      "data-role": n.role,
      "data-leader": n.leader ? "true" : "false",
      "data-availability": n.availability,
      "data-state": n.state,
      "data-tasks": n.tasks.length,
    }, [
      el("div", { class: "node-head" }, [
        el("div", { class: "node-name", text: n.name }),
        el("div", { class: "badges" }, badges),
        labels.length ? el("div", { class: "labels", "data-labels": labels.join(","), text: labels.join("  ") }) : null,
      ]),
      el("ul", { class: "tasks" }, n.tasks.map(taskCard)),
    ]);
  }

  function render(s) {
    var err = $("#error");
    err.hidden = !s.error;
    err.textContent = s.error || "";
    var nodes = $("#nodes");
    nodes.replaceChildren.apply(nodes, s.nodes.map(nodeColumn));
    var un = $("#unassigned");
    un.hidden = s.unassigned.length === 0;
    un.replaceChildren(el("h2", { text: "not on a node yet" }), el("ul", { class: "tasks" }, s.unassigned.map(taskCard)));
    var sb = $("#services tbody");
    sb.replaceChildren.apply(sb, s.services.map(function (v) {
      return el("tr", { "data-service": v.name, "data-image-tag": v.imageTag, style: "--svc: " + v.color }, [
        el("td", { class: "swatch", text: v.name }),
        el("td", {}, [el("code", { text: v.image })]),
        el("td", { text: v.mode === "global" ? v.running + " (global)" : v.running + "/" + v.replicas }),
        el("td", { "data-update": v.update ? v.update.state : "", text: v.update ? v.update.state : "" }),
      ]);
    }));
    var rb = $("#routes tbody");
    rb.replaceChildren.apply(rb, s.routes.map(function (r) {
      return el("tr", { "data-router": r.router, "data-service": r.service, style: "--svc: " + r.color }, [
        el("td", { class: "swatch", text: r.router }),
        el("td", {}, [el("code", { text: r.rule })]),
        el("td", { text: r.service }),
        el("td", { text: r.entrypoints.join(", ") + (r.tls ? " (tls)" : "") }),
      ]);
    }));
    $("#no-routes").hidden = s.routes.length > 0;
    document.body.setAttribute("data-updated", s.time);
  }

  function status(state, text) {
    var st = $("#status");
    st.setAttribute("data-connection", state);
    st.textContent = text;
  }

  var es = new EventSource("events");
  es.addEventListener("snapshot", function (ev) {
    var s = JSON.parse(ev.data);
    render(s);
    status("open", "live · " + new Date(s.time).toLocaleTimeString());
  });
  es.onopen = function () { status("open", "live"); };
  es.onerror = function () { status("closed", "reconnecting…"); };
})();
