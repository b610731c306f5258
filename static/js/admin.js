// The admin's widgets that Django's own scripts build without an accessible name, named here
// (WCAG 4.1.2), so every admin page passes axe: loaded by templates/admin/base_site.html.
(function () {
  "use strict";

  // SelectFilter2 (filter_horizontal) labels its search boxes with an icon span carrying
  // aria-label, which a span with no role may not have: an image role lets it keep its name.
  function nameIcons(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  // The split date and time fields have their field's label on the row, not on either input.
  function nameDateTimes(root) {
    root.querySelectorAll("p.datetime").forEach(function (box) {
      var row = box.closest(".form-row, .fieldBox") || box.parentElement;
      var label = row && row.querySelector("label");
      var name = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
      box.querySelectorAll("input.vDateField, input.vTimeField").forEach(function (input) {
        if (!input.hasAttribute("aria-label") && !input.labels.length) {
          var part = input.classList.contains("vDateField") ? "date" : "time";
          input.setAttribute("aria-label", (name ? name + ", " : "") + part);
        }
      });
    });
  }

  // Tabular inlines put a field's label in the column's heading only.
  function nameInlineCells(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
            if (!field.hasAttribute("aria-label") && !field.labels.length && headings[index]) {
              field.setAttribute("aria-label", headings[index]);
            }
          });
        });
      });
    });
  }

  function nameAll() {
    nameIcons(document);
    nameDateTimes(document);
    nameInlineCells(document);
  }

  document.addEventListener("DOMContentLoaded", function () {
    nameAll();
    // The widgets build themselves on load and again for each inline row added.
    new MutationObserver(nameAll).observe(document.body, { childList: true, subtree: true });
  });
})();
