// The one aria-live region: results of actions, errors and "no results" are announced here (and shown).

let region = null;
let timer = null;
let announcedAt = 0;

export function initLive(el) {
  region = el;
}

/** kind: "info" | "success" | "error" */
export function announce(message, kind = "info") {
  if (!region) return;
  clearTimeout(timer);
  announcedAt = Date.now();
  region.dataset.kind = kind;
  if (region.textContent !== message) {
    region.textContent = message;
    return;
  }
  // The same words again: clearing first makes screen readers repeat them.
  region.textContent = "";
  timer = setTimeout(() => {
    region.textContent = message;
  }, 50);
}

export function clearAnnouncement() {
  if (!region) return;
  clearTimeout(timer);
  region.textContent = "";
  delete region.dataset.kind;
}

/** On moving to another page: forget a message unless it was just said (e.g. "opening the case…"). */
export function clearStaleAnnouncement(olderThanMs = 1500) {
  if (Date.now() - announcedAt > olderThanMs) clearAnnouncement();
}
