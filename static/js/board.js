/* Wallboard: show one panel at a time, the next every data-rotate seconds (the tabs pick
   one, Pause stops the rotation); draw each panel's charts when it is shown; keep the panel
   shown when the minute's poll (htmx, every 60s) swaps the numbers in. On the links page,
   the copy button copies the new board's address. */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false, staticPlot: true };
  var current = 0;
  var timer = null;
  var paused = false;

  function board() {
    return document.getElementById("board");
  }

  function panels() {
    return Array.prototype.slice.call(document.querySelectorAll("#board-live [data-panel]"));
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || typeof Plotly === "undefined") {
      return;
    }
    if (element.dataset.drawn === "1") {
      Plotly.Plots.resize(element);
      return;
    }
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    // Read from across the room: larger type than on the dashboard.
    layout.font = Object.assign({}, layout.font, { size: 16 });
    var scale = parseFloat(element.dataset.scale || "1");
    if (layout.height && scale > 1) {
      layout.height = Math.round(layout.height * scale);
    }
    element.dataset.drawn = "1";
    element.innerHTML = "";
    Plotly.newPlot(element, figure.data, layout, CONFIG);
  }

  function show(index) {
    var list = panels();
    if (!list.length) {
      return;
    }
    current = ((index % list.length) + list.length) % list.length;
    var key = list[current].dataset.panel;
    list.forEach(function (panel, i) {
      panel.hidden = i !== current;
    });
    document.querySelectorAll(".board-tab").forEach(function (tab) {
      tab.setAttribute("aria-pressed", tab.dataset.show === key ? "true" : "false");
    });
    board().dataset.current = key;
    list[current].querySelectorAll("[data-figure]").forEach(draw);
  }

  function restart() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
    var seconds = parseInt(board().dataset.rotate, 10);
    if (!paused && seconds > 0) {
      timer = window.setInterval(function () {
        show(current + 1);
      }, seconds * 1000);
    }
  }

  function startBoard() {
    var root = board();
    if (!root) {
      return;
    }
    root.addEventListener("click", function (event) {
      var tab = event.target.closest("[data-show]");
      if (tab) {
        var keys = panels().map(function (panel) { return panel.dataset.panel; });
        show(keys.indexOf(tab.dataset.show));
        restart();
        return;
      }
      var pause = event.target.closest("#board-pause");
      if (pause) {
        paused = !paused;
        pause.setAttribute("aria-pressed", paused ? "true" : "false");
        pause.textContent = paused ? pause.dataset.play : pause.dataset.pause;
        restart();
      }
    });
    // The poll swapped the numbers in: the same panel stays on screen.
    document.addEventListener("htmx:load", function (event) {
      if (event.detail.elt && event.detail.elt.id === "board-live") {
        show(current);
      }
    });
    // A revoked link answers 404: say so instead of showing numbers that no longer update.
    document.addEventListener("htmx:responseError", function (event) {
      if (event.detail.xhr && event.detail.xhr.status === 404) {
        var live = document.getElementById("board-live");
        if (live) {
          live.remove();
        }
        document.getElementById("board-gone").hidden = false;
        paused = true;
        restart();
      }
    });
    show(0);
    restart();
  }

  function startCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        field.select();
        var done = function () {
          button.textContent = button.dataset.copied;
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            document.execCommand("copy");
            done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function start() {
    startBoard();
    startCopy();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
