// DOM for the room: status line, participant list, chat and captions (video tiles: tiles.js).
// Text from other people always goes through textContent, never innerHTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** One polite live region for progress, one assertive region for problems. */
export class Status {
  constructor(statusEl, alertEl) {
    this.statusEl = statusEl;
    this.alertEl = alertEl;
  }

  show(text, kind = "info") {
    this.statusEl.textContent = text;
    this.statusEl.dataset.kind = kind;
    if (kind !== "error") this.clearAlert();
  }

  alert(text) {
    this.alertEl.textContent = text;
    this.alertEl.hidden = !text;
  }

  clearAlert() {
    this.alert("");
  }
}

/** The participant list, with the host's Mute and Remove buttons. */
export class Roster {
  constructor(listEl, countEl, { isHost, onModerate }) {
    this.listEl = listEl;
    this.countEl = countEl;
    this.isHost = isHost;
    this.onModerate = onModerate;
  }

  render(self, participants) {
    this.listEl.replaceChildren();
    const everyone = [{ ...self, self: true }, ...participants.values()];
    for (const p of everyone) {
      const status = [];
      if (p.is_host) status.push("host");
      if (!p.audio) status.push("microphone off");
      if (!p.video) status.push("camera off");
      if (p.screen) status.push("sharing screen");
      const li = el(
        "li",
        { "data-participant-id": p.self ? "self" : p.id },
        el("span", { class: "roster-name", text: p.self ? `${p.name} (you)` : p.name }),
        status.length ? el("span", { class: "roster-status", text: status.join(", ") }) : null,
      );
      if (this.isHost && !p.self) {
        const actions = el("span", { class: "roster-actions" });
        const mute = el("button", { type: "button", class: "button button-small", disabled: !p.audio });
        mute.append("Mute", el("span", { class: "visually-hidden", text: ` ${p.name}` }));
        mute.addEventListener("click", () => this.onModerate("mute", p.id));
        const remove = el("button", { type: "button", class: "button button-small button-danger" });
        remove.append("Remove", el("span", { class: "visually-hidden", text: ` ${p.name}` }));
        remove.addEventListener("click", () => {
          if (window.confirm(`Remove ${p.name} from the meeting?`)) this.onModerate("remove", p.id);
        });
        actions.append(mute, remove);
        li.append(actions);
      }
      this.listEl.append(li);
    }
    this.countEl.textContent = String(everyone.length);
  }
}

/** Chat history and new messages. */
export class Chat {
  constructor(logEl) {
    this.logEl = logEl;
    this.ids = new Set();
  }

  clear() {
    this.logEl.replaceChildren();
    this.ids.clear();
  }

  add(message) {
    if (message.id !== undefined && this.ids.has(message.id)) return;
    if (message.id !== undefined) this.ids.add(message.id);
    const at = new Date(message.at);
    const time = Number.isNaN(at.getTime())
      ? null
      : el("time", {
          datetime: message.at,
          text: at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
        });
    const li = el(
      "li",
      { class: "chat-message", "data-message-id": message.id },
      el("span", { class: "chat-author", text: message.author }),
      time,
      el("p", { class: "chat-text", text: message.text }),
    );
    const nearBottom = this.logEl.scrollHeight - this.logEl.scrollTop - this.logEl.clientHeight < 40;
    this.logEl.append(li);
    if (nearBottom) this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  note(text) {
    this.logEl.append(el("li", { class: "chat-note", text }));
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }
}

/** Caption overlay: interim lines of one utterance replace each other; final lines fade out. */
export class Captions {
  constructor(regionEl, toggleEl, { keepSeconds = 6, maxLines = 3 } = {}) {
    this.regionEl = regionEl;
    this.toggleEl = toggleEl;
    this.keepMs = keepSeconds * 1000;
    this.maxLines = maxLines;
    this.lines = new Map(); // utterance -> {node, timer}
    this.finished = new Set(); // utterances whose final arrived: a late interim must not reopen them
    let on = true;
    try {
      on = window.localStorage.getItem("captions") !== "off";
    } catch {
      /* storage may be blocked */
    }
    this.set(on);
    toggleEl.addEventListener("click", () => this.set(!this.on));
  }

  set(on) {
    this.on = on;
    this.toggleEl.setAttribute("aria-pressed", String(on));
    this.regionEl.hidden = !on;
    try {
      window.localStorage.setItem("captions", on ? "on" : "off");
    } catch {
      /* ignore */
    }
  }

  show(caption) {
    const text = String(caption.text || "").trim();
    if (this.finished.has(caption.utterance)) return; // interim from a slower worker, after the final
    if (caption.final) {
      this.finished.add(caption.utterance);
      if (this.finished.size > 200) this.finished.delete(this.finished.values().next().value);
    }
    let line = this.lines.get(caption.utterance);
    if (!text) {
      if (line && caption.final) this.drop(caption.utterance);
      return;
    }
    if (!line) {
      const speaker = el("span", { class: "caption-speaker" });
      const words = el("span", { class: "caption-text" });
      const node = el("p", { class: "caption", "data-utterance": caption.utterance }, speaker, words);
      line = { node, speaker, words, timer: null };
      this.lines.set(caption.utterance, line);
      this.regionEl.append(node);
    }
    line.speaker.textContent = `${caption.speaker}: `;
    line.words.textContent = text;
    line.node.dataset.final = String(Boolean(caption.final));
    line.node.dataset.participantId = String(caption.participant);
    clearTimeout(line.timer);
    line.timer = setTimeout(() => this.drop(caption.utterance), caption.final ? this.keepMs : this.keepMs * 2);
    while (this.lines.size > this.maxLines) this.drop(this.lines.keys().next().value);
  }

  drop(utterance) {
    const line = this.lines.get(utterance);
    if (!line) return;
    clearTimeout(line.timer);
    line.node.remove();
    this.lines.delete(utterance);
  }

  clear() {
    for (const key of [...this.lines.keys()]) this.drop(key);
  }
}
