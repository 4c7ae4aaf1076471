// /ws/dashinfo/: the header's agent counts (Tactical RMM's dashboard.agentcount message) and
// Garrison's agents.status messages, which change a listed agent's row without a reload.
// Reconnects with a growing delay; a close with a 44xx code (not signed in, not allowed)
// is not retried.
import { socketURL, session } from "./api.js";

let socket = null;
let retry = 1000;
let timer = null;

export function startLive({ counts, status, denied }) {
  stopLive();
  if (!session.token) return;
  const ws = new WebSocket(socketURL("/ws/dashinfo/"));
  socket = ws;
  ws.addEventListener("open", () => { retry = 1000; });
  ws.addEventListener("message", (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (message.action === "dashboard.agentcount") counts(message.data);
    else if (message.action === "agents.status") status(message.data);
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    if (event.code >= 4400 && event.code < 4500) { denied(event.reason || `closed (${event.code})`); return; }
    timer = setTimeout(() => startLive({ counts, status, denied }), retry);
    retry = Math.min(retry * 2, 30000);
  });
}

export function stopLive() {
  clearTimeout(timer);
  if (socket) { const ws = socket; socket = null; ws.close(1000, "signed out"); }
}
