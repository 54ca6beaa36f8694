// The camera, microphone and speaker pickers, the microphone level meter and the "join with
// microphone off / camera off" choices. One fieldset: in the lobby before joining, in the
// "Devices" dialog during the meeting (the same controls, moved there).
import { deviceOf } from "./devices.js";
import { el } from "./ui.js";

const KINDS = { camera: "videoinput", microphone: "audioinput", speaker: "audiooutput" };
const FALLBACK_NAMES = { camera: "Camera", microphone: "Microphone", speaker: "Speaker" };

export class DevicePickers {
  /**
   * @param {HTMLElement} root  the fieldset (selects #camera-select, #microphone-select, #speaker-select,
   *   checkboxes #join-muted, #join-camera-off, meter #mic-level)
   * @param {{local: import("./devices.js").LocalDevices, level: function(): number,
   *          onSwitched: function(string, string), onSpeaker: function(string)}} options
   *   onSwitched(kind, error): a camera or microphone switch finished ("" when it worked)
   */
  constructor(root, { local, level, onSwitched, onSpeaker }) {
    this.root = root;
    this.local = local;
    this.selects = {
      camera: root.querySelector("#camera-select"),
      microphone: root.querySelector("#microphone-select"),
      speaker: root.querySelector("#speaker-select"),
    };
    this.meter = root.querySelector("#mic-level");
    this.canPickSpeaker = typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
    root.querySelector("[data-speaker]").hidden = !this.canPickSpeaker;
    for (const [kind, select] of Object.entries(this.selects)) {
      select.addEventListener("change", async () => {
        select.disabled = true;
        try {
          if (kind === "speaker") {
            local.choose("speaker", select.value);
            onSpeaker(select.value);
          } else {
            const use = kind === "camera" ? local.useCamera(select.value) : local.useMicrophone(select.value);
            onSwitched(kind, await use);
          }
        } finally {
          select.disabled = false;
        }
      });
    }
    for (const [id, key] of [["#join-muted", "joinMuted"], ["#join-camera-off", "joinCameraOff"]]) {
      const box = root.querySelector(id);
      box.checked = Boolean(local.choices[key]);
      box.addEventListener("change", () => local.choose(key, box.checked));
    }
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", () => this.refresh());
    }
    // The level meter: the smoothed level of our own microphone, scaled so that speech fills it.
    setInterval(() => {
      if (this.root.offsetParent !== null) this.meter.value = Math.min(1, level() * 6);
    }, 100);
  }

  /** List the devices (names are known once a permission was given) and select the ones in use. */
  async refresh() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const inUse = { camera: deviceOf(this.local.video), microphone: deviceOf(this.local.audio) };
    for (const [kind, select] of Object.entries(this.selects)) {
      const list = devices.filter((d) => d.kind === KINDS[kind] && d.deviceId);
      const wanted = inUse[kind] || this.local.choices[kind];
      select.replaceChildren(
        ...list.map((d, i) => el("option", { value: d.deviceId, text: d.label || `${FALLBACK_NAMES[kind]} ${i + 1}` })),
      );
      if (list.length === 0) select.append(el("option", { value: "", text: `No ${FALLBACK_NAMES[kind].toLowerCase()} found` }));
      if (wanted && list.some((d) => d.deviceId === wanted)) select.value = wanted;
      select.disabled = list.length === 0;
    }
  }

  /** Put the fieldset into `parent` (the lobby, or the meeting's Devices dialog). */
  moveTo(parent) {
    if (this.root.parentElement !== parent) parent.append(this.root);
  }
}
