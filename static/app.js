// Cercle works without JavaScript; this file only adds comfort.
document.addEventListener("DOMContentLoaded", function () {
  // Ask before destructive actions (forms whose button carries data-confirm).
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // Copy buttons (hidden without JavaScript, where the field can be selected by hand).
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.copied;
      }, function () { field.select(); });
    });
  });
  // Offer this device's time zone first in a zone select (the choice stays the person's).
  var zones = document.querySelector("select[data-zone-suggest]");
  var here = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zones && here) {
    var known = Array.prototype.find.call(zones.options, function (o) { return o.value === here; });
    var first = zones.querySelector("optgroup");
    if (known && first && known.parentNode !== first) {
      var copy = new Option(known.text + " · " + zones.dataset.zoneSuggest, here);
      first.insertBefore(copy, first.firstChild);
    }
  }
  // A rule of a proposal: typing a value unticks "Leave unset"; ticking it clears the
  // value (without JavaScript, both at once is refused with an error on the rule).
  document.querySelectorAll(".rule-widget").forEach(function (widget) {
    var value = widget.querySelector("[data-rule-value]");
    var unset = widget.querySelector("[data-rule-unset]");
    if (!value || !unset) { return; }
    var entered = function () { if (value.value.trim() !== "") { unset.checked = false; } };
    value.addEventListener("input", entered);
    value.addEventListener("change", entered);
    unset.addEventListener("change", function () { if (unset.checked) { value.value = ""; } });
  });
  // A meeting's time slots: "More time slots" adds an empty picker here instead of
  // sending the form back (without JavaScript it does, keeping what was typed).
  document.querySelectorAll("[data-more-slots]").forEach(function (button) {
    var list = button.parentNode.querySelector(".slot-list");
    if (!list) { return; }
    button.addEventListener("click", function (event) {
      var items = list.querySelectorAll("li");
      var last = items[items.length - 1];
      if (!last) { return; }
      event.preventDefault();
      var item = last.cloneNode(true);
      var n = items.length + 1;
      var input = item.querySelector("input");
      var label = item.querySelector("label");
      input.id = "slot-" + n;
      input.value = "";
      input.removeAttribute("aria-invalid");
      label.htmlFor = input.id;
      label.textContent = label.textContent.replace(/\d+\s*$/, String(n));
      list.appendChild(item);
      input.focus();
    });
  });
  // The error summary of a form, or a confirmation where the person lands, takes the
  // focus (autofocus does it without JavaScript; some browsers skip it after a redirect).
  var landing = document.querySelector("[data-error-summary], [data-landing]");
  if (landing && document.activeElement !== landing) { landing.focus(); }
  // A thread's «React» and «Reply» lead to a page of their own; here they open the
  // page's one picker or reply form (its <template>s) in place, under the comment.
  var openInPlace = function (link, template, prepare) {
    if (!template) { return; }
    link.setAttribute("role", "button");
    link.setAttribute("aria-expanded", "false");
    var opened = null;
    var close = function () {
      if (opened) { opened.remove(); opened = null; }
      link.setAttribute("aria-expanded", "false");
    };
    // the field of a reply being written, which neither Escape nor the link drops
    var writing = function () {
      var text = opened && opened.querySelector("textarea");
      return text && text.value.trim() ? text : null;
    };
    // a button opens with Space too (a link only with Enter; Space scrolled the page)
    link.addEventListener("keydown", function (key) {
      if (key.key === " ") { key.preventDefault(); link.click(); }
    });
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (opened) {
        // a reply being written stays open (as on Escape): its field takes the focus
        var written = writing();
        if (written) { written.focus(); return; }
        close();
        link.focus();
        return;
      }
      opened = template.content.firstElementChild.cloneNode(true);
      prepare(opened);
      var cancel = opened.querySelector("[data-cancel]");
      if (cancel) { cancel.addEventListener("click", function () { close(); link.focus(); }); }
      // Escape closes it, unless it suggests names or holds a reply being written
      opened.addEventListener("keydown", function (key) {
        if (key.key !== "Escape" || key.defaultPrevented || writing()) { return; }
        close();
        link.focus();
      });
      link.parentNode.insertAdjacentElement("afterend", opened);
      link.setAttribute("aria-expanded", "true");
      var first = opened.querySelector("textarea, button");
      if (first) { first.focus(); }
    });
  };
  var picker = document.getElementById("reaction-picker");
  document.querySelectorAll("a[data-react]").forEach(function (link) {
    openInPlace(link, picker, function (form) {
      form.action = link.href;
      // the reactions the comment shows already are its own buttons, above
      var shown = link.closest("article").querySelectorAll(".reactions-form button");
      var given = Array.prototype.map.call(shown, function (b) { return b.value; });
      form.querySelectorAll("button").forEach(function (button) {
        if (given.indexOf(button.value) !== -1) { button.remove(); }
      });
    });
  });
  var reply = document.getElementById("reply-form");
  document.querySelectorAll("a[data-reply]").forEach(function (link) {
    openInPlace(link, reply, function (form) {
      var id = "reply-" + link.dataset.reply + "-body";
      form.querySelector("input[name=parent_id]").value = link.dataset.reply;
      var field = form.querySelector("textarea");
      field.id = id;
      form.querySelector("label").htmlFor = id;
      if (window.cercleMentions) { window.cercleMentions(field); }
    });
  });
  // Mark a thread as read once its page is shown (the no-JS page has a button for it).
  var seen = document.querySelector("[data-mark-seen]");
  var token = document.querySelector('meta[name="csrf-token"]');
  if (seen && token && window.fetch) {
    var body = new URLSearchParams();
    body.append("csrf_token", token.content);
    fetch(seen.dataset.markSeen, { method: "POST", body: body, credentials: "same-origin" });
  }
});
