// WebSocket signaling with the room consumer: JSON messages (conference/protocol.py),
// reconnect with backoff, close codes turned into words a person understands.

const CLOSE_REASONS = {
  4003: "You are not allowed to join this room.",
  4004: "This room does not exist any more.",
  4005: "The room is locked. Ask the host to unlock it, then try again.",
  4006: "The host removed you from the meeting.",
  4008: "Too many messages were sent too quickly, so the server closed the connection.",
  4010: "The server is restarting.",
  4011: "The media connection was lost.",
};

// Codes after which reconnecting on our own would be wrong or pointless.
const FINAL_CODES = new Set([4003, 4004, 4005, 4006, 4008]);

export function closeReason(code) {
  return CLOSE_REASONS[code] || "";
}

export class Signaling {
  /**
   * @param {string} url  ws(s)://host/ws/rooms/<slug>/
   * @param {{onOpen: function, onMessage: function, onReconnecting: function, onClosed: function}} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.maxAttempts = 12;
    this.stopped = true;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  open() {
    clearTimeout(this.timer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    // A socket that neither opens nor fails (a stuck proxy) still gets a bound.
    const openTimer = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, 10000);
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      clearTimeout(openTimer);
      this.attempt = 0;
      this.handlers.onOpen();
    });
    ws.addEventListener("message", (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        console.warn("Ignoring a frame that is not JSON", event.data);
        return;
      }
      if (msg && typeof msg.type === "string") this.handlers.onMessage(msg);
    });
    ws.addEventListener("close", (event) => {
      clearTimeout(openTimer);
      if (this.ws !== ws) return; // an older socket we already replaced
      this.ws = null;
      if (this.stopped) return;
      if (FINAL_CODES.has(event.code)) {
        this.stopped = true;
        this.handlers.onClosed({ code: event.code, message: closeReason(event.code), final: true });
        return;
      }
      if (!opened && this.handlers.whyRefused) {
        // Refused at the handshake (the browser only sees 1006): ask the page why, if it knows.
        this.handlers.whyRefused().then((message) => {
          if (this.stopped) return;
          if (message) {
            this.stopped = true;
            this.handlers.onClosed({ code: event.code, message, final: true });
          } else {
            this.scheduleReconnect(event.code);
          }
        });
        return;
      }
      this.scheduleReconnect(event.code);
    });
  }

  scheduleReconnect(code) {
    this.attempt += 1;
    if (this.attempt > this.maxAttempts) {
      this.stopped = true;
      this.handlers.onClosed({
        code,
        message: "The connection to the server was lost and could not be restored.",
        final: true,
      });
      return;
    }
    // 0.5 s, 1 s, 2 s ... capped at 15 s, with jitter so a restarted server is not stampeded.
    const base = Math.min(15000, 500 * 2 ** (this.attempt - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.handlers.onReconnecting({ code, message: closeReason(code), delay, attempt: this.attempt });
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** Drop the current socket and reconnect (e.g. the media connection failed). */
  restart() {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "restart");
    this.scheduleReconnect(1000);
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "leave");
  }
}
