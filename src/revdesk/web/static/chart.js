// Draws the figure kept as JSON in <script type="application/json" id="chart-data">.
(function () {
  var holder = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!holder || !source || typeof Plotly === "undefined") { return; }
  var figure = JSON.parse(source.textContent);
  Plotly.newPlot(holder, figure.data, figure.layout, {displaylogo: false, responsive: true});
})();
