// Text a person is typing is theirs: a save that finishes later must not wipe it.

/**
 * The state update for an input once the text `submitted` from it has been saved:
 * cleared if it still holds exactly that text, left alone if the person typed
 * something else meanwhile (a save may take a while, e.g. when it first refreshes
 * an expired token).
 */
export function clearIfUnchanged(submitted) {
  return (current) => (current === submitted ? '' : current);
}
