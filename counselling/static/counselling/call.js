// Audio and video calls on the conversation page, signalled over the chat socket (chat.js).
//
// Each pair of people in a call has its own RTCPeerConnection (a mesh: two or three people),
// negotiated with the "perfect negotiation" pattern: both sides may make offers at any time
// (switching video, restarting ICE), the "polite" one (the larger user id) gives way when
// offers collide. The first offer of each pair comes from whoever joined the call last. Switching video off
// stops sending it and asks the others to stop sending theirs (the video transceivers become
// "inactive"), renegotiated without hanging up. Offers, answers and candidates go to one person
// through the server and are never stored there.
(function () {
  "use strict";
  var root = document.querySelector("[data-call]");
  var chat = window.passageChat;
  if (!root || !chat || !window.RTCPeerConnection || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) return;
  root.hidden = false;

  var d = root.dataset;
  var me = Number(d.me);
  var session = Number(d.appointment) || null;
  var sessionRole = d.sessionRole || "";
  var startAudioOnly = d.startAudioOnly === "1";
  var $ = function (selector) { return root.querySelector(selector); };
  var statusLine = $(".call-status");

  var call = null;     // the call this page is in: {ref, ice, policy, stream, video, peers}
  var ringing = null;  // an invite ringing here: {ref, from, name, media, appointment, timer}
  var running = null;  // a call under way that this page is not in (from "hello")
  var waitTimer = null;
  var names = {};

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }
  function fill(template, name) { return template.replace("{name}", name || ""); }
  function say(text) { statusLine.textContent = text || ""; }
  function show(selector, visible) { var el = $(selector); if (el) el.hidden = !visible; }

  function render() {
    // A client in the waiting room waits to be let in: no buttons to call meanwhile.
    show(".call-start", !call && !ringing && !running && sessionRole !== "client");
    show(".call-incoming", !!ringing && !call);
    show(".call-running", !!running && !call && !ringing);
    show(".call-active", !!call);
    show(".call-waiting", sessionRole === "client" && !call);
    if (running && !call) $(".call-join-text").textContent = d.tJoinRunning;
    if (call) {
      var mute = $(".call-mute");
      var audio = call.stream && call.stream.getAudioTracks()[0];
      var muted = !!(audio && !audio.enabled);
      mute.textContent = muted ? d.tUnmute : d.tMute;
      mute.setAttribute("aria-pressed", muted ? "true" : "false");
      $(".call-video").textContent = call.video ? d.tVideoOff : d.tVideoOn;
      var note = $(".call-note");
      note.hidden = call.video;
      note.textContent = d.tAudioOnlyNote;
      $(".call-self").hidden = !call.video;
    }
    // Audio only: no frozen last frame of anyone's video, only their names.
    root.classList.toggle("call--audio-only", !!call && !call.video);
  }

  // --- Media ------------------------------------------------------------------------------

  function getMedia(video) {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video })
      .catch(function () {
        if (video) return navigator.mediaDevices.getUserMedia({ audio: true, video: false });
        throw new Error("no media");
      });
  }

  function showSelf() {
    var self = $(".call-self");
    self.srcObject = call.stream;
    render();
  }

  // --- One connection per other person ------------------------------------------------------

  function Peer(userId) {
    var peer = this;
    var pc = new RTCPeerConnection({ iceServers: call.ice, iceTransportPolicy: call.policy });
    var polite = me > userId;
    var makingOffer = false;
    var ignoreOffer = false;
    var tile = document.createElement("li");
    tile.className = "call-peer";
    tile.setAttribute("data-user", userId);
    var media = document.createElement("video");
    media.autoplay = true;
    media.setAttribute("playsinline", "");
    var label = document.createElement("span");
    label.className = "call-peer-name";
    label.textContent = names[userId] || "";
    tile.appendChild(media);
    tile.appendChild(label);
    $(".call-peers").appendChild(tile);
    peer.pc = pc;
    peer.tile = tile;

    call.stream.getTracks().forEach(function (track) { pc.addTrack(track, call.stream); });
    if (!call.video) keepVideoOff(pc);

    pc.onnegotiationneeded = function () {
      makingOffer = true;
      pc.setLocalDescription().then(function () {
        signal("call." + pc.localDescription.type, userId, { description: plain(pc.localDescription) });
      }).catch(function () { /* a newer negotiation took over */ }).then(function () {
        makingOffer = false;
      });
    };
    pc.onicecandidate = function (event) {
      if (event.candidate) signal("call.candidate", userId, { candidate: event.candidate.toJSON() });
    };
    pc.ontrack = function (event) {
      media.srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = function () {
      tile.setAttribute("data-connection", pc.connectionState);
      if (pc.connectionState === "connected") say(d.tConnected);
      else if (pc.connectionState === "disconnected") say(d.tReconnecting);
      else if (pc.connectionState === "failed") { say(d.tReconnecting); pc.restartIce(); }
    };

    // Signalling for this pair is applied strictly in order: a candidate that arrives while
    // the offer before it is still being applied waits for it (otherwise it would be refused
    // for want of a remote description, and lost).
    var queue = Promise.resolve();
    peer.enqueue = function (task) {
      queue = queue.then(task).catch(function () { /* a stale offer or candidate */ });
      return queue;
    };
    peer.onDescription = function (description) {
      var collision = description.type === "offer" && (makingOffer || pc.signalingState !== "stable");
      ignoreOffer = !polite && collision;
      if (ignoreOffer) return Promise.resolve();
      return pc.setRemoteDescription(description).then(function () {
        if (description.type !== "offer") return;
        if (!call.video) keepVideoOff(pc);
        return pc.setLocalDescription().then(function () {
          signal("call.answer", userId, { description: plain(pc.localDescription) });
        });
      });
    };
    peer.onCandidate = function (candidate) {
      return pc.addIceCandidate(candidate).catch(function (error) { if (!ignoreOffer) throw error; });
    };
    peer.close = function () { pc.close(); tile.remove(); };
  }

  function plain(description) { return { type: description.type, sdp: description.sdp }; }

  // Audio only: send no video and ask for none (each video transceiver becomes inactive).
  function keepVideoOff(pc) {
    pc.getTransceivers().forEach(function (transceiver) {
      var kind = transceiver.receiver && transceiver.receiver.track && transceiver.receiver.track.kind;
      if (kind === "video" && transceiver.direction !== "inactive" && transceiver.direction !== "stopped") {
        transceiver.direction = "inactive";
        if (transceiver.sender.track) transceiver.sender.replaceTrack(null);
      }
    });
  }

  function peerFor(userId) {
    if (!call) return null;
    if (!call.peers[userId]) call.peers[userId] = new Peer(userId);
    return call.peers[userId];
  }

  function signal(type, to, fields) {
    var frame = { type: type, ref: call.ref, to: to };
    for (var key in fields) frame[key] = fields[key];
    chat.send(frame);
  }

  // --- Joining and leaving ----------------------------------------------------------------

  function begin(ref, video, frame) {
    // Media first (the browser asks for permission), then the server is told.
    return getMedia(video).then(function (stream) {
      call = { ref: ref, stream: stream, video: stream.getVideoTracks().length > 0, peers: {}, ice: [], policy: "all" };
      showSelf();
      say(frame.type === "call.invite" ? d.tCalling : d.tConnecting);
      chat.send(frame);
    }).catch(function () {
      say(d.tNoMedia);
      if (frame.type === "call.accept") chat.send({ type: "call.reject", ref: ref });
    });
  }

  function startCall(video) {
    var frame = { type: "call.invite", ref: newId(), media: video ? "video" : "audio" };
    if (session) frame.appointment = session;
    begin(frame.ref, video, frame).then(function () {
      if (!call) return;
      var ref = call.ref;
      call.ringTimer = setTimeout(function () {
        if (call && call.ref === ref && !Object.keys(call.peers).length) {
          chat.send({ type: "call.hangup", ref: ref, reason: "no_answer" });
          finish(d.tNoAnswer);
        }
      }, 45000);
    });
  }

  function answer(video) {
    var invite = ringing;
    if (!invite) return;
    clearTimeout(invite.timer);
    ringing = null;
    render();
    begin(invite.ref, video, { type: "call.accept", ref: invite.ref });
  }

  function finish(text) {
    if (call) {
      clearTimeout(call.ringTimer);
      Object.keys(call.peers).forEach(function (id) { call.peers[id].close(); });
      call.stream.getTracks().forEach(function (track) { track.stop(); });
      $(".call-self").srcObject = null;
    }
    call = null;
    running = null;
    say(text);
    render();
    if (sessionRole === "client") startWaiting();
  }

  function hangUp() {
    if (!call) return;
    chat.send({ type: "call.hangup", ref: call.ref, reason: "hangup" });
    finish(d.tEnded);
  }

  function setVideo(on) {
    if (!call) return;
    if (!on) {
      call.stream.getVideoTracks().forEach(function (track) { track.stop(); call.stream.removeTrack(track); });
      call.video = false;
      Object.keys(call.peers).forEach(function (id) { keepVideoOff(call.peers[id].pc); });
      chat.send({ type: "call.media", ref: call.ref, video: false });
      render();
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: true }).then(function (stream) {
      if (!call) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
      var track = stream.getVideoTracks()[0];
      call.stream.addTrack(track);
      call.video = true;
      Object.keys(call.peers).forEach(function (id) {
        var pc = call.peers[id].pc;
        var transceiver = pc.getTransceivers().filter(function (t) {
          return t.receiver.track && t.receiver.track.kind === "video" && t.direction !== "stopped";
        })[0];
        if (transceiver) {
          transceiver.direction = "sendrecv";
          transceiver.sender.replaceTrack(track);
        } else {
          pc.addTrack(track, call.stream);
        }
      });
      chat.send({ type: "call.media", ref: call.ref, video: true });
      showSelf();
    }).catch(function () { say(d.tNoMedia); });
  }

  // --- Waiting room -------------------------------------------------------------------------

  function startWaiting() {
    if (sessionRole !== "client" || waitTimer) return;
    var touch = function () { chat.send({ type: "call.wait", appointment: session }); };
    touch();
    waitTimer = setInterval(touch, 20000);
    render();
  }
  function stopWaiting() { clearInterval(waitTimer); waitTimer = null; }

  function showWaiting(appointment, waiting, name) {
    if (sessionRole !== "counsellor" || appointment !== session) return;
    var box = $(".call-admit");
    box.hidden = !waiting || !!call;
    $(".call-admit-text").textContent = fill(d.tWaitingOther, name);
  }

  // --- Frames from the server ---------------------------------------------------------------

  chat.on(function (frame) {
    switch (frame.type) {
      case "hello":
        if (frame.call && (!call || call.ref !== frame.call.ref)) {
          names[frame.call.from] = frame.call.from_name;
          if (!frame.call.answered && frame.call.from !== me && frame.call.attendees.indexOf(me) < 0) {
            ring(frame.call);
          } else if (frame.call.attendees.indexOf(me) < 0 || !call) {
            running = frame.call;
          }
        }
        if (session && sessionRole === "counsellor" && frame.waiting) {
          showWaiting(session, frame.waiting.indexOf(session) >= 0, d.otherName || "");
        }
        if (!call) startWaiting();
        render();
        break;
      case "call.invite":
        names[frame.from] = frame.from_name;
        if (call) break;
        if (sessionRole === "client" && frame.appointment === session) {
          // The client asked to join: being let in answers at once.
          ringing = { ref: frame.ref, from: frame.from, media: frame.media };
          stopWaiting();
          answer(frame.media === "video" && !startAudioOnly);
          break;
        }
        ring(frame);
        break;
      case "call.joined":
        if (!call || call.ref !== frame.ref) break;
        call.ice = frame.ice_servers;
        call.policy = frame.ice_transport_policy;
        stopWaiting();
        show(".call-admit", false);
        frame.attendees.forEach(function (id) { peerFor(id); });
        render();
        break;
      case "call.accept":
        names[frame.user] = frame.name;
        if (ringing && ringing.ref === frame.ref && frame.user === me) {
          clearTimeout(ringing.timer);  // answered on another device
          ringing = null;
          running = { ref: frame.ref };
        } else if (call && call.ref === frame.ref && frame.user !== me) {
          // Whoever joins makes the first offer to each person already in the call (from the
          // list in their "call.joined"); the others wait for it. Both offering at once would
          // work (perfect negotiation), but a collision at the very start can leave Chromium
          // gathering no candidates for its answer.
          clearTimeout(call.ringTimer);
          say(d.tConnecting);
          if (Object.keys(call.peers).length >= 1) say(fill(d.tInterpreterJoined, frame.name));
        }
        render();
        break;
      case "call.offer":
      case "call.answer":
        var peer = peerFor(frame.from);
        if (peer) peer.enqueue(function () { return peer.onDescription(frame.description); });
        break;
      case "call.candidate":
        var target = call && call.peers[frame.from];
        if (target) target.enqueue(function () { return target.onCandidate(frame.candidate); });
        break;
      case "call.left":
        if (call && call.ref === frame.ref && call.peers[frame.user]) {
          call.peers[frame.user].close();
          delete call.peers[frame.user];
          say(fill(d.tLeft, names[frame.user]));
        }
        break;
      case "call.reject":
        if (ringing && ringing.ref === frame.ref && frame.user === me) { clearTimeout(ringing.timer); ringing = null; render(); }
        break;
      case "call.ended":
        if (ringing && ringing.ref === frame.ref) { clearTimeout(ringing.timer); ringing = null; }
        if (running && running.ref === frame.ref) running = null;
        if (call && call.ref === frame.ref) {
          finish(frame.reason === "rejected" ? d.tDeclined : frame.reason === "no_answer" ? d.tNoAnswer : d.tEnded);
        }
        render();
        break;
      case "call.media":
        var sender = call && call.ref === frame.ref && call.peers[frame.user];
        if (sender) sender.tile.setAttribute("data-video", frame.video ? "on" : "off");
        break;
      case "call.waiting":
        showWaiting(frame.appointment, frame.waiting, d.otherName || "");
        break;
      case "error":
        if (frame.code === "call_busy" && call) {
          call.stream.getTracks().forEach(function (track) { track.stop(); });
          call = null;
          say(d.tBusy);
          render();
        } else if (frame.ref && (frame.code === "call_ended" || frame.code === "unknown_call")) {
          finish(d.tEnded);
        }
        break;
    }
  });

  function ring(invite) {
    ringing = { ref: invite.ref, from: invite.from, media: invite.media };
    $(".call-incoming-text").textContent = fill(
      invite.media === "video" ? d.tIncomingVideo : d.tIncomingAudio, invite.from_name
    );
    var seconds = invite.ring_seconds || 45;
    ringing.timer = setTimeout(function () { ringing = null; render(); }, seconds * 1000);
    render();
  }

  // --- Buttons ------------------------------------------------------------------------------

  $(".call-start-audio").addEventListener("click", function () { startCall(false); });
  $(".call-start-video").addEventListener("click", function () { startCall(true); });
  $(".call-answer-audio").addEventListener("click", function () { answer(false); });
  $(".call-answer-video").addEventListener("click", function () { answer(true); });
  $(".call-decline").addEventListener("click", function () {
    if (!ringing) return;
    chat.send({ type: "call.reject", ref: ringing.ref });
    clearTimeout(ringing.timer);
    ringing = null;
    render();
  });
  $(".call-join").addEventListener("click", function () {
    if (!running) return;
    var ref = running.ref;
    running = null;
    begin(ref, !startAudioOnly, { type: "call.accept", ref: ref });
  });
  $(".call-hangup").addEventListener("click", hangUp);
  $(".call-mute").addEventListener("click", function () {
    var audio = call && call.stream.getAudioTracks()[0];
    if (audio) audio.enabled = !audio.enabled;
    render();
  });
  $(".call-video").addEventListener("click", function () { setVideo(!call.video); });
  var admit = $(".call-admit-button");
  if (admit) {
    admit.addEventListener("click", function () {
      show(".call-admit", false);
      startCall(d.modality === "video");
    });
  }
  // For diagnosis (and the browser tests): the connections of the call on this page.
  window.passageCall = {
    connections: function () {
      return call ? Object.keys(call.peers).map(function (id) { return call.peers[id].pc; }) : [];
    },
  };
  window.addEventListener("pagehide", function () {
    if (call) chat.send({ type: "call.hangup", ref: call.ref, reason: "hangup" });
  });
  render();
})();
