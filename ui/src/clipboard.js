// Copy and download from a page: the two ways a person keeps recovery codes or a
// setup key. Both need a click (a user activation); neither puts text into the DOM.

/** Copy `text` to the clipboard; true when the browser did it. */
export async function copyText(text) {
  try {
    await globalThis.navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard (an insecure context) or no permission
  }
}

/** Offer `text` as a downloaded plain-text file named `filename`. */
export function downloadText(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
