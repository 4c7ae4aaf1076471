// Builds DOM nodes from data: text always goes in as text, never as markup.

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** An agent's or a check's state: a glyph and a word, coloured too, never colour alone. */
const STATES = {
  online: ["●", "Online"], offline: ["○", "Offline"], overdue: ["▲", "Overdue"],
  passing: ["✔", "Passing"], failing: ["✖", "Failing"], pending: ["…", "Pending"],
};
export function statusBadge(state) {
  const [glyph, word] = STATES[state] || ["?", state || "Unknown"];
  return h("span", { class: `status status-${state}`, dataset: { status: state || "" } },
    h("span", { class: "glyph", "aria-hidden": "true" }, glyph), word);
}

export function errorLine(error) {
  return h("p", { class: "error", role: "alert" }, error && error.message ? error.message : String(error));
}

export function when(value) {
  if (!value) return "never";
  const date = new Date(typeof value === "number" ? value * 1000 : value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString();
}
