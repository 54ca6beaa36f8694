// Where the tiles go on the stage. Three layouts:
//   grid     every tile as large as the stage allows, 16:9 kept (columns chosen to maximize size);
//   speaker  one tile large (the pinned one, else the active speaker), the others in a strip;
//   a shared screen (or a pinned one) takes the stage the same way, its presenter's camera
//   first in the strip.
// No media here: tiles.js owns the tiles, this only decides their place and size.

const ASPECT = 16 / 9;
const GAP = 8; // px, the same as the CSS gap

/** Columns, rows and tile width that make `count` 16:9 tiles largest in `width` x `height`. */
export function bestGrid(count, width, height, gap = GAP) {
  let best = { cols: 1, rows: Math.max(1, count), width: 0 };
  for (let cols = 1; cols <= Math.max(1, count); cols += 1) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - (cols - 1) * gap) / cols;
    const byHeight = ((height - (rows - 1) * gap) / rows) * ASPECT;
    const tileWidth = Math.floor(Math.min(byWidth, byHeight));
    if (tileWidth > best.width) best = { cols, rows, width: tileWidth };
  }
  return best;
}

/**
 * Decide the layout. `tiles` are in display order ({key, id, kind}); returns the key of the tile
 * that takes the stage (`main`, null for the grid), the keys on the stage and those in the strip.
 */
export function chooseLayout({ tiles, mode, pinned, activeSpeaker, maxGrid = 16 }) {
  const keys = new Set(tiles.map((t) => t.key));
  const screens = tiles.filter((t) => t.kind === "screen");
  let main = null;
  if (pinned && keys.has(pinned)) main = pinned;
  else if (screens.length) main = (screens.find((t) => t.id !== "self") || screens[0]).key;
  else if (mode === "speaker" && tiles.length > 1) {
    const speaker = activeSpeaker && keys.has(`${activeSpeaker}:camera`) ? `${activeSpeaker}:camera` : null;
    // Nobody has spoken yet: the first of the others (not yourself) takes the stage.
    main = speaker || (tiles.find((t) => t.id !== "self") || tiles[0]).key;
  }
  if (!main) {
    // The grid: at most `maxGrid` tiles (yourself and the first others), the rest in the strip.
    const all = tiles.map((t) => t.key);
    return { main: null, stage: all.slice(0, maxGrid), strip: all.slice(maxGrid) };
  }
  const owner = tiles.find((t) => t.key === main);
  const presenter = owner && owner.kind === "screen" ? `${owner.id}:camera` : null;
  const strip = tiles.map((t) => t.key).filter((k) => k !== main);
  strip.sort((a, b) => (b === presenter) - (a === presenter)); // the presenter's camera beside the screen
  return { main, stage: [main], strip };
}

/** Sizes the tiles of `gridEl` (a container with `.tiles-main` and `.tiles-strip`) to its box. */
export class StageLayout {
  constructor(gridEl) {
    this.gridEl = gridEl;
    this.mainEl = gridEl.querySelector(".tiles-main");
    this.stripEl = gridEl.querySelector(".tiles-strip");
    this.last = { main: null, stage: [], strip: [] };
    this.observer = typeof ResizeObserver === "function" ? new ResizeObserver(() => this.size()) : null;
    if (this.observer) this.observer.observe(gridEl);
  }

  /** Put the tiles (`roots`: key -> element, in display order) where `choice` says. */
  place(roots, choice) {
    this.last = choice;
    this.gridEl.dataset.layout = choice.main ? "stage" : "grid";
    this.stripEl.hidden = choice.strip.length === 0;
    placeChildren(this.mainEl, choice.stage.map((k) => roots.get(k)).filter(Boolean));
    placeChildren(this.stripEl, choice.strip.map((k) => roots.get(k)).filter(Boolean));
    for (const [key, root] of roots) root.classList.toggle("tile-stage", key === choice.main);
    this.gridEl.dataset.count = String(roots.size);
    this.size();
  }

  /** Tile width from the space there is (run again on every resize). */
  size() {
    const count = this.mainEl.childElementCount;
    const box = this.mainEl.getBoundingClientRect();
    if (!count || box.width === 0) return;
    const { width } = bestGrid(count, box.width, box.height);
    this.mainEl.style.setProperty("--tile-width", `${Math.max(120, width)}px`);
  }
}

/** Make `parent`'s children exactly `nodes`, in order, moving only what must move (a moved video
 * keeps playing: it is removed and inserted in one task). */
function placeChildren(parent, nodes) {
  nodes.forEach((node, index) => {
    if (parent.children[index] !== node) parent.insertBefore(node, parent.children[index] || null);
  });
  while (parent.childElementCount > nodes.length) parent.lastElementChild.remove();
}
