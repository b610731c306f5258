/* Progressive enhancement of forms (character counts); every form works without it.
 *
 * Character count: a text area inside `.character-count[data-maxlength]` shows "You have 4,800
 * characters remaining" as the person types, and "You have 20 characters too many" past the
 * limit (the browser's own maxlength is lifted so pasted text is not cut off unseen; the server
 * still refuses an answer over the limit). Screen readers hear the count through a polite live
 * region, updated once typing pauses rather than at every key. The sentences come translated
 * from the page (data-remaining-one, -other, data-over-one, -other).
 *
 * Error summary: a link to a field moves focus to the box itself and scrolls its question
 * (label or legend) into view, so the person sees what is asked as well as the box. */
(function () {
  "use strict";

  var ANNOUNCE_AFTER_MS = 1000;
  var lang = document.documentElement.lang || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;

  function length(text) {
    // Characters as the server counts them: code points, a line break as one.
    return Array.from(text.replace(/\r\n/g, "\n")).length;
  }

  function sentence(root, kind, count) {
    var form = plurals ? plurals.select(count) : count === 1 ? "one" : "other";
    var message = root.getAttribute("data-" + kind + "-" + (form === "one" ? "one" : "other"));
    return message.replace("%(count)s", count.toLocaleString(lang));
  }

  function characterCount(root) {
    var box = root.querySelector("textarea");
    var limit = parseInt(root.getAttribute("data-maxlength"), 10);
    var info = root.querySelector(".character-count-info");
    if (!box || !limit || !info) return;

    var status = document.createElement("div");
    status.className = "hint character-count-status";
    status.setAttribute("aria-hidden", "true");
    var live = document.createElement("div");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    // The limit stays in the box's description for screen readers; the count is shown instead.
    info.classList.add("visually-hidden");
    info.after(status, live);
    box.removeAttribute("maxlength");

    var timer = null;
    function text() {
      var left = limit - length(box.value);
      return left < 0 ? sentence(root, "over", -left) : sentence(root, "remaining", left);
    }
    function update() {
      var over = length(box.value) > limit;
      status.textContent = text();
      status.classList.toggle("over", over);
      box.classList.toggle("over", over);
    }
    box.addEventListener("input", function () {
      update();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = text(); }, ANNOUNCE_AFTER_MS);
    });
    update();
  }

  function focusFromSummary(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var question = target.closest("fieldset");
    var legend = question && question.querySelector("legend");
    var label = legend || document.querySelector("label[for='" + target.id + "']");
    event.preventDefault();
    (label || target).scrollIntoView();
    target.focus({ preventScroll: true });
  }

  document.querySelectorAll(".character-count[data-maxlength]").forEach(characterCount);
  document.querySelectorAll(".error-summary").forEach(function (summary) {
    summary.addEventListener("click", focusFromSummary);
  });
})();
