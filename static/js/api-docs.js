// Swagger UI for /api/docs: its settings come as JSON in a data attribute, so no inline script.
const settings = JSON.parse(document.getElementById("swagger-ui").dataset.settings);
settings.dom_id = "#swagger-ui";
settings.presets = [SwaggerUIBundle.presets.apis];
SwaggerUIBundle(settings);
