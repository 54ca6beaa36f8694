// Moderation on the room page: a host's mute that holds until the host allows unmuting ("Ask to
// unmute"), and the hosts' panel of people asking to unmute and people removed ("Let <name> back
// in"). The server enforces all of it (rooms/moderation.py); this module shows it.
import { el } from "./ui.js";

export class HostPanel {
  /**
   * @param {HTMLElement} panelEl  shown only to hosts, and only when it has something to list
   * @param {{onModerate: function(string, number)}} handlers
   */
  constructor(panelEl, { onModerate }) {
    this.panelEl = panelEl;
    this.requestsEl = panelEl.querySelector("[data-list=requests]");
    this.removedEl = panelEl.querySelector("[data-list=removed]");
    this.waitingEl = panelEl.querySelector("[data-list=waiting]");
    this.waiting = new Map(); // admission id -> name (a waiting room's lobby)
    this.onModerate = onModerate;
    this.requests = new Map(); // participant id -> name
    this.removed = new Map(); // participant id they had -> name
  }

  reset(removed = [], waiting = []) {
    this.requests.clear();
    this.removed = new Map(removed.map((p) => [p.id, p.name]));
    this.waiting = new Map(waiting.map((p) => [p.id, p.name]));
    this.render();
  }

  isWaiting(id, name) {
    this.waiting.set(id, name);
    this.render();
  }

  stoppedWaiting(id) {
    this.waiting.delete(id);
    this.render();
  }

  askedToUnmute(id, name) {
    this.requests.set(id, name);
    this.render();
  }

  wasRemoved(id, name) {
    this.requests.delete(id);
    this.removed.set(id, name);
    this.render();
  }

  settled(id) {
    this.requests.delete(id);
    this.removed.delete(id);
    this.render();
  }

  render() {
    this.fill(this.requestsEl, this.requests, "allow-unmute", (name) => `Allow ${name} to unmute`);
    this.fill(this.removedEl, this.removed, "readmit", (name) => `Let ${name} back in`);
    this.fillWaiting();
    this.panelEl.hidden = this.requests.size === 0 && this.removed.size === 0 && this.waiting.size === 0;
    this.waitingEl.parentElement.hidden = this.waiting.size === 0;
    this.requestsEl.parentElement.hidden = this.requests.size === 0;
    this.removedEl.parentElement.hidden = this.removed.size === 0;
  }

  /** "Admit <name>" and "Deny <name>" for each person in the lobby. */
  fillWaiting() {
    this.waitingEl.replaceChildren(
      ...[...this.waiting].map(([id, name]) => {
        const admit = el("button", { type: "button", class: "button button-small button-primary" }, `Admit ${name}`);
        const deny = el("button", { type: "button", class: "button button-small button-danger" }, `Deny ${name}`);
        admit.addEventListener("click", () => this.onModerate("admit", id));
        deny.addEventListener("click", () => this.onModerate("deny", id));
        return el("li", {}, el("span", { class: "roster-name" }, name), el("span", { class: "roster-actions" }, admit, deny));
      }),
    );
  }

  fill(listEl, people, action, label) {
    listEl.replaceChildren(
      ...[...people].map(([id, name]) => {
        const button = el("button", { type: "button", class: "button button-small" }, label(name));
        button.addEventListener("click", () => {
          this.onModerate(action, id);
          if (action === "allow-unmute") this.settled(id);
        });
        return el("li", {}, el("span", { class: "roster-name" }, name), button);
      }),
    );
  }
}

/**
 * The signaling messages of moderation, as handlers for room.js's table.
 * @param {{session: object, status: object, panel: HostPanel, muteMic: function, updateControls: function}} page
 */
export function moderationHandlers({ session, status, panel, muteMic, updateControls }) {
  return {
    "muted-by-host"(msg) {
      if (session.self) session.self.host_muted = true;
      muteMic();
      status.alert(`${msg.by} muted your microphone. Select “Ask to unmute” when you want to speak.`);
    },
    "unmute-allowed"(msg) {
      if (session.self) session.self.host_muted = false;
      updateControls();
      status.alert(`${msg.by} allows you to unmute. Select “Unmute microphone” when you want to speak.`);
    },
    "unmute-request"(msg) {
      panel.askedToUnmute(msg.participant, msg.name);
      status.show(`${msg.name} asks to unmute.`, "warn");
    },
    readmitted(msg) {
      panel.settled(msg.participant);
    },
    "admission-request"(msg) {
      panel.isWaiting(msg.admission, msg.name);
      status.show(`${msg.name} is waiting to join.`, "warn");
    },
    "admission-settled"(msg) {
      panel.stoppedWaiting(msg.admission);
    },
    waiting(msg) {
      // We are in a waiting room's lobby: `joined` comes when a host admits us.
      session.log({ waiting: true });
      status.show(msg.message, "warn");
    },
  };
}

/** The microphone button's words while a host's mute holds. */
export function hostMuted(session) {
  return Boolean(session.self && session.self.host_muted);
}
