// Swagger UI for /api/docs: its settings come as JSON from the page, so no inline script.
const settings = JSON.parse(document.getElementById("swagger-settings").textContent);
settings.dom_id = "#swagger-ui";
settings.presets = [SwaggerUIBundle.presets.apis];
SwaggerUIBundle(settings);
