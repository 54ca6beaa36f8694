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

/** The participant list, with the host's Mute and Remove buttons. Rows are kept and updated in
 * place (keyed by participant id), so a keyboard focus on a row's button survives every change. */
export class Roster {
  constructor(listEl, countEl, { isHost, onModerate }) {
    this.listEl = listEl;
    this.countEl = countEl;
    this.isHost = isHost;
    this.onModerate = onModerate;
    this.rows = new Map(); // "self" or participant id -> row
  }

  render(self, participants) {
    const everyone = [{ ...self, self: true }, ...participants.values()];
    const keys = everyone.map((p) => (p.self ? "self" : String(p.id)));
    // Drop the rows of those who left first, so the rows that stay never move.
    for (const [key, row] of this.rows) {
      if (keys.includes(key)) continue;
      row.li.remove();
      this.rows.delete(key);
    }
    everyone.forEach((p, index) => {
      let row = this.rows.get(keys[index]);
      if (!row) {
        row = this.row(keys[index], p);
        this.rows.set(keys[index], row);
      }
      this.update(row, p);
      const here = this.listEl.children[index];
      if (here !== row.li) this.listEl.insertBefore(row.li, here || null);
    });
    this.countEl.textContent = String(everyone.length);
  }

  row(key, p) {
    const row = { p, name: el("span", { class: "roster-name" }), status: el("span", { class: "roster-status" }) };
    row.li = el("li", { "data-participant-id": key }, row.name, row.status);
    if (this.isHost && !p.self) {
      // The buttons' names are "Mute <name>" and "Remove <name>"; the name is for screen readers.
      row.muteName = el("span", { class: "visually-hidden" });
      row.removeName = el("span", { class: "visually-hidden" });
      row.mute = el("button", { type: "button", class: "button button-small" }, "Mute", row.muteName);
      row.mute.addEventListener("click", () => this.onModerate("mute", row.p.id));
      const remove = el("button", { type: "button", class: "button button-small button-danger" }, "Remove", row.removeName);
      remove.addEventListener("click", () => {
        if (window.confirm(`Remove ${row.p.name} from the meeting?`)) this.onModerate("remove", row.p.id);
      });
      row.li.append(el("span", { class: "roster-actions" }, row.mute, remove));
    }
    return row;
  }

  update(row, p) {
    row.p = p;
    const words = [];
    if (p.is_host) words.push("host");
    if (p.guest) words.push("guest");
    if (!p.audio) words.push("microphone off");
    if (!p.video) words.push("camera off");
    if (p.screen) words.push("sharing screen");
    if (p.hand_raised_at) words.push("hand raised");
    if (p.speaking) words.push("speaking");
    row.li.dataset.speaking = String(Boolean(p.speaking));
    setText(row.name, p.self ? `${p.name} (you)` : p.name);
    setText(row.status, words.join(", "));
    row.status.hidden = words.length === 0;
    if (row.mute) {
      row.mute.disabled = !p.audio;
      setText(row.muteName, ` ${p.name}`);
      setText(row.removeName, ` ${p.name}`);
    }
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
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
      el("span", { class: "chat-author", text: message.guest ? `${message.author} (guest)` : message.author }),
      time,
      el("p", { class: "chat-text", text: message.text }),
    );
    const nearBottom = this.logEl.scrollHeight - this.logEl.scrollTop - this.logEl.clientHeight < 40;
    this.logEl.append(li);
    if (nearBottom) this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  /** The message form: a message too long or not sent says so, and stays in the field. */
  bindForm(form, input, { status, maxLength, send }) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      const outcome = text.length > maxLength ? "too-large" : send(text);
      if (outcome === "too-large") status.alert("That message is too long.");
      else if (outcome === "offline") status.alert("Not connected right now: your message was not sent.");
      else input.value = "";
    });
  }

  note(text) {
    this.logEl.append(el("li", { class: "chat-note", text }));
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }
}

/** Captions. The band under the videos shows interim lines of an utterance replacing each other,
 * then its final line, which fades out; it is not a live region (interim words change every second
 * or so and a screen reader would never stop talking). Final lines only are appended to a polite
 * live log, the scrollable history in the side panel, so each utterance is read once. */
export class Captions {
  constructor(regionEl, toggleEl, logEl, { keepSeconds = 6, maxLines = 3, maxLogged = 500 } = {}) {
    this.regionEl = regionEl;
    this.toggleEl = toggleEl;
    this.logEl = logEl;
    this.keepMs = keepSeconds * 1000;
    this.maxLines = maxLines;
    this.maxLogged = maxLogged;
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
    this.logEl.hidden = !on;
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
    if (caption.final) this.announce(caption.speaker, text);
  }

  announce(speaker, text) {
    if (!this.on) return;
    const log = this.logEl;
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(el("p", { class: "caption-logged", text: `${speaker}: ${text}` }));
    while (log.childElementCount > this.maxLogged) log.firstElementChild.remove();
    if (nearBottom) log.scrollTop = log.scrollHeight; // unless the person scrolled back to read
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
    this.logEl.replaceChildren();
  }
}
