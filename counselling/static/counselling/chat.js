// Live chat on the conversation page. Without this file (or without WebSockets) the page still
// works: the form posts, and a reload shows new messages.
//
// Every message gets its own id here (client_id) and waits in an outbox kept in localStorage
// until the server acknowledges it, so a message typed on a bad connection is sent when the
// connection returns, even after a reload, and never twice (the server ignores a known id).
// After every (re)connection the page asks for everything after the last message it has.
(function () {
  "use strict";
  var root = document.querySelector("[data-chat]");
  if (!root || !("WebSocket" in window) || !window.JSON) return;

  var d = root.dataset;
  var me = Number(d.user);
  var lastId = Number(d.lastId) || 0;
  // The page has every message up to syncedUpTo (the server said so, in order). Messages that
  // arrive live may overtake others still on their way, so they never move it; their ids are
  // kept in `liveIds` and named in the next sync, which then sends only what is really missing.
  var syncedUpTo = lastId;
  var liveIds = [];
  var readUpTo = Number(d.readUpTo) || 0;
  var deliveredUpTo = Number(d.deliveredUpTo) || 0;
  var log = root.querySelector(".chat-log");
  var statusLine = root.querySelector(".chat-status");
  var typingLine = root.querySelector(".chat-typing");
  var form = document.querySelector(".chat-form");
  var textarea = form && form.querySelector("textarea[name=body]");
  var outboxKey = "passage-outbox-" + d.conversation;
  var socket = null;
  var live = false;
  var stopped = false;
  var retry = 0;
  var pingTimer = null;
  var typingTimer = null;
  var typingSentAt = 0;
  var listeners = [];

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  function outbox() {
    try { return JSON.parse(localStorage.getItem(outboxKey) || "[]"); } catch (e) { return []; }
  }
  function saveOutbox(items) {
    try { localStorage.setItem(outboxKey, JSON.stringify(items)); } catch (e) { /* private mode */ }
  }
  function dropFromOutbox(clientId) {
    saveOutbox(outbox().filter(function (item) { return item.client_id !== clientId; }));
  }

  function stateOf(id) {
    if (id <= readUpTo) return d.tRead;
    if (id <= deliveredUpTo) return d.tDelivered;
    return d.tSent;
  }

  function bubble(message) {
    var item = document.createElement("li");
    item.className = "chat-message" + (message.sender === me ? " chat-message--mine" : "");
    item.setAttribute("data-client-id", message.client_id);
    var body = document.createElement("p");
    body.className = "chat-body";
    body.setAttribute("dir", "auto");
    body.textContent = message.body;  // never HTML
    var meta = document.createElement("small");
    meta.className = "chat-meta";
    var time = document.createElement("bdi");
    time.textContent = message.time || "";
    meta.appendChild(time);
    if (message.sender !== me && message.id) {
      meta.appendChild(document.createTextNode(" · "));
      var report = document.createElement("a");
      report.className = "chat-report";
      report.href = d.reportUrl.replace("/messages/0/", "/messages/" + message.id + "/");
      report.textContent = d.tReport;
      meta.appendChild(report);
    }
    if (message.sender === me) {
      meta.appendChild(document.createTextNode(" · "));
      var state = document.createElement("span");
      state.className = "chat-state";
      meta.appendChild(state);
    }
    item.appendChild(body);
    item.appendChild(meta);
    return item;
  }

  function setState(item, text) {
    var state = item.querySelector(".chat-state");
    if (state) state.textContent = text;
  }

  function place(message) {
    // Known already (shown by the server, or sent from here and now acknowledged)?
    var item = message.id && document.getElementById("m" + message.id);
    if (!item) item = log.querySelector('[data-client-id="' + message.client_id + '"]');
    if (!item) {
      item = bubble(message);
      log.appendChild(item);
      var empty = root.querySelector(".chat-empty");
      if (empty) empty.hidden = true;
      item.scrollIntoView({ block: "end" });
    }
    if (message.id) {
      item.id = "m" + message.id;
      item.setAttribute("data-id", message.id);
      if (message.sender === me) setState(item, stateOf(message.id));
      if (message.time) item.querySelector("bdi").textContent = message.time;
    }
    return item;
  }

  function refreshStates() {
    log.querySelectorAll(".chat-message--mine[data-id]").forEach(function (item) {
      setState(item, stateOf(Number(item.getAttribute("data-id"))));
    });
  }

  function send(frame) {
    if (live && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function seen(id) {
    if (!id) return;
    if (id > lastId) lastId = id;
    if (id > syncedUpTo && liveIds.indexOf(id) < 0) liveIds.push(id);
    if (liveIds.length >= 200) sync();  // keep the list short: confirm what has arrived
  }

  function sync() {
    send({ type: "sync", after: syncedUpTo, known: liveIds.slice(-500) });
  }

  function flushOutbox() {
    outbox().forEach(function (item) {
      send({ type: "message", client_id: item.client_id, body: item.body });
    });
  }

  function markRead() {
    if (document.visibilityState === "visible" && lastId) send({ type: "read", up_to: lastId });
  }

  function onFrame(frame) {
    listeners.forEach(function (listener) {
      try { listener(frame); } catch (e) { /* one listener's failure never stops the chat */ }
    });
    switch (frame.type) {
      case "hello":
      case "pong":
        statusLine.textContent = frame.online && frame.online.length ? d.tOnline : "";
        break;
      case "presence":
        statusLine.textContent = frame.online ? d.tOnline : "";
        break;
      case "message":
        place(frame);
        seen(frame.id);
        if (frame.sender !== me) {
          typingLine.hidden = true;
          send({ type: "delivered", up_to: frame.id });
          markRead();
        }
        break;
      case "ack":
        dropFromOutbox(frame.client_id);
        var item = log.querySelector('[data-client-id="' + frame.client_id + '"]');
        if (item) place({ id: frame.id, client_id: frame.client_id, sender: me, time: frame.time });
        seen(frame.id);
        break;
      case "synced":
        if (frame.last_id > syncedUpTo) syncedUpTo = frame.last_id;
        liveIds = liveIds.filter(function (id) { return id > syncedUpTo; });
        if (frame.more) sync();
        markRead();
        break;
      case "receipt":
        if (frame.kind === "read" && frame.up_to > readUpTo) readUpTo = frame.up_to;
        if (frame.up_to > deliveredUpTo) deliveredUpTo = frame.up_to;
        refreshStates();
        break;
      case "typing":
        typingLine.textContent = d.tTyping;
        typingLine.hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typingLine.hidden = true; }, 5000);
        break;
      case "error":
        if (frame.client_id && frame.code === "slow_down") {
          setTimeout(flushOutbox, 2000);  // still in the outbox: sent again in a moment
        } else if (frame.client_id) {
          // Refused for good (too long, empty): the text goes back into the box with the reason.
          var refused = outbox().filter(function (i) { return i.client_id === frame.client_id; })[0];
          dropFromOutbox(frame.client_id);
          var failed = log.querySelector('[data-client-id="' + frame.client_id + '"]');
          if (failed) failed.remove();
          if (refused && textarea && !textarea.value) textarea.value = refused.body;
        }
        statusLine.textContent = frame.message;
        break;
    }
  }

  function connect() {
    if (stopped) return;
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) return;  // one at a time
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + d.ws);
    socket.onopen = function () {
      live = true;
      retry = 0;
      sync();
      flushOutbox();
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, 25000);
    };
    socket.onmessage = function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* a frame we cannot read */ }
    };
    socket.onclose = function (event) {
      live = false;
      clearInterval(pingTimer);
      if (event.code === 4401 || event.code === 4403) {
        stopped = true;
        statusLine.textContent = d.tClosed;
        return;
      }
      // Back off: 1, 2, 4 ... 30 seconds; at once when the phone says it is online again.
      retry = Math.min(retry + 1, 5);
      // With jitter: after a server restart, pages do not all come back in the same instant.
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retry - 1)) * (0.5 + Math.random()));
    };
  }

  // Messages still waiting from an earlier visit are shown as waiting, and sent on connection.
  outbox().forEach(function (item) {
    setState(place({ client_id: item.client_id, body: item.body, sender: me }), d.tWaiting);
  });

  if (form && textarea) {
    form.addEventListener("submit", function (event) {
      var text = textarea.value.trim();
      if (!text || stopped) return;  // the form posts as usual; the server answers
      event.preventDefault();
      var item = { client_id: newId(), body: text };
      var items = outbox();
      items.push(item);
      saveOutbox(items);
      var shown = place({ client_id: item.client_id, body: text, sender: me });
      setState(shown, live ? d.tSending : d.tWaiting);
      send({ type: "message", client_id: item.client_id, body: text });
      textarea.value = "";
      textarea.focus();
    });
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - typingSentAt > 3000) { typingSentAt = now; send({ type: "typing" }); }
    });
  }

  // Calls (call.js) use the same socket: they send frames and hear every frame.
  window.passageChat = {
    me: me,
    send: send,
    on: function (listener) { listeners.push(listener); },
  };

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", function () { if (!live) { retry = 0; connect(); } });
  connect();
})();
