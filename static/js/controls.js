// Small controls of the meeting page: the participants and chat panels on narrow screens, the
// reaction picker, and copying the invite link.

/** On narrow screens the side panel opens over the stage, one panel at a time. */
export function installPanels(sideEl, toggles) {
  function show(panel) {
    const open = Boolean(panel) && !(sideEl.classList.contains("open") && sideEl.dataset.panel === panel);
    sideEl.classList.toggle("open", open);
    if (open) sideEl.dataset.panel = panel;
    for (const t of toggles) t.setAttribute("aria-expanded", String(open && t.dataset.panel === panel));
    if (open) {
      const first = sideEl.querySelector(panel === "chat" ? "#chat-input" : "#participants-title");
      if (first) {
        if (!first.hasAttribute("tabindex") && first.tagName !== "INPUT") first.setAttribute("tabindex", "-1");
        first.focus();
      }
    }
  }
  for (const t of toggles) t.addEventListener("click", () => show(t.dataset.panel));
  sideEl.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && sideEl.classList.contains("open")) {
      const panel = sideEl.dataset.panel;
      show(null);
      const opener = toggles.find((t) => t.dataset.panel === panel);
      if (opener) opener.focus();
    }
  });
  return {
    /** Open `panel` (or just focus its field when the panels are always shown). */
    open(panel) {
      if (getComputedStyle(sideEl).position === "fixed") {
        if (!(sideEl.classList.contains("open") && sideEl.dataset.panel === panel)) show(panel);
      } else if (panel === "chat") sideEl.querySelector("#chat-input").focus();
    },
  };
}

/** The reaction picker: a button that shows a row of emoji buttons; a pick sends it and closes. */
export function installReactionPicker(toggle, picker, onPick) {
  function set(open) {
    picker.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  }
  toggle.addEventListener("click", () => {
    set(picker.hidden);
    if (!picker.hidden) picker.querySelector("button").focus();
  });
  picker.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-emoji]");
    if (!button) return;
    onPick(button.dataset.emoji);
    set(false);
    toggle.focus();
  });
  picker.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    set(false);
    toggle.focus();
  });
}

/** Copy the room's link; where the clipboard is not available, show it to copy by hand. */
export async function copyInviteLink(url, status) {
  try {
    await navigator.clipboard.writeText(url);
    status.show(`Invite link copied: ${url}`, "ok");
  } catch {
    status.alert(`Copy this invite link: ${url}`);
  }
}

// The screen stays awake during a meeting (Screen Wake Lock, where the browser has it). The
// browser drops the lock when the tab is hidden: it is asked for again when the tab shows.
let wakeLock = null;
let wantAwake = false;

export async function keepAwake(on) {
  wantAwake = on;
  if (!("wakeLock" in navigator)) return;
  if (!on) {
    if (wakeLock) wakeLock.release().catch(() => {});
    wakeLock = null;
    return;
  }
  if (wakeLock || document.visibilityState !== "visible") return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => (wakeLock = null));
  } catch {
    wakeLock = null; // refused (battery saver, a policy): the meeting works without it
  }
}

document.addEventListener("visibilitychange", () => {
  if (wantAwake && document.visibilityState === "visible") keepAwake(true);
});
