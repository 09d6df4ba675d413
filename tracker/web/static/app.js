/* Live countdowns. The server renders every countdown complete (text and colour); this only keeps them
   moving. Times come as ISO 8601 with +08:00; the offset between the server's clock (meta yq-now) and
   this PC's clock is measured once, so a wrong PC clock does not move deadlines. */
(function () {
  "use strict";
  // Charts take space only where a script can draw them (see .js .chart in app.css).
  document.documentElement.classList.add("js");

  function humanize(seconds) {
    var overdue = seconds < 0;
    var totalMin = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(totalMin / 1440);
    var hours = Math.floor((totalMin % 1440) / 60);
    var minutes = totalMin % 60;
    var text;
    if (days) { text = hours ? days + "天" + hours + "小时" : days + "天"; }
    else if (hours) { text = minutes ? hours + "小时" + minutes + "分" : hours + "小时"; }
    else if (minutes) { text = minutes + "分钟"; }
    else { text = "不足1分钟"; }
    return overdue ? "已超时" + text : "剩余" + text;
  }

  var meta = document.querySelector('meta[name="yq-now"]');
  var serverNow = meta ? Date.parse(meta.getAttribute("content")) : NaN;
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function tick() {
    var now = Date.now() + skew;
    var nodes = document.querySelectorAll(".cd[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var warnAttr = el.getAttribute("data-warn");
      var warn = warnAttr ? Date.parse(warnAttr) : NaN;
      var left = (due - now) / 1000;
      var state = left < 0 || el.classList.contains("cd-breach") ? "breach" : (!isNaN(warn) && now >= warn ? "warn" : "ok");
      el.textContent = humanize(left);
      el.classList.remove("cd-ok", "cd-warn", "cd-breach");
      el.classList.add("cd-" + state);
      var row = el.closest("tr");
      if (row && /(^|\s)row-(ok|warn|breach)(\s|$)/.test(row.className)) {
        row.className = row.className.replace(/row-(ok|warn|breach)/, "row-" + state);
      }
    }
  }

  if (document.querySelector(".cd[data-due]")) {
    tick();
    window.setInterval(tick, 15000);
  }
})();
