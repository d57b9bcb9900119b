/* Dashboard charts: draw every [data-figure] element from its JSON, on load and after each
   htmx swap; a click on a bar or funnel stage opens the facts behind it in #drill. */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function drillUrl(point) {
    var data = point && point.customdata;
    return Array.isArray(data) ? data[0] : data;
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || element.dataset.drawn === "1" || typeof Plotly === "undefined") {
      return;
    }
    var figure = JSON.parse(source.textContent);
    element.dataset.drawn = "1";
    // A snapshot restored by the back button still holds the old drawing; start afresh.
    element.innerHTML = "";
    Plotly.newPlot(element, figure.data, figure.layout, CONFIG).then(function () {
      element.on("plotly_click", function (event) {
        var url = drillUrl(event.points[0]);
        if (url && window.htmx) {
          htmx.ajax("GET", url, { target: "#drill", swap: "outerHTML" });
        }
      });
    });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-figure]")) {
      draw(scope);
    }
    scope.querySelectorAll("[data-figure]").forEach(draw);
  }

  // A date typed by hand means a custom range, whatever preset was chosen before.
  document.addEventListener(
    "change",
    function (event) {
      var target = event.target;
      if (target.form && target.form.id === "dashboard" && target.type === "date") {
        var period = target.form.querySelector("[name=period]");
        if (period) {
          period.value = "custom";
        }
      }
    },
    true
  );

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "drill") {
      var drill = document.getElementById("drill");
      if (drill && !drill.classList.contains("is-empty")) {
        drill.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    }
  });

  document.addEventListener("htmx:historyRestore", function () {
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      element.dataset.drawn = "";
    });
    drawAll(document);
  });

  if (window.htmx) {
    htmx.onLoad(drawAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
})();
