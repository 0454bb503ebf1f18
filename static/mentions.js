// Suggestions of people to mention while typing "@" in a text field (a comfort:
// without JavaScript, "@Bernard" typed by hand is a mention all the same).
// The pattern of GitHub's text-expander: the textarea keeps the focus and points at
// the active suggestion (aria-activedescendant) of a listbox shown under it; a
// polite status tells how many suggestions there are and which keys to use.
// Arrows choose, Enter or Tab inserts, Escape closes.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.fetch) { return; }
  // "@" then up to two words typed so far, right before the caret, not inside a word
  var TYPED = /(?:^|[^\w@\/])@([^\s@]{0,40}(?: [^\s@]{0,40})?)$/u;
  var counter = 0;

  // every field on the page, and those shown later (a thread's reply form)
  var attach = function (field) {
    counter += 1;
    var listId = "mentions-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", field.dataset.mentionsLabel || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    field.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var typed = null; // {start, end} of "@query" in the field's value
    var pending = null;
    var asked = 0;

    function close() {
      items = [];
      active = -1;
      typed = null;
      list.hidden = true;
      list.replaceChildren();
      field.removeAttribute("aria-activedescendant");
      status.textContent = "";
    }

    function activate(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        field.setAttribute("aria-activedescendant", listId + "-" + index);
      } else {
        field.removeAttribute("aria-activedescendant");
      }
    }

    function insert(index) {
      var item = items[index];
      if (!item || !typed) { return; }
      var text = "@" + item.mention + " ";
      var value = field.value;
      field.value = value.slice(0, typed.start) + text + value.slice(typed.end);
      var caret = typed.start + text.length;
      field.setSelectionRange(caret, caret);
      close();
      field.focus();
    }

    function show(found) {
      items = found;
      list.replaceChildren();
      if (!items.length) { close(); return; }
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.textContent = item.name;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the field
          insert(i);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      activate(0);
      status.textContent = (field.dataset.mentionsStatus || "{n}").replace("{n}", String(items.length));
    }

    function lookup() {
      var before = field.value.slice(0, field.selectionStart);
      var match = TYPED.exec(before);
      if (!match || field.selectionStart !== field.selectionEnd) { close(); return; }
      typed = { start: before.length - match[1].length - 1, end: before.length };
      var query = match[1];
      var ticket = ++asked;
      fetch(field.dataset.mentions + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) { if (ticket === asked && typed) { show(data.items || []); } })
        .catch(close);
    }

    field.addEventListener("input", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(lookup, 120);
    });
    field.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        activate((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        activate((active - 1 + items.length) % items.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        insert(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    field.addEventListener("blur", function () { window.setTimeout(close, 150); });
  };
  document.querySelectorAll("textarea[data-mentions]").forEach(attach);
  window.cercleMentions = attach;
});
