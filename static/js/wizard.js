/* New-tenant wizard, progressive enhancement only: every step works without it. */
(function () {
  "use strict";

  // Step 1: suggest a slug from the display name (portal.validation.suggest_slug on the server)
  // until the user types a slug of their own.
  function slugSuggestion() {
    var slug = document.querySelector("[data-suggest-url]");
    if (!slug) return;
    var name = document.getElementById(slug.getAttribute("data-suggest-from"));
    var note = document.getElementById("slug-suggestion");
    var url = slug.getAttribute("data-suggest-url");
    var edited = slug.value !== "";
    var timer = null;
    slug.addEventListener("input", function () { edited = slug.value !== ""; });
    var suggest = function () {
      if (edited) return;
      var value = name.value.trim();
      if (!value) { slug.value = ""; note.textContent = ""; return; }
      fetch(url + "?name=" + encodeURIComponent(value), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          if (edited || name.value.trim() !== value) return;
          slug.value = data.slug;
          note.textContent = data.slug
            ? "Suggested from the name: " + data.slug + (data.available ? "." : " (already taken; choose another).")
            : "";
        })
        .catch(function () { note.textContent = ""; });
    };
    name.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 250);
    });
    // A name typed before this script ran still gets its suggestion.
    if (name.value.trim() && !edited) suggest();
  }

  // Step 3: hide the IdP fields while "the customer will enter this" is chosen.
  function providerMode() {
    var options = document.querySelectorAll("[data-idp-mode], [data-provider-choice]");
    if (!options.length) return;
    // The settings fieldsets hide when the customer will enter them; OIDC or SAML parts hide
    // unless their type is chosen.
    var update = function () {
      var customer = document.querySelector("[data-idp-mode='customer']:checked");
      var chosen = document.querySelector("[data-provider-choice]:checked");
      var type = chosen ? chosen.value : "OIDC";
      document.querySelectorAll("[data-idp-fields], [data-provider-type]").forEach(function (el) {
        var other = el.hasAttribute("data-provider-type") && el.getAttribute("data-provider-type") !== type;
        el.hidden = other || (!!customer && el.hasAttribute("data-idp-fields"));
      });
    };
    options.forEach(function (o) { o.addEventListener("change", update); });
    update();
  }

  // Each step opens with the keyboard on its first field, or on the first field that needs
  // attention after a failed check; a step without fields focuses its heading, so the next Tab
  // reaches its buttons rather than the site's menu.
  function focusStep() {
    var step = document.querySelector("[data-wizard-step]");
    if (!step) return;
    var visible = function (el) { return el.offsetParent !== null && !el.disabled; };
    var invalid = Array.prototype.filter.call(step.querySelectorAll("[aria-invalid='true']"), visible);
    var fields = Array.prototype.filter.call(
      step.querySelectorAll("input:not([type=hidden]):not([type=submit]), select, textarea"), visible);
    var target = invalid[0] || fields[0];
    if (target && target.type === "radio" && !target.checked) {  // a radio group: its choice
      target = step.querySelector("input[type=radio][name='" + target.name + "']:checked") || target;
    }
    if (!target) {
      target = document.getElementById("step-title");
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  function start() { slugSuggestion(); providerMode(); focusStep(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
