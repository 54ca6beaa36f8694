// Keyboard shortcuts of the meeting: single keys, never while typing in a text field and never
// with Ctrl, Alt or Meta (those belong to the browser and to screen readers). `?` lists them.
import { el } from "./ui.js";

/** True when a key press is someone typing, not a shortcut. */
export function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target.getAttribute("type") || "text").toLowerCase();
  return !["button", "checkbox", "radio", "range", "submit", "reset", "color", "file"].includes(type);
}

/**
 * @param {{dialog: HTMLDialogElement, list: HTMLElement, opener: HTMLElement,
 *          active: function(): boolean, keys: Array<{key: string, label: string, run: function}>}} options
 *   active(): whether the meeting is on (shortcuts do nothing in the lobby)
 */
export function installShortcuts({ dialog, list, opener, active, keys }) {
  const all = [...keys, { key: "?", label: "Show these shortcuts", run: open }];
  list.replaceChildren(
    ...all.flatMap(({ key, label }) => [el("dt", {}, el("kbd", { text: key === " " ? "Space" : key.toUpperCase() })), el("dd", { text: label })]),
  );

  function open() {
    if (!dialog.open) dialog.showModal();
  }
  opener.addEventListener("click", open);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || event.defaultPrevented) return;
    if (isTyping(event.target) || dialog.open || !active()) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const shortcut = all.find((s) => s.key === key);
    if (!shortcut) return;
    event.preventDefault();
    shortcut.run();
  });
}
