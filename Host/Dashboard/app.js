// The dashboard's shell: routes (#/signin, #/agents, #/agents/<agent_id>), the header, the
// shared error notice. Every view talks to the server through api.js only.
import { api, session, onUnauthorized } from "./api.js";
import { replace, h } from "./dom.js";
import { signInView } from "./signin.js";
import { agentListView, applyAgentStatus } from "./agents.js";
import { agentView } from "./agent.js";
import { startLive, stopLive } from "./live.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
const notice = document.getElementById("notice");
let pendingMessage = null;

function navigate(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function showNotice(text) {
  if (!text) { notice.hidden = true; replace(notice); return; }
  replace(notice, text);
  notice.hidden = false;
}

onUnauthorized((message) => {
  session.clear();
  stopLive();
  pendingMessage = `Your session ended (${message}). Sign in again.`;
  navigate("#/signin");
});

function counts(data) {
  const el = document.getElementById("counts");
  if (!data) return;
  replace(el,
    h("span", { id: "count-servers" }, `Servers: ${data.total_server_count} (${data.total_server_offline_count} offline)`), " · ",
    h("span", { id: "count-workstations" }, `Workstations: ${data.total_workstation_count} (${data.total_workstation_offline_count} offline)`));
}

async function route() {
  const [path, queryText] = (location.hash.slice(1) || "/agents").split("?");
  const query = new URLSearchParams(queryText || "");
  showNotice(null);
  if (!session.token || path === "/signin") {
    top.hidden = true;
    stopLive();
    const message = pendingMessage;
    pendingMessage = null;
    if (session.token && path === "/signin") session.clear();
    return signInView(main, { message, done: () => { startSession(); navigate("#/agents"); } });
  }
  top.hidden = false;
  document.getElementById("who").textContent = session.user;
  for (const link of document.querySelectorAll("#nav a")) {
    if (path.startsWith(link.getAttribute("href").slice(1))) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  try {
    const agent = path.match(/^\/agents\/([^/]+)\/?$/);
    if (agent) await agentView(main, decodeURIComponent(agent[1]));
    else if (path === "/agents" || path === "/" || path === "") await agentListView(main, query, navigate);
    else replace(main, h("h1", {}, "Not found"), h("p", {}, "This page does not exist. "), h("a", { href: "#/agents" }, "Go to the agent list"));
  } catch (error) {
    // Never a blank page: whatever went wrong is said in words.
    replace(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, error.message || String(error)));
  }
  main.focus({ preventScroll: true });
}

function startSession() {
  startLive({
    counts,
    status: (data) => applyAgentStatus(data.agent_id, data.status),
    denied: (reason) => showNotice(`Live updates are off: ${reason}`),
  });
}

document.getElementById("signout").addEventListener("click", async () => {
  try { await api("POST", "/logout/"); } catch { /* the token may already be gone */ }
  session.clear();
  stopLive();
  navigate("#/signin");
});

window.addEventListener("hashchange", route);
window.addEventListener("error", (event) => showNotice(`The page hit an error: ${event.message}`));
window.addEventListener("unhandledrejection", (event) => showNotice(`The page hit an error: ${event.reason && event.reason.message || event.reason}`));
if (session.token) startSession();
route();
