// The API reference: Swagger UI (from npm, served by the project) over /openapi.yaml.
window.SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui", deepLinking: true });
