// One agent: summary (GET /agents/<id>/), disks, checks (the checks plugin's route, when
// loaded), a command (POST /agents/<id>/cmd/), history and notes. Each part loads on its
// own; a part that fails says why in words and the others still show.
import { api } from "./api.js";
import { h, replace, statusBadge, errorLine, when } from "./dom.js";

export async function agentView(main, agentID) {
  const base = `/agents/${encodeURIComponent(agentID)}`;
  const title = h("h1", { id: "agent-title" }, agentID);
  const summary = h("section", { class: "panel", "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, "Summary"), h("p", {}, "Loading…"));
  const checks = h("section", { class: "panel", "aria-labelledby": "checks-title" }, h("h2", { id: "checks-title" }, "Checks"), h("p", {}, "Loading…"));
  const command = h("section", { class: "panel", "aria-labelledby": "cmd-title" }, h("h2", { id: "cmd-title" }, "Run a command"));
  const history = h("section", { class: "panel", "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "History"), h("p", {}, "Loading…"));
  const notes = h("section", { class: "panel", "aria-labelledby": "notes-title" }, h("h2", { id: "notes-title" }, "Notes"), h("p", {}, "Loading…"));
  replace(main, h("p", {}, h("a", { href: "#/agents" }, "← All agents")), title,
    h("div", { class: "grid2" }, summary, checks), command, h("div", { class: "grid2" }, history, notes));

  let agent;
  try {
    agent = await api("GET", `${base}/`);
  } catch (error) {
    replace(summary, h("h2", { id: "summary-title" }, "Summary"), errorLine(error));
    for (const part of [checks, history, notes]) part.remove();
    command.remove();
    return;
  }
  replace(title, agent.hostname || agentID, " ", statusBadge(agent.status));
  const facts = [
    ["Client", agent.client_name], ["Site", agent.site_name], ["Type", agent.monitoring_type],
    ["Operating system", agent.operating_system], ["Platform", `${agent.plat || ""} ${agent.goarch || ""}`.trim()],
    ["Agent version", agent.version], ["Public IP", agent.public_ip], ["Logged-in user", agent.logged_username || agent.last_logged_in_user],
    ["Last seen", when(agent.last_seen)], ["Boot time", agent.boot_time ? when(agent.boot_time) : ""],
    ["Description", agent.description], ["Needs reboot", agent.needs_reboot ? "Yes" : "No"],
    ["Maintenance mode", agent.maintenance_mode ? "On" : "Off"], ["Agent id", agent.agent_id],
  ];
  const disks = Array.isArray(agent.disks) ? agent.disks : [];
  replace(summary, h("h2", { id: "summary-title" }, "Summary"),
    h("dl", { class: "summary" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "—")])),
    disks.length ? [h("h3", {}, "Disks"), h("table", {},
      h("thead", {}, h("tr", {}, ["Device", "File system", "Total", "Free", "Used"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, disks.map((d) => h("tr", {}, h("td", {}, d.device ?? ""), h("td", {}, d.fstype ?? ""), h("td", {}, d.total ?? ""),
        h("td", {}, d.free ?? ""), h("td", {}, d.percent !== undefined ? `${d.percent}%` : d.used ?? "")))))] : null);

  commandForm(command, base, agent);

  api("GET", `${base}/checks/`).then((list) => {
    replace(checks, h("h2", { id: "checks-title" }, "Checks"), (list || []).length
      ? h("table", { id: "check-table" },
        h("thead", {}, h("tr", {}, ["Status", "Check", "Last run", "Output"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, list.map((c) => {
          const result = c.check_result || {};
          return h("tr", {}, h("td", {}, statusBadge(result.status || "pending")), h("th", { scope: "row" }, c.readable_desc || c.name || c.check_type),
            h("td", {}, when(result.last_run)), h("td", {}, String(result.more_info || "").slice(0, 200)));
        })))
      : h("p", {}, "No checks on this agent."));
  }).catch((error) => replace(checks, h("h2", { id: "checks-title" }, "Checks"),
    error.status === 404 ? h("p", {}, "Checks are not available on this server (the checks plugin is not loaded).") : errorLine(error)));

  loadHistory(history, base);
  loadNotes(notes, base);
}

function commandForm(section, base, agent) {
  const windows = agent.plat === "windows";
  const shell = h("select", { id: "cmd-shell" }, (windows ? ["cmd", "powershell"] : ["/bin/bash", "/bin/sh"]).map((s) => h("option", { value: s }, s)));
  const text = h("input", { id: "cmd-text", required: true, autocomplete: "off", size: 50 });
  const timeout = h("input", { id: "cmd-timeout", type: "number", min: 1, max: 3600, value: 30, required: true });
  const submit = h("button", { type: "submit", id: "cmd-run" }, "Run");
  const output = h("pre", { class: "output", id: "cmd-output", "aria-live": "polite", tabindex: "0", hidden: true });
  const error = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "inline", id: "cmd-form" },
    h("label", { for: "cmd-shell" }, "Shell", shell), h("label", { for: "cmd-text" }, "Command", text),
    h("label", { for: "cmd-timeout" }, "Timeout (seconds)", timeout), submit);
  section.append(form, error, output);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(error);
    output.hidden = false;
    replace(output, `Running on ${agent.hostname}…`);
    try {
      const answer = await api("POST", `${base}/cmd/`, { cmd: text.value, shell: shell.value, timeout: parseInt(timeout.value, 10) || 30 });
      replace(output, typeof answer === "string" ? answer || "(no output)" : JSON.stringify(answer, null, 2));
    } catch (failure) {
      output.hidden = true;
      replace(error, errorLine(failure));
    }
    submit.disabled = false;
  });
}

async function loadHistory(section, base) {
  const heading = h("h2", { id: "history-title" }, "History");
  try {
    const rows = await api("GET", `${base}/history/`);
    replace(section, heading, (rows || []).length
      ? h("table", { id: "history-table" },
        h("thead", {}, h("tr", {}, ["When", "What", "By", "Result"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.slice(0, 25).map((r) => h("tr", {}, h("td", {}, when(r.time)),
          h("td", {}, `${r.type}: ${r.command || r.script_name || ""}`), h("td", {}, r.username || ""),
          h("td", {}, String(r.results ?? r.status ?? "").slice(0, 200))))))
      : h("p", {}, "Nothing has been run on this agent yet."));
  } catch (error) {
    replace(section, heading, errorLine(error));
  }
}

async function loadNotes(section, base) {
  const heading = h("h2", { id: "notes-title" }, "Notes");
  const text = h("textarea", { id: "note-text", rows: 2, required: true });
  const error = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "stack", id: "note-form" }, h("label", { for: "note-text" }, "New note", text), h("button", { type: "submit" }, "Add note"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `${base}/notes/`, { note: text.value });
      loadNotes(section, base);
    } catch (failure) {
      replace(error, errorLine(failure));
    }
  });
  try {
    const rows = await api("GET", `${base}/notes/`);
    replace(section, heading, (rows || []).length
      ? h("ul", { class: "plain", id: "note-list" }, rows.map((n) => h("li", {}, h("strong", {}, n.username || ""), ` (${when(n.entry_time)}): `, n.note)))
      : h("p", {}, "No notes."), error, form);
  } catch (failure) {
    replace(section, heading, errorLine(failure));
  }
}
