// The overlays' live part. Leaderboard: redrawn (at most once a second)
// when an award for its stat comes in, and each minute, for what no award
// announces (a new stream's empty board, a player deleted). Awards: each award added to the
// ticker, the oldest dropped past `limit`, each fading after `seconds`.
(function () {
  var body = document.body;
  var events = new EventSource("/api/v1/events");
  if (body.dataset.overlay === "leaderboard") {
    var pending = false;
    var redraw = function () {
      fetch(location.href).then(function (r) { return r.text(); }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (fresh) document.getElementById("board").replaceWith(fresh);
      }).catch(function () {});
    };
    events.addEventListener("award", function (e) {
      if (JSON.parse(e.data).stat !== body.dataset.stat || pending) return;
      pending = true;
      setTimeout(function () {
        pending = false;
        redraw();
      }, 1000);
    });
    setInterval(redraw, 60000);
    return;
  }
  var ticker = document.getElementById("ticker");
  var limit = Number(body.dataset.limit) || 5;
  var seconds = Number(body.dataset.seconds);
  var labels = {};
  var adds = {};
  document.querySelectorAll("#stat-labels li").forEach(function (li) {
    labels[li.dataset.key] = li.textContent;
    adds[li.dataset.key] = li.hasAttribute("data-adds");
  });
  // An integer field as sent: JSON.parse rounds those past 2^53. Keys and
  // usernames are letters, digits and _, so the pattern meets only the field.
  function whole(data, field) {
    var found = data.match(new RegExp('"' + field + '":(-?\\d+)'));
    return found ? BigInt(found[1]) : BigInt(0);
  }
  events.addEventListener("award", function (e) {
    var award = JSON.parse(e.data);
    var item = document.createElement("li");
    var label = labels[award.stat] || award.stat;
    // What was gained, for an `add` stat; for max, min and set an award's
    // amount is not a gain, so where the stat now stands.
    if (adds[award.stat]) {
      var amount = whole(e.data, "amount");
      var sign = amount >= BigInt(0) ? "+" : "";
      item.textContent = award.username + " " + sign + amount.toLocaleString("en") + " " + label;
    } else {
      item.textContent = award.username + " " + label + " " + whole(e.data, "value").toLocaleString("en");
    }
    ticker.prepend(item);
    while (ticker.children.length > limit) ticker.lastElementChild.remove();
    if (seconds > 0) {
      setTimeout(function () { item.classList.add("gone"); }, seconds * 1000);
      setTimeout(function () { item.remove(); }, seconds * 1000 + 1000);
    }
  });
})();
