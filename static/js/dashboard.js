/* Dashboard charts: draw every [data-figure] element from its JSON, on load and after each
   htmx swap; a click on a bar or funnel stage opens the facts behind it in #drill. */
(function () {
  "use strict";

  var me = document.currentScript;  // set only while this file first runs

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

  // One chart at a time, with a paint between two: on a slow phone the first chart shows
  // as soon as it is drawn instead of after all of them (issue 19, docs/benchmarks.md).
  var queue = [];

  function drawNext() {
    var element = queue.shift();
    while (element && !element.isConnected) {  // swapped out by htmx before its turn
      element = queue.shift();
    }
    if (!element) {
      return;
    }
    draw(element);
    if (queue.length) {
      requestAnimationFrame(function () { setTimeout(drawNext, 0); });
    }
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var idle = queue.length === 0;
    if (scope.matches && scope.matches("[data-figure]")) {
      queue.push(scope);
    }
    scope.querySelectorAll("[data-figure]").forEach(function (element) {
      queue.push(element);
    });
    if (idle) {
      drawNext();
    }
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

  // After a preset changed, show its dates in the (untouched) date inputs.
  function syncDates() {
    var panels = document.getElementById("panels");
    var form = document.getElementById("dashboard");
    if (!panels || !form || !panels.dataset.dateFrom) {
      return;
    }
    var period = form.querySelector("[name=period]");
    if (period && period.value !== "custom") {
      form.querySelector("[name=date_from]").value = panels.dataset.dateFrom;
      form.querySelector("[name=date_to]").value = panels.dataset.dateTo;
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    syncDates();
    var target = event.detail.target;
    if (target && target.id === "drill") {
      var drill = document.getElementById("drill");
      if (drill && !drill.classList.contains("is-empty")) {
        drill.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    }
  });

  // The back button restores a snapshot of the HTML, where a select shows the option it was
  // rendered with, not the one picked since: put the URL's filters back into the inputs.
  function syncFiltersFromUrl() {
    var form = document.getElementById("dashboard");
    if (!form) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.type === "submit") {
        return;
      }
      if (params.has(input.name)) {
        input.value = params.get(input.name);
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.options, function (option) {
          option.selected = option.defaultSelected;
        });
      } else {
        input.value = input.defaultValue;
      }
    });
  }

  document.addEventListener("htmx:historyRestore", function () {
    syncFiltersFromUrl();
    // A snapshot taken while a panel below the fold was loading holds its placeholder marked
    // as already revealed: unmark it, and have htmx look again at what is in view.
    document.querySelectorAll(".lazy-panel[data-hx-revealed]").forEach(function (element) {
      element.removeAttribute("data-hx-revealed");
    });
    window.dispatchEvent(new Event("scroll"));
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      element.dataset.drawn = "";
    });
    drawAll(document);
  });

  // htmx is loaded with `defer`, after this file: listen to its events on the document.
  document.addEventListener("htmx:load", function (event) {
    drawAll(event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // plotly.js (preloaded by the page's head) runs only after the first paint: its second of
  // script on a slow phone would otherwise hold back the page and the funnels' still previews
  // (docs/benchmarks.md, "First load of the dashboard"). Then every chart is drawn.
  var plotlyUrl = me && me.dataset.plotly;
  if (plotlyUrl && typeof Plotly === "undefined") {
    var addPlotly = function () {
      requestAnimationFrame(function () {
        setTimeout(function () {
          var script = document.createElement("script");
          script.src = plotlyUrl;
          script.nonce = me.nonce;
          script.addEventListener("load", function () { drawAll(document); });
          document.head.appendChild(script);
        }, 0);
      });
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", addPlotly);
    } else {
      addPlotly();
    }
  }
})();
