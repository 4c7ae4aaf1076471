// The agent list: GET /agents/ with the server's paging (page, page_size) and filters
// (search, client, site, status), so a fleet of any size costs one page per view. Rows
// change live from /ws/dashinfo/ status messages (live.js).
import { api } from "./api.js";
import { h, replace, statusBadge, errorLine, when } from "./dom.js";

const PAGE_SIZE = 50;

export async function agentListView(main, query, navigate) {
  const page = Math.max(1, parseInt(query.get("page") || "1", 10) || 1);
  const search = query.get("search") || "";
  const status = query.get("status") || "";
  const place = query.get("site") ? `s${query.get("site")}` : query.get("client") ? `c${query.get("client")}` : "";

  const searchInput = h("input", { id: "agent-search", type: "search", name: "search", value: search, autocomplete: "off" });
  const placeSelect = h("select", { id: "agent-place", name: "place" }, h("option", { value: "" }, "All clients and sites"));
  const statusSelect = h("select", { id: "agent-status", name: "status" },
    ["", "online", "offline", "overdue"].map((value) =>
      h("option", { value, selected: value === status }, value ? value[0].toUpperCase() + value.slice(1) : "Any status")));
  const filters = h("form", { class: "inline", role: "search", id: "agent-filters", "aria-label": "Filter agents" },
    h("label", { for: "agent-search" }, "Search", searchInput),
    h("label", { for: "agent-place" }, "Client or site", placeSelect),
    h("label", { for: "agent-status" }, "Status", statusSelect),
    h("button", { type: "submit" }, "Apply"));
  const results = h("div", { id: "agent-results", "aria-live": "polite", "aria-busy": "true" }, h("p", {}, "Loading agents…"));
  replace(main, h("h1", {}, "Agents"), h("section", { class: "panel" }, filters), h("section", { class: "panel" }, results));

  const go = (changes) => {
    const next = new URLSearchParams();
    const values = { search: searchInput.value.trim(), status: statusSelect.value, page: "1", ...changes };
    const chosen = placeSelect.value;
    if (chosen.startsWith("c")) values.client = chosen.slice(1);
    if (chosen.startsWith("s")) values.site = chosen.slice(1);
    for (const [key, value] of Object.entries(values)) if (value && !(key === "page" && value === "1")) next.set(key, value);
    navigate(`#/agents${next.toString() ? "?" + next : ""}`);
  };
  filters.addEventListener("submit", (event) => { event.preventDefault(); go({}); });
  statusSelect.addEventListener("change", () => go({}));
  placeSelect.addEventListener("change", () => go({}));

  // The client/site tree as one select: clients, each with its sites indented under it.
  api("GET", "/clients/").then((clients) => {
    for (const client of clients || []) {
      placeSelect.append(h("option", { value: `c${client.id}`, selected: place === `c${client.id}` }, client.name));
      for (const site of client.sites || []) {
        placeSelect.append(h("option", { value: `s${site.id}`, selected: place === `s${site.id}` }, `\u2003${client.name} › ${site.name}`));
      }
    }
  }).catch(() => { /* a role without can_list_clients still lists its agents */ });

  const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
  if (search) params.set("search", search);
  if (status) params.set("status", status);
  for (const key of ["client", "site"]) if (query.get(key)) params.set(key, query.get(key));
  let answer;
  try {
    answer = await api("GET", `/agents/?${params}`);
  } catch (error) {
    results.setAttribute("aria-busy", "false");
    return replace(results, errorLine(error));
  }
  results.setAttribute("aria-busy", "false");
  const pages = Math.max(1, Math.ceil(answer.count / PAGE_SIZE));
  const rows = answer.results.map((agent) =>
    h("tr", { dataset: { agentId: agent.agent_id } },
      h("td", { class: "cell-status" }, statusBadge(agent.status)),
      h("th", { scope: "row" }, h("a", { href: `#/agents/${encodeURIComponent(agent.agent_id)}` }, agent.hostname || agent.agent_id)),
      h("td", {}, agent.client_name), h("td", {}, agent.site_name),
      h("td", {}, agent.monitoring_type), h("td", {}, agent.operating_system || agent.plat),
      h("td", { class: "cell-seen" }, when(agent.last_seen))));
  const table = h("table", { id: "agent-table" },
    h("caption", {}, `${answer.count} agent${answer.count === 1 ? "" : "s"}`),
    h("thead", {}, h("tr", {}, ["Status", "Hostname", "Client", "Site", "Type", "Operating system", "Last seen"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows));
  const previous = h("button", { type: "button", class: "secondary", disabled: page <= 1, id: "page-previous" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary", disabled: page >= pages, id: "page-next" }, "Next page");
  previous.addEventListener("click", () => go({ page: String(page - 1), search, status }));
  next.addEventListener("click", () => go({ page: String(page + 1), search, status }));
  replace(results,
    answer.results.length ? table : h("p", {}, search || status || place ? "No agent matches these filters." : "No agents yet. Add a client and run its installer on a machine."),
    h("nav", { class: "pager", "aria-label": "Pages" }, previous, h("span", { id: "page-label" }, `Page ${page} of ${pages}`), next));
}

/** A live status change: the row of that agent, if it is on screen, shows its new state. */
export function applyAgentStatus(agentID, status) {
  const row = document.querySelector(`#agent-table tr[data-agent-id="${CSS.escape(agentID)}"]`);
  if (!row) return false;
  replace(row.querySelector(".cell-status"), statusBadge(status));
  return true;
}
