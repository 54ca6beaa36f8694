// WebSocket signaling with the room consumer: JSON messages (conference/protocol.py),
// reconnect with backoff, close codes turned into words a person understands. The words, the
// codes after which reconnecting would be wrong, and the frame size limit come from the server
// (`config.protocol`, built by protocol.client_config()).

export class Signaling {
  /**
   * @param {string} url  ws(s)://host/ws/rooms/<slug>/
   * @param {{onOpen: function, onMessage: function, onReconnecting: function, onClosed: function}} handlers
   * @param {{closeReasons: Object<string, string>, finalCloseCodes: number[], maxMessageBytes: number}} protocol
   */
  constructor(url, handlers, protocol) {
    this.url = url;
    this.handlers = handlers;
    this.closeReasons = protocol.closeReasons;
    this.finalCodes = new Set(protocol.finalCloseCodes); // reconnecting on our own would be wrong
    this.maxMessageBytes = protocol.maxMessageBytes;
    this.ws = null;
    this.attempt = 0;
    this.maxAttempts = 12;
    this.stopped = true;
    this.timer = null;
  }

  closeReason(code) {
    return this.closeReasons[String(code)] || "";
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
      if (this.finalCodes.has(event.code)) {
        this.stopped = true;
        this.handlers.onClosed({ code: event.code, message: this.closeReason(event.code), final: true });
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
    this.handlers.onReconnecting({ code, message: this.closeReason(code), delay, attempt: this.attempt });
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

  /** Whether the server would accept this message's size (it refuses larger frames). */
  fits(message) {
    return new TextEncoder().encode(JSON.stringify(message)).length <= this.maxMessageBytes;
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

/**
 * After a refused WebSocket handshake (the browser only sees 1006): does the room page itself
 * still let us in? Its 403 and 404 mean what the close codes 4003 and 4004 mean, in the same words.
 * @returns {Promise<string|null>} why, or null when the page does not say (keep retrying)
 */
export async function askPageWhy(pageUrl, closeReasons) {
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    const response = await fetch(pageUrl, { redirect: "manual", credentials: "same-origin", signal: controller.signal });
    clearTimeout(timer);
    if (response.type === "opaqueredirect") return "Your session has ended. Reload the page to sign in or enter your name again.";
    if (response.status === 403) return closeReasons["4003"];
    if (response.status === 404) return closeReasons["4004"];
  } catch {
    /* the server is unreachable: keep retrying */
  }
  return null;
}
