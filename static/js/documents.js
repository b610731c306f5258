/*
 * Documents on the case page: drag and drop with a progress bar per file, and scan states that
 * update without a reload. Without this script the page works as a plain form and a plain list.
 * No dependencies; loaded with defer from the portal itself (CSP script-src 'self').
 */
(function () {
  "use strict";

  var POLL_MS = 2500;

  function text(element, value) {
    element.textContent = value;
    return element;
  }

  function make(tag, className) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    return element;
  }

  /* --- Scan states ---------------------------------------------------------------------- */

  function StatusPoller(list) {
    this.list = list;
    this.url = list.getAttribute("data-status-url");
    this.rows = list.querySelector("[data-document-rows]");
    this.table = list.querySelector("table");
    this.empty = list.querySelector("[data-documents-empty]");
    this.announcer = list.querySelector("[data-status-announcer]");
    this.timer = null;
  }

  StatusPoller.prototype.hasPending = function () {
    return this.rows.querySelector('tr[data-status="pending"]') !== null;
  };

  StatusPoller.prototype.start = function () {
    if (this.timer === null) this.schedule();
  };

  StatusPoller.prototype.schedule = function () {
    var poller = this;
    this.timer = window.setTimeout(function () { poller.poll(); }, POLL_MS);
  };

  StatusPoller.prototype.poll = function () {
    var poller = this;
    var request = new XMLHttpRequest();
    request.open("GET", this.url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      poller.timer = null;
      if (request.status !== 200) return;
      var data = JSON.parse(request.responseText);
      data.documents.forEach(function (item) { poller.update(item); });
      if (data.pending) poller.schedule();
    };
    request.onerror = function () {
      poller.timer = null;
      poller.schedule();
    };
    request.send();
  };

  StatusPoller.prototype.update = function (item) {
    var row = this.rows.querySelector('tr[data-document-id="' + item.id + '"]');
    if (row === null) {
      row = make("tr");
      row.setAttribute("data-document-id", item.id);
      row.appendChild(make("td", "document-name"));
      row.appendChild(text(make("td"), item.category));
      row.appendChild(text(make("td"), "Just now"));
      row.appendChild(make("td", "document-status"));
      // Each cell carries its column's heading, shown beside it when the table reflows at phone
      // width (the stylesheet's .reflow-table).
      var headings = this.table.querySelectorAll("thead th");
      for (var i = 0; i < row.cells.length && i < headings.length; i++) {
        row.cells[i].setAttribute("data-label", headings[i].textContent);
      }
      this.rows.appendChild(row);
      this.table.hidden = false;
      this.empty.hidden = true;
    }
    var before = row.getAttribute("data-status");
    row.setAttribute("data-status", item.status);
    var nameCell = row.querySelector(".document-name");
    nameCell.textContent = "";
    if (item.download_url) {
      var link = text(make("a"), item.name);
      link.href = item.download_url;
      nameCell.appendChild(link);
    } else {
      nameCell.textContent = item.name;
    }
    var statusCell = row.querySelector(".document-status");
    statusCell.textContent = "";
    var tag = text(make("strong", "scan-tag scan-" + (item.withdrawn ? "withdrawn" : item.status)),
      item.status_label);
    statusCell.appendChild(tag);
    statusCell.appendChild(document.createTextNode(" "));
    statusCell.appendChild(text(make("span", "scan-message"), item.message));
    if (before && before !== item.status) {
      this.announcer.textContent = item.name + ": " + item.status_label + ". " + item.message;
    }
  };

  /* --- Uploads ------------------------------------------------------------------------------ */

  function Uploader(form, poller) {
    this.form = form;
    this.poller = poller;
    this.maxBytes = parseInt(form.getAttribute("data-max-file-bytes"), 10);
    this.maxMb = form.getAttribute("data-max-file-mb");
    this.queue = form.querySelector("[data-upload-queue]");
    this.picker = form.querySelector("#document-picker");
    this.zone = form.querySelector("[data-drop-zone]");
    this.categoryTemplate = form.querySelector("[data-category-template]");
    this.token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    this.items = [];
    this.counter = 0;
    this.busy = false;
  }

  Uploader.prototype.enhance = function () {
    var uploader = this;
    this.form.querySelector("[data-upload-slots]").hidden = true;
    this.zone.hidden = false;
    this.queue.hidden = false;
    this.picker.addEventListener("change", function () {
      uploader.add(uploader.picker.files);
      uploader.picker.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      uploader.zone.addEventListener(name, function (event) {
        event.preventDefault();
        uploader.zone.classList.add("drop-zone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      uploader.zone.addEventListener(name, function () {
        uploader.zone.classList.remove("drop-zone-active");
      });
    });
    this.zone.addEventListener("drop", function (event) {
      event.preventDefault();
      uploader.add(event.dataTransfer.files);
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      uploader.sendAll();
    });
  };

  Uploader.prototype.add = function (files) {
    for (var i = 0; i < files.length; i += 1) this.addOne(files[i]);
  };

  Uploader.prototype.addOne = function (file) {
    this.counter += 1;
    var id = "upload-" + this.counter;
    var item = { file: file, sent: false, element: make("li", "upload-item") };
    text(item.element.appendChild(make("p", "upload-name")), file.name);
    var label = text(make("label"), "What is this file?");
    label.setAttribute("for", id + "-category");
    item.element.appendChild(label);
    var select = this.categoryTemplate.content.querySelector("select").cloneNode(true);
    select.id = id + "-category";
    select.name = "";
    select.removeAttribute("aria-describedby");
    item.select = select;
    item.element.appendChild(select);
    var progress = make("progress", "upload-progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Upload progress of " + file.name);
    item.progress = progress;
    item.element.appendChild(progress);
    item.message = item.element.appendChild(make("p", "upload-message"));
    item.message.setAttribute("role", "status");
    var remove = text(make("button", "secondary"), "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", "Remove " + file.name);
    var uploader = this;
    remove.addEventListener("click", function () {
      uploader.items = uploader.items.filter(function (other) { return other !== item; });
      item.element.remove();
    });
    item.remove = remove;
    item.element.appendChild(remove);
    if (file.size > this.maxBytes) {
      this.fail(item, "This file is larger than " + this.maxMb + " MB, the largest we accept.");
      item.sent = true;
    }
    this.queue.appendChild(item.element);
    this.items.push(item);
  };

  Uploader.prototype.fail = function (item, message) {
    item.element.classList.add("upload-failed");
    item.message.textContent = message;
  };

  Uploader.prototype.sendAll = function () {
    if (this.busy) return;
    var waiting = this.items.filter(function (item) { return !item.sent; });
    if (waiting.length === 0) {
      if (this.items.length === 0) this.picker.focus();
      return;
    }
    var missing = waiting.filter(function (item) { return !item.select.value; });
    if (missing.length) {
      missing.forEach(function (item) {
        item.element.classList.add("upload-failed");
        item.message.textContent = "Choose what this file is.";
      });
      missing[0].select.focus();
      return;
    }
    this.busy = true;
    this.sendNext(waiting, 0);
  };

  Uploader.prototype.sendNext = function (items, index) {
    var uploader = this;
    if (index >= items.length) {
      this.busy = false;
      this.poller.start();
      return;
    }
    var item = items[index];
    item.sent = true;
    item.select.disabled = true;
    item.remove.hidden = true;
    item.element.classList.remove("upload-failed");
    item.message.textContent = "Sending…";
    var data = new FormData();
    data.append("csrfmiddlewaretoken", this.token);
    data.append("category_1", item.select.value);
    data.append("file_1", item.file, item.file.name);
    var request = new XMLHttpRequest();
    request.open("POST", this.form.action);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        item.progress.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    request.onload = function () {
      var reply = {};
      try { reply = JSON.parse(request.responseText); } catch (error) { reply = {}; }
      if (request.status === 201) {
        item.progress.value = 100;
        item.element.classList.add("upload-done");
        item.message.textContent = "Sent. We are checking it for viruses.";
        (reply.documents || []).forEach(function (doc) { uploader.poller.update(doc); });
      } else {
        uploader.fail(item, (reply.errors || ["The file could not be sent. Please try again."])
          .join(" "));
      }
      uploader.sendNext(items, index + 1);
    };
    request.onerror = function () {
      uploader.fail(item, "The file did not finish sending: it may be too large, or the " +
        "connection dropped. Please try again.");
      uploader.sendNext(items, index + 1);
    };
    request.send(data);
  };

  /* --- Start --------------------------------------------------------------------------------- */

  var list = document.querySelector("[data-document-list]");
  var poller = list ? new StatusPoller(list) : null;
  if (poller && poller.hasPending()) poller.start();
  var form = document.querySelector("[data-upload-form]");
  if (form && poller) new Uploader(form, poller).enhance();
})();
