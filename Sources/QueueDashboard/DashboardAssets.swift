import HTTPTypes
import Hummingbird

/// The dashboard's stylesheet and script, served by the binary itself (no CDN, no build step).
enum DashboardAssets {
    static func response(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "\(type); charset=utf-8", .cacheControl: "max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static let css = """
        :root { --fg: #1d232a; --muted: #5f6b76; --line: #dde3e8; --bg: #f6f8fa; --ok: #2f9e44; --bad: #d9480f; --run: #1c7ed6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; background: #20262d; color: #fff; }
        header nav a { color: #cfd8e0; margin-right: 1rem; text-decoration: none; }
        header nav a[aria-current] { color: #fff; border-bottom: 2px solid #fff; }
        header .live { margin-left: auto; font-size: 12px; color: #8ce99a; }
        header .live.stale { color: #ffa94d; }
        main { padding: 1rem 1.5rem 3rem; max-width: 1200px; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } h3 { font-size: 1rem; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem 1rem; margin-bottom: 1rem; }
        section.counts { display: grid; grid-template-columns: repeat(7, 1fr); gap: .5rem; padding: .75rem; }
        .count { display: flex; flex-direction: column; padding: .5rem .75rem; border-radius: 4px; background: var(--bg); color: inherit; text-decoration: none; }
        .count .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .count .value { font-size: 1.4rem; font-variant-numeric: tabular-nums; }
        .count.finished .value { color: var(--ok); } .count.errored .value, .count.killed .value { color: var(--bad); } .count.running .value { color: var(--run); }
        table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: 12px; }
        .id { font-family: ui-monospace, monospace; font-size: 12px; }
        .status { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: 12px; background: #e9ecef; }
        .status.finished { background: #d3f9d8; color: #2b8a3e; } .status.errored, .status.killed { background: #ffe8cc; color: #c2410c; }
        .status.running { background: #d0ebff; color: #1864ab; } .status.paused, .status.skipped { background: #f1f3f5; color: #495057; }
        pre { background: #f1f3f5; padding: .75rem; border-radius: 4px; overflow: auto; max-height: 30rem; }
        pre.error { background: #fff4e6; }
        .empty { color: var(--muted); } .error { color: #c2410c; }
        #endings-chart { width: 100%; height: 120px; background: #fbfcfd; border-bottom: 1px solid var(--line); }
        #endings-chart .finished, .swatch.finished { fill: var(--ok); background: var(--ok); }
        #endings-chart .errored, .swatch.errored { fill: var(--bad); background: var(--bad); }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
        .legend { color: var(--muted); font-size: 12px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { color: var(--muted); } dd { margin: 0; }
        form.filters { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
        .actions { display: flex; gap: .5rem; margin: 1rem 0; }
        .actions button { padding: .35rem .9rem; border-radius: 4px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
        .actions button[data-action=kill] { border-color: var(--bad); color: var(--bad); }
        nav.pages { display: flex; gap: 1rem; margin-top: 1rem; }
        """

    /// Listens to the page's events (`data-events` on `body`) and updates what shows the
    /// figures: counts (`data-count`), the chart, workers, and a job's status and times.
    static let javascript = """
        "use strict";
        (function () {
          var url = document.body.getAttribute("data-events");
          if (!url || !window.EventSource) { return; }
          var live = document.querySelector("[data-live]");
          var limit = 0;
          function text(selector, value) {
            document.querySelectorAll(selector).forEach(function (element) { element.textContent = value; });
          }
          function count(value) {
            var shown = value.toLocaleString("en-US");
            return limit && value >= limit ? shown + "+" : shown;
          }
          function drawChart(chart) {
            var svg = document.getElementById("endings-chart");
            if (!svg) { return; }
            var peak = 1, total = 0;
            chart.forEach(function (minute) { peak = Math.max(peak, minute[0] + minute[1]); total += minute[0] + minute[1]; });
            while (svg.firstChild) { svg.removeChild(svg.firstChild); }
            chart.forEach(function (minute, index) {
              var finished = Math.floor(minute[0] * 110 / peak), errored = Math.floor(minute[1] * 110 / peak);
              [["finished", finished, 120 - finished, minute[0]], ["errored", errored, 120 - finished - errored, minute[1]]].forEach(function (bar) {
                if (bar[1] <= 0) { return; }
                var rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
                rect.setAttribute("class", bar[0]);
                rect.setAttribute("x", index * 10); rect.setAttribute("y", bar[2]);
                rect.setAttribute("width", 8); rect.setAttribute("height", bar[1]);
                var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
                title.textContent = bar[3] + " " + bar[0];
                rect.appendChild(title);
                svg.appendChild(rect);
              });
            });
            svg.setAttribute("data-peak", peak);
            text("[data-endings-total]", total.toLocaleString("en-US"));
          }
          var source = new EventSource(url);
          source.addEventListener("figures", function (event) {
            var figures = JSON.parse(event.data);
            limit = figures.limit;
            Object.keys(figures.counts).forEach(function (status) { text('[data-count="' + status + '"]', count(figures.counts[status])); });
            drawChart(figures.chart);
            text("[data-workers]", figures.workers);
            if (figures.job) {
              document.querySelectorAll("[data-job-status]").forEach(function (element) {
                if (element.getAttribute("data-job-status") === figures.job.status) { return; }
                element.setAttribute("data-job-status", figures.job.status);
                var badge = document.createElement("span");
                badge.className = "status " + figures.job.status;
                badge.textContent = figures.job.status;
                element.replaceChildren(badge);
              });
              text("[data-job-started]", figures.job.started);
              text("[data-job-ended]", figures.job.ended);
              if (["finished", "errored", "killed", "skipped"].indexOf(figures.job.status) >= 0) {
                document.querySelectorAll('[data-action="kill"]').forEach(function (button) { button.closest("form").remove(); });
              }
            }
            if (live) { live.textContent = "live · " + new Date().toLocaleTimeString(); live.classList.remove("stale"); }
          });
          source.onerror = function () { if (live) { live.textContent = "reconnecting…"; live.classList.add("stale"); } };
        })();
        """
}
