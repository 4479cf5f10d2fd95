// The review page's running total: the points of the levels chosen so far against the pass
// mark, updated as the tutor chooses. Without JavaScript the server shows it after saving.
(function () {
  "use strict";
  var total = document.getElementById("rubric-total");
  if (!total) return;
  var form = total.closest("form");
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset"))
    .filter(function (set) { return set.querySelector("input[data-points]"); });
  var threshold = Number(total.dataset.threshold);

  function update() {
    var points = 0, chosen = 0;
    groups.forEach(function (set) {
      var checked = set.querySelector("input[data-points]:checked");
      if (checked) { points += Number(checked.dataset.points); chosen += 1; }
    });
    if (chosen === 0) return;
    var verdict = points >= threshold ? total.dataset.pass : total.dataset.below;
    total.textContent = total.dataset.template
      .replace("{points}", String(points))
      .replace("{verdict}", verdict)
      + (chosen < groups.length ? " (" + chosen + "/" + groups.length + ")" : "");
  }

  form.addEventListener("change", update);
  update();
})();
