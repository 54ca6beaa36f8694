// Raised hands (a queue in the order raised, shown to everyone; a host lowers anyone's) and
// reactions (emoji that float briefly over the stage). The server keeps the queue
// (rooms/hands.py); this module shows it.
import { el } from "./ui.js";

const REACTION_MS = 3000;
const MAX_FLOATING = 12;

/** The "Raised hands" list in the participants panel. */
export class HandQueue {
  /**
   * @param {HTMLElement} sectionEl  holds an `<ol data-list="hands">`; hidden while no hand is up
   * @param {{isHost: boolean, onLower: function(number)}} options
   */
  constructor(sectionEl, { isHost, onLower }) {
    this.sectionEl = sectionEl;
    this.listEl = sectionEl.querySelector("[data-list=hands]");
    this.isHost = isHost;
    this.onLower = onLower;
  }

  /** `people`: everyone (yourself with `self: true`), each with `hand_raised_at` or null. */
  render(people) {
    const raised = people.filter((p) => p.hand_raised_at).sort((a, b) => (a.hand_raised_at < b.hand_raised_at ? -1 : 1));
    this.sectionEl.hidden = raised.length === 0;
    this.listEl.replaceChildren(
      ...raised.map((p) => {
        const li = el("li", { "data-participant-id": p.self ? "self" : p.id }, el("span", { class: "roster-name", text: p.self ? `${p.name} (you)` : p.name }));
        if (this.isHost && !p.self) {
          const button = el("button", { type: "button", class: "button button-small" }, `Lower ${p.name}'s hand`);
          button.addEventListener("click", () => this.onLower(p.id));
          li.append(button);
        }
        return li;
      }),
    );
  }
}

/** Floating emoji over the stage; each says who sent it (also said once to screen readers). */
export class Reactions {
  constructor(layerEl, announce) {
    this.layerEl = layerEl;
    this.announce = announce;
  }

  show(emoji, name) {
    while (this.layerEl.childElementCount >= MAX_FLOATING) this.layerEl.firstElementChild.remove();
    const node = el("div", { class: "reaction-float", "data-emoji": emoji }, emoji, el("span", { text: name }));
    node.style.left = `${10 + Math.random() * 75}%`;
    this.layerEl.append(node);
    setTimeout(() => node.remove(), REACTION_MS);
    this.announce(`${name}: ${emoji}`);
  }
}

/**
 * The signaling messages of hands and reactions, as handlers for room.js's table.
 * @param {{session: object, status: object, reactions: Reactions, refresh: function}} page
 *   refresh(): redraw the roster, the hand queue, the tiles and the hand button
 */
export function handHandlers({ session, status, reactions, refresh }) {
  return {
    hand(msg) {
      const mine = session.self && msg.participant === session.self.id;
      const p = mine ? session.self : session.participants.get(msg.participant);
      if (!p) return;
      p.hand_raised_at = msg.raised ? msg.at : null;
      refresh();
      if (mine && !msg.raised && msg.by) status.show(`${msg.by} lowered your hand.`);
      else if (!mine && msg.raised) status.show(`${p.name} raised their hand.`);
    },
    reaction(msg) {
      reactions.show(msg.emoji, session.self && msg.participant === session.self.id ? "You" : msg.name);
    },
  };
}
