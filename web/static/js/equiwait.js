// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/vendor/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Dates and times shown to people stay as rendered by the server; nothing here is required.
