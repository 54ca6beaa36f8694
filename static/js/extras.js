// The meeting's smaller controls, wired: raise hand, layout, copy invite link, reactions, the
// participants and chat panels (phones), the Devices dialog and the keyboard shortcuts.
import { copyInviteLink, installPanels, installReactionPicker } from "./controls.js";
import { installShortcuts } from "./shortcuts.js";

/**
 * @param {{$: function, config: object, session: object, grid: object, status: object,
 *          send: function, pickers: object, updateControls: function}} page
 */
export function wireExtras({ $, config, session, grid, status, send, pickers, updateControls }) {
  $("show-devices").addEventListener("click", () => {
    pickers.refresh();
    $("devices-dialog").showModal();
  });
  $("toggle-hand").addEventListener("click", () => {
    send({ type: "hand", raised: !(session.self && session.self.hand_raised_at) });
  });
  function toggleLayout() {
    grid.setMode(grid.mode === "speaker" ? "grid" : "speaker");
    updateControls();
  }
  $("toggle-layout").addEventListener("click", toggleLayout);
  for (const button of document.querySelectorAll("[data-copy-link], #copy-link")) {
    button.addEventListener("click", () => copyInviteLink(config.inviteUrl, status));
  }
  installReactionPicker($("toggle-reactions"), $("reaction-picker"), (emoji) => send({ type: "reaction", emoji }));
  const panels = installPanels($("side"), [...document.querySelectorAll(".panel-toggle")]);
  installShortcuts({
    dialog: $("shortcuts"),
    list: $("shortcut-list"),
    opener: $("show-shortcuts"),
    active: () => session.inMeeting,
    keys: [
      { key: "m", label: "Mute or unmute your microphone", run: () => $("toggle-mic").click() },
      { key: "v", label: "Turn your camera off or on", run: () => $("toggle-camera").click() },
      { key: "h", label: "Raise or lower your hand", run: () => $("toggle-hand").click() },
      { key: "c", label: "Chat: go to the message field", run: () => panels.open("chat") },
      { key: "t", label: "Captions on or off", run: () => $("toggle-captions").click() },
      { key: "l", label: "Switch between grid and speaker layout", run: toggleLayout },
    ],
  });
}
