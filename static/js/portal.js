/* Progressive enhancement only; every page works without it. No inline script anywhere (CSP). */
(function () {
  "use strict";

  // Copy buttons: <button data-copy="value">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var value = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = value;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      document.body.removeChild(area);
      done();
    }
  });

  // Live regions: <div data-poll="/url" data-poll-interval="1500"> is replaced by the HTML the
  // URL returns until that HTML carries data-poll-done. With data-poll-since="TOKEN" the next
  // request goes at once as a long poll (?since=TOKEN): the server answers when what the region
  // shows changes, so news arrives without a polling interval.
  function poll(element) {
    var url = element.getAttribute("data-poll");
    var interval = parseInt(element.getAttribute("data-poll-interval") || "1500", 10);
    var since = function () { return element.getAttribute("data-poll-since"); };
    var tick = function () {
      var token = since();
      var target = token ? url + (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(token) : url;
      fetch(target, { headers: { "Accept": "text/html", "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          // Sent elsewhere (the session ended: sign-in page): load the page again, which shows why.
          if (response.redirected) { window.location.reload(); return null; }
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          element.replaceWith(fresh);
          element = fresh;
          if (!fresh.hasAttribute("data-poll-done")) setTimeout(tick, since() ? 0 : interval);
          else if (fresh.closest("[data-reload-on-done]")) window.location.reload();
        })
        .catch(function () { setTimeout(tick, interval * 2); });
    };
    setTimeout(tick, since() ? 0 : interval);
  }

  // SAML presets: choosing a provider fills the attribute fields it usually sends, unless the
  // user typed their own (the server applies the same defaults to fields left empty).
  function samlPresets(holder) {
    var presets = JSON.parse(holder.getAttribute("data-saml-presets"));
    var form = holder.closest("form");
    var select = form && form.querySelector("select[name=preset]");
    if (!select) return;
    var fields = ["email_attribute", "groups_attribute", "roles_attribute"];
    var filled = {};
    select.addEventListener("change", function () {
      var chosen = presets[select.value];
      if (!chosen) return;
      fields.forEach(function (name) {
        var input = form.querySelector("[name=" + name + "]");
        if (input && (input.value === "" || input.value === filled[name])) {
          input.value = chosen[name];
          filled[name] = chosen[name];
        }
      });
    });
  }

  // The main menu collapses behind "Menu" on narrow screens (CSS); this opens and closes it.
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (!toggle) return;
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  });

  // Stacked tables (one block per row on a phone) label each cell with its column's heading.
  function labelCells(table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.replace(/\s+/g, " ").trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (!cell.hasAttribute("data-label") && heads[index]) {
          cell.setAttribute("data-label", heads[index]);
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("table.stack").forEach(labelCells);
    document.querySelectorAll("[data-saml-presets]").forEach(samlPresets);
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      if (!el.hasAttribute("data-poll-done")) poll(el);
    });
    document.querySelectorAll("[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
