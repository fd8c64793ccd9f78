// Renders the API reference from the portal's own OpenAPI document with the vendored Swagger UI.
(function () {
  "use strict";
  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
    window.SwaggerUIBundle({
      url: root.getAttribute("data-spec-url"),
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,          // never contact the public validator: closed networks
      tryItOutEnabled: false,
      persistAuthorization: false, // the token stays in this page's memory only
      defaultModelsExpandDepth: 0,
      docExpansion: "list"
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
