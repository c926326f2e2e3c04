// DOM helpers. Every value from data becomes a text node or an attribute set through the DOM:
// nothing here (or anywhere in the dashboard) assigns HTML, so a hostile symbol, source or message
// shows as text and runs nothing.

/**
 * Creates an element. `attrs`: `class`, `href`, `title`, `data-*`, `aria-*` and the like are set
 * as attributes (values are text, never parsed); `on*` keys (e.g. `onclick`) add listeners.
 * Children: strings and numbers become text nodes, null/undefined/false are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "value" && "value" in node) {
      /** @type {HTMLInputElement} */ (node).value = String(value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

/**
 * Appends children as {@link el} does.
 * @param {Node} node
 * @param {Array<Node|string|number|null|undefined|false>} children
 */
export function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/**
 * Replaces every child of `node`.
 * @param {Node} node
 * @param {...(Node|string|number|null|undefined|false)} children
 */
export function replace(node, ...children) {
  while (node.firstChild) node.removeChild(node.firstChild);
  append(node, children);
}

/**
 * Sets a node's text, only when it changed (live updates rewrite many cells).
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
