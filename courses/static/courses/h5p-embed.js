/*
 * The H5P player's side of the lesson page <-> player conversation.
 *
 * This script runs in the embed page (courses/player/embed.html), which is sandboxed: the lesson
 * frames it with <iframe sandbox="allow-scripts"> and the page's own CSP says
 * `sandbox allow-scripts`. Its origin is opaque, so H5P's JavaScript holds no cookies and cannot
 * call the API with the learner's session. Everything the lesson needs goes by postMessage:
 *
 *   player -> lesson, once loaded (carries nothing, so it may go to any origin):
 *     {source: "passage-h5p", type: "ready"}                                  targetOrigin "*"
 *   lesson -> player, to start it (accepted once, only from window.parent):
 *     {source: "passage", type: "init", state: "<saved state>" | null,
 *      lang: "<language code>", dir: "ltr" | "rtl"}
 *   The origin of that message becomes the only origin anything is posted to afterwards:
 *   player -> lesson:
 *     {source: "passage-h5p", type: "xapi", statement: {...}}   every xAPI statement H5P emits
 *                                          (no `id`: the lesson adds one before storing it)
 *     {source: "passage-h5p", type: "state", state: "<JSON of getCurrentState()>"}
 *                                          after each statement, and on visibilitychange/pagehide
 *     {source: "passage-h5p", type: "resize", height: <CSS px>}   whenever the height changes
 *     {source: "passage-h5p", type: "error", message: "..."}      the activity failed to load
 *
 * H5P core also posts its own resizer messages ({context: "h5p", ...}) to the parent; the
 * lesson ignores anything whose `source` is not "passage-h5p".
 *
 * Saved state is handed to H5P as preloaded user data (contentUserData) with a `saveFreq`, and
 * without `user` or `ajax` settings: H5P then gives the state to the content type as
 * `previousState` and never tries to load or save it over the network (it could not: it has no
 * session). The lesson page stores what this script posts.
 */
(function () {
  "use strict";

  var SOURCE = "passage-h5p";

  // An opaque origin has no storage: reading localStorage throws, and H5P core reads it while
  // starting (clipboard, anonymous xAPI actor) and would stop half-way. Give it a memory-only
  // stand-in; nothing of it outlives the page, which is what the sandbox is for.
  function memoryStorage() {
    var data = Object.create(null);
    var storage = {};
    Object.defineProperties(storage, {
      getItem: { value: function (key) { return key in data ? data[key] : null; } },
      setItem: { value: function (key, value) { data[key] = String(value); } },
      removeItem: { value: function (key) { delete data[key]; } },
      clear: { value: function () { data = Object.create(null); } },
      key: { value: function (i) { return Object.keys(data)[i] || null; } },
      length: { get: function () { return Object.keys(data).length; } },
    });
    return storage;
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try {
      void window[name];
    } catch (error) {
      try {
        Object.defineProperty(window, name, { value: memoryStorage(), configurable: true });
      } catch (ignored) {
        // Nothing more to do: H5P will report its own failure.
      }
    }
  });
  var config = JSON.parse(document.getElementById("h5p-config").textContent);
  var root = document.getElementById("h5p-player");
  var parentOrigin = null;
  var started = false;
  var lastHeight = 0;
  var lastState = null;

  function post(message, origin) {
    message.source = SOURCE;
    if (window.parent !== window) window.parent.postMessage(message, origin || parentOrigin);
  }

  /** The window H5P runs in: this page ("div" embedding) or H5P's own inner iframe. */
  function h5pWindow() {
    if (config.embedType === "iframe") {
      var frame = root.querySelector("iframe.h5p-iframe");
      if (frame && frame.contentWindow && frame.contentWindow.H5P) return frame.contentWindow;
    }
    return window;
  }

  function instance() {
    var H5P = h5pWindow().H5P;
    return H5P && H5P.instances && H5P.instances[0];
  }

  function sendState() {
    var current = instance();
    if (!parentOrigin || !current || typeof current.getCurrentState !== "function") return;
    var state;
    try {
      state = current.getCurrentState();
    } catch (error) {
      return;
    }
    if (state === undefined) return;
    var text = JSON.stringify(state);
    if (text === lastState) return;
    lastState = text;
    post({ type: "state", state: text });
  }

  function measure() {
    if (!parentOrigin) return;
    var height = Math.ceil(root.getBoundingClientRect().bottom + window.scrollY);
    if (height > 0 && height !== lastHeight) {
      lastHeight = height;
      post({ type: "resize", height: height });
    }
  }

  var pending = false;
  function scheduleMeasure() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      measure();
    });
  }

  function failed(error) {
    root.removeAttribute("aria-busy");
    root.querySelector("[data-loading]").hidden = true;
    root.querySelector("[data-failed]").hidden = false;
    post({ type: "error", message: String((error && error.message) || error) });
    scheduleMeasure();
  }

  function start(init) {
    if (init.lang && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(init.lang)) {
      document.documentElement.lang = init.lang;
    }
    if (init.dir === "rtl" || init.dir === "ltr") document.documentElement.dir = init.dir;

    var options = {
      id: config.id,
      title: config.title,
      h5pJsonPath: config.h5pJsonPath,
      contentJsonPath: config.contentJsonPath,
      librariesPath: config.librariesPath,
      frameJs: config.frameJs,
      frameCss: config.frameCss,
      embedType: config.embedType,
      frame: false,
      copyright: false,
      export: false,
      embed: false,
      icon: false,
      fullScreen: false,
      // The statement's object: this page's address, the same for every learner.
      xAPIObjectIRI: window.location.href.split(/[?#]/)[0],
      // Needed for H5P to pass preloaded state on as previousState; it saves only into
      // H5PIntegration in memory, since neither `user` nor `ajax` is set.
      saveFreq: 3600,
      // The player is cross-origin to everything (opaque origin): no credentials to send.
      assetsRequestFetchOptions: { credentials: "omit" },
    };
    if (typeof init.state === "string" && init.state !== "") {
      options.contentUserData = [{ state: init.state }];
    }
    root.querySelector("[data-loading]").hidden = true;

    new window.H5PStandalone.H5P(root, options)
      .then(function () {
        root.removeAttribute("aria-busy");
        var H5P = h5pWindow().H5P;
        H5P.externalDispatcher.on("xAPI", function (event) {
          var statement = JSON.parse(JSON.stringify(event.data.statement));
          post({ type: "xapi", statement: statement });
          sendState();
          scheduleMeasure();
        });
        scheduleMeasure();
      })
      .catch(failed);
  }

  window.addEventListener("message", function (event) {
    // Only the page that frames us may start the player, and only once.
    if (started || event.source !== window.parent) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.source !== "passage" || data.type !== "init") return;
    if (typeof event.origin !== "string" || event.origin === "null" || event.origin === "") return;
    started = true;
    parentOrigin = event.origin;
    start(data);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendState();
  });
  window.addEventListener("pagehide", sendState);
  if ("ResizeObserver" in window) new ResizeObserver(scheduleMeasure).observe(root);
  window.addEventListener("resize", scheduleMeasure);

  post({ type: "ready" }, "*");
})();
