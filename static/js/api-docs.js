// Starts Swagger UI from a file (the CSP allows no inline script).
window.addEventListener("load", () => {
  const container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({ url: container.dataset.specUrl, dom_id: "#swagger-ui-container" });
});
