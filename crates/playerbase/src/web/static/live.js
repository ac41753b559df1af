// Keeps a profile current while awards come in: on an award for this
// player, the page is fetched again and its #live part swapped in, so the
// server draws everything (chart included) and this stays a few lines.
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var playerId = Number(live.dataset.playerId);
  var pending = false;
  function refresh() {
    pending = false;
    fetch(location.href, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh) return;
        document.getElementById("live").replaceWith(fresh);
        fresh.classList.add("flash");
      })
      .catch(function () {});
  }
  var events = new EventSource("/api/v1/events");
  events.addEventListener("award", function (e) {
    var award = JSON.parse(e.data);
    // At most one reload a second, however many awards arrive at once.
    if (award.player_id === playerId && !pending) {
      pending = true;
      setTimeout(refresh, 1000);
    }
  });
  var note = document.querySelector(".live-note");
  if (note) note.hidden = false;
})();
