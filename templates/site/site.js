// pmops site: client-side search and filters over window.PMOPS_INDEX (search-index.js).
// No network, no eval, no HTML built from data: rows are shown or hidden, text set as text.
(function () {
  "use strict";
  var index = window.PMOPS_INDEX || [];
  var rows = Array.prototype.slice.call(document.querySelectorAll("#list tbody tr"));
  var query = document.getElementById("q");
  var severity = document.getElementById("severity");
  var service = document.getElementById("service");
  var year = document.getElementById("year");
  var count = document.getElementById("count");
  var empty = document.getElementById("empty");
  if (!query || rows.length !== index.length) {
    return;
  }

  function words(text) {
    // Split as the index was written (pmops.site.markdown.to_text strips these marks).
    return text.toLowerCase().split(/[\s*_`~|[\]]+/).filter(function (w) { return w.length > 0; });
  }

  function matches(entry, terms) {
    return (!severity.value || entry.v === severity.value) &&
      (!year.value || entry.y === year.value) &&
      (!service.value || entry.s.indexOf(service.value) >= 0) &&
      terms.every(function (term) { return entry.t.indexOf(term) >= 0; });
  }

  function apply() {
    var terms = words(query.value);
    var shown = 0;
    rows.forEach(function (row, i) {
      var visible = matches(index[i], terms);
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    count.textContent = shown + " of " + rows.length + " postmortems";
    empty.hidden = shown > 0;
  }

  [query, severity, service, year].forEach(function (control) {
    control.addEventListener("input", apply);
    control.addEventListener("change", apply);
  });
  apply();
})();
