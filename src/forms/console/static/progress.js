// Progressive enhancement of a job page: a live progress bar (without JavaScript the page refreshes itself).
(function () {
  "use strict";
  var box = document.querySelector(".progress[data-job]");
  if (!box || !window.fetch) { return; }
  var url = "/jobs/" + box.getAttribute("data-job") + ".json";
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        document.getElementById("job-progress").value = job.percent;
        document.getElementById("job-count").textContent = job.done + " / " + job.total + " 件";
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
