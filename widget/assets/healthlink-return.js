// Runs on the page a popup flow ends on (served by the edge). Posts the
// result to the page that opened the popup — only to its exact origin — and
// closes the popup. Without an opener, the page's text asks the user to
// close the window themself.
const root = document.getElementById("healthlink-return");
if (root && window.opener) {
  try {
    window.opener.postMessage(JSON.parse(root.dataset.message), root.dataset.targetOrigin);
    window.close();
  } catch (error) {
    // Leave the visible "you can close this window" text in place.
  }
}
