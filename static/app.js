// Cercle works without JavaScript; this file only adds comfort.
document.addEventListener("DOMContentLoaded", function () {
  // Ask before destructive actions (forms whose button carries data-confirm).
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // The error summary of a form, or a confirmation where the person lands, takes the
  // focus (autofocus does it without JavaScript; some browsers skip it after a redirect).
  var landing = document.querySelector("[data-error-summary], [data-landing]");
  if (landing && document.activeElement !== landing) { landing.focus(); }
  // Mark a thread as read once its page is shown (the no-JS page has a button for it).
  var seen = document.querySelector("[data-mark-seen]");
  var token = document.querySelector('meta[name="csrf-token"]');
  if (seen && token && window.fetch) {
    var body = new URLSearchParams();
    body.append("csrf_token", token.content);
    fetch(seen.dataset.markSeen, { method: "POST", body: body, credentials: "same-origin" });
  }
});
