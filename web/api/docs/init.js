// The merged OpenAPI document of every service, as this app serves it (GET /api/openapi.json).
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    // Try-it-out calls go to this same origin, with the bearer token the reader pastes in.
    persistAuthorization: false,
  });
});
