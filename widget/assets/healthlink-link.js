// Runs on a hosted connect link's page (served by the edge). The way back to
// the app ("Back to …") carries the last result the widget reported, as the
// healthlink_* parameters a redirect flow's return URL gets, so the app
// knows what happened without asking. The app should still read the status
// from its backend: these parameters only say what to refresh.
const back = document.getElementById("healthlink-back");
const widget = document.querySelector("healthlink-connect");
if (back && widget) {
  const base = back.getAttribute("href");
  const report = (action) => (event) => {
    const { source, result } = event.detail || {};
    if (!source || !result) return;
    const url = new URL(base);
    for (const name of [...url.searchParams.keys()]) {
      if (name.startsWith("healthlink_")) url.searchParams.delete(name);
    }
    url.searchParams.set("healthlink_source", source);
    url.searchParams.set("healthlink_action", action);
    url.searchParams.set("healthlink_result", result);
    back.setAttribute("href", url.toString());
  };
  widget.addEventListener("healthlink:connect", report("connect"));
  widget.addEventListener("healthlink:disconnect", report("disconnect"));
}
