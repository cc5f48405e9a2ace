// ReDoc for /redoc, fonts from the system (nothing is fetched from outside the service).
(function () {
  var root = document.getElementById("redoc");
  Redoc.init(root.getAttribute("data-openapi-url"), {
    hideDownloadButton: false,
    theme: { typography: { fontFamily: "Arial, sans-serif", headings: { fontFamily: "Arial, sans-serif" } } }
  }, root);
})();
