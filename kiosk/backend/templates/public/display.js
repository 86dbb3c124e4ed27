(function () {
  "use strict";
  var body = document.body;
  var board = document.getElementById("board");
  var banner = document.getElementById("reconnecting");
  var clock = document.getElementById("clock");
  var sound = document.getElementById("sound");
  var offset = 0;  // the server's clock minus this TV's: the hall sees the centre's time
  var announced = Number(body.dataset.lastCall) || 0;  // calls made before the page opened are not read out
  var waiting = [];
  var playing = false;
  window.announcements = [];  // each call's audio, once fetched: what the tests look at

  function tick() {
    clock.textContent = new Date(Date.now() + offset).toLocaleTimeString("vi-VN",
      {hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh"});
  }

  function done() {
    playing = false;
    announce();
  }

  // One call after the other, each its chime and sentence; a TV that refuses to play sound
  // before a touch (a browser's autoplay rule) shows a button to allow it.
  function announce() {
    if (playing || !waiting.length) return;
    playing = true;
    var event = waiting.shift();
    fetch(body.dataset.audio + event)
      .then(function (answer) {
        if (!answer.ok) throw new Error("audio " + answer.status);
        return answer.blob();
      })
      .then(function (blob) {
        window.announcements.push(event);
        var audio = new Audio(URL.createObjectURL(blob));
        audio.onended = audio.onerror = function () { URL.revokeObjectURL(audio.src); done(); };
        return audio.play().catch(function () {
          sound.hidden = false;
          URL.revokeObjectURL(audio.src);
          done();
        });
      })
      .catch(done);
  }

  sound.addEventListener("click", function () { sound.hidden = true; });

  function show(message) {
    var data = JSON.parse(message.data);
    offset = Date.parse(data.now) - Date.now();
    board.innerHTML = data.html;
    body.dataset.event = message.lastEventId;
    tick();
    data.calls.slice().reverse().forEach(function (call) {
      if (call.event > announced) {
        announced = call.event;
        waiting.push(call.event);
      }
    });
    announce();
  }

  function connect() {
    var source = new EventSource(body.dataset.events);
    source.onopen = function () {
      banner.hidden = true;
      body.dataset.live = "yes";  // following the queue (what the tests wait for)
    };
    source.onmessage = show;
    source.onerror = function () {
      banner.hidden = false;
      body.dataset.live = "no";
      // A network error: EventSource tries again by itself. An answer that was not a stream
      // (a proxy's error page while the backend restarts) closes it for good: start again.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  setInterval(tick, 1000);
  connect();
})();
