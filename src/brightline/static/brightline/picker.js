// Searchable pickers: every <select multiple> (people to ask for feedback, evidence to cite) becomes a search box
// over a list of checkboxes. The select stays in the form, hidden, and is what the form sends, so without this
// script the page works as before. Keyboard: Tab into the search box, type to filter, Tab to the checkboxes,
// Space to choose; each chosen entry has a remove button. Only the first matches are listed; typing narrows them.
(function () {
  "use strict";
  var SHOWN = 40;
  var counter = 0;

  function labelFor(select) {
    return select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
  }

  function enhance(select) {
    if (select.dataset.pickerReady) { return; }
    select.dataset.pickerReady = "1";
    counter += 1;
    var base = (select.id || "picker") + "-picker" + counter;
    var label = labelFor(select);
    var name = label ? label.textContent.trim() : "Choices";
    var box = document.createElement("div");
    box.className = "picker";

    var search = document.createElement("input");
    search.type = "search";
    search.id = base + "-search";
    search.autocomplete = "off";
    search.setAttribute("aria-describedby", base + "-status");
    search.placeholder = "Type to search";
    if (label) { label.htmlFor = search.id; } else { search.setAttribute("aria-label", "Search " + name); }

    var status = document.createElement("p");
    status.id = base + "-status";
    status.className = "muted help";
    status.setAttribute("aria-live", "polite");

    var chosen = document.createElement("ul");
    chosen.className = "picker-chosen";
    chosen.setAttribute("aria-label", "Chosen: " + name);

    var list = document.createElement("fieldset");
    list.className = "picker-options";
    var legend = document.createElement("legend");
    legend.className = "visually-hidden";
    legend.textContent = name;
    list.appendChild(legend);

    var rows = Array.prototype.map.call(select.options, function (option, index) {
      var row = document.createElement("div");
      var box2 = document.createElement("input");
      box2.type = "checkbox";
      box2.id = base + "-option-" + index;
      box2.checked = option.selected;
      var text = document.createElement("label");
      text.htmlFor = box2.id;
      text.textContent = option.textContent;
      row.appendChild(box2);
      row.appendChild(text);
      box2.addEventListener("change", function () { option.selected = box2.checked; render(); });
      list.appendChild(row);
      return {option: option, row: row, input: box2, text: option.textContent.toLowerCase()};
    });

    function render() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0, matching = 0;
      chosen.textContent = "";
      rows.forEach(function (entry) {
        var match = words.every(function (word) { return entry.text.indexOf(word) !== -1; });
        entry.input.checked = entry.option.selected;
        if (match) { matching += 1; }
        var visible = match && (entry.option.selected || shown < SHOWN);
        if (visible && !entry.option.selected) { shown += 1; }
        entry.row.hidden = !visible;
        if (entry.option.selected) {
          var item = document.createElement("li");
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "secondary";
          remove.textContent = "Remove";
          remove.setAttribute("aria-label", "Remove " + entry.option.textContent);
          remove.addEventListener("click", function () { entry.option.selected = false; render(); search.focus(); });
          item.appendChild(document.createTextNode(entry.option.textContent + " "));
          item.appendChild(remove);
          chosen.appendChild(item);
        }
      });
      var count = chosen.children.length;
      status.textContent = count + " chosen. " + (matching > shown + count ?
        "Showing " + shown + " of " + matching + " matches: type to narrow the list." :
        matching + (matching === 1 ? " match." : " matches."));
      chosen.hidden = count === 0;
    }

    search.addEventListener("input", render);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    box.appendChild(search);
    box.appendChild(status);
    box.appendChild(chosen);
    box.appendChild(list);
    select.hidden = true;
    select.parentNode.insertBefore(box, select.nextSibling);
    render();
  }

  function start() { document.querySelectorAll("select[multiple]").forEach(enhance); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
