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
 *      lang: "<language code>", dir: "ltr" | "rtl",
 *      player: {embedJs, mainJs, frameJs, frameCss} | null,   current URLs of the player's files
 *      files: [{url: "<absolute URL>", blob: Blob}, ...]}      the files themselves (may be [])
 *   The origin of that message becomes the only origin anything is posted to afterwards:
 *   player -> lesson:
 *     {source: "passage-h5p", type: "xapi", statement: {...}}   every xAPI statement H5P emits
 *                                          (no `id`: the lesson adds one before storing it)
 *     {source: "passage-h5p", type: "state", state: "<JSON of getCurrentState()>"}
 *                                          after each statement, and on visibilitychange/pagehide
 *     {source: "passage-h5p", type: "resize", height: <CSS px>}   whenever the height changes
 *     {source: "passage-h5p", type: "error", message: "..."}      the activity failed to load
 *
 * "ready" and the first look at "init" are the embed page's inline bootstrap
 * (courses.views.player.EMBED_BOOTSTRAP): it starts this script from the `files` entry whose
 * url is `player.embedJs` (or from the network when there is none) and leaves the message in
 * window.passageH5PInit = {data, origin}.
 *
 * Why files come by message: Chromium gives an opaque-origin document a cache that lasts one
 * page and no service worker, so what the player fetched itself was downloaded again on every
 * visit and was missing offline. The lesson page is same-origin: its fetches use the HTTP cache
 * and the saved lesson ("Save for offline"). It fetches what courses.views.player.assets lists
 * and posts the Blobs (structured clone shares them, it does not copy). Here each becomes a
 * blob: URL (only this opaque document and its own about:blank frame can use it), and every way
 * H5P reaches a file is pointed at it:
 *   - h5p-standalone's lists of scripts and styles (H5PIntegration.core / contents[...]);
 *   - fetch() and XMLHttpRequest (h5p.json, content.json, library.json, library data);
 *   - the src/href of script, link, img, audio, video, source and track elements, set as a
 *     property or with setAttribute (library code that loads more files);
 *   - H5P.getPath (content images and media);
 *   - url(...) and @import in CSS, rewritten to the blob: URLs of the files referred to.
 * Anything not handed over is fetched from the network as before: a lesson whose files exceed
 * the lesson page's budget, or a URL built some other way.
 *
 * H5P always runs in this page ("div" embedding), also for packages made for "iframe"
 * embedding: this page is already their own document, and the frame H5P would write inside it
 * gets, in this sandbox, an opaque origin of its own that H5P core cannot reach.
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
  function shimStorage(w) {
    ["localStorage", "sessionStorage"].forEach(function (name) {
      try {
        void w[name];
      } catch (error) {
        try {
          Object.defineProperty(w, name, { value: memoryStorage(), configurable: true });
        } catch (ignored) {
          // Nothing more to do: H5P will report its own failure.
        }
      }
    });
  }
  shimStorage(window);
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

  // Files handed over by the lesson page ----------------------------------------------------
  var blobs = Object.create(null); // absolute URL (no #fragment) -> Blob
  var blobUrls = Object.create(null); // absolute URL (no #fragment) -> blob: URL
  var MAPPED_TAGS = { script: 1, link: 1, img: 1, audio: 1, video: 1, source: 1, track: 1 };
  var CSS_REFERENCE = /url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]+)\3/g;

  function absolute(url, base) {
    try {
      var parsed = new URL(url, base || window.location.href);
      parsed.hash = "";
      return parsed.href;
    } catch (error) {
      return null;
    }
  }

  /** The key under which `url` was handed over, or null. "x.gif?ver=1" finds "x.gif". */
  function find(url) {
    if (typeof url !== "string" || /^(blob|data):/i.test(url)) return null;
    var key = absolute(url);
    if (!key) return null;
    if (key in blobUrls) return key;
    var bare = key.split("?")[0];
    return bare in blobUrls ? bare : null;
  }

  /** The blob: URL of `url` when it was handed over, else `url` itself. */
  function resolve(url) {
    var key = find(url);
    return key ? blobUrls[key] : url;
  }

  function rewriteCss(text, base) {
    function target(reference) {
      if (!reference || /^(data|blob):/i.test(reference) || reference.charAt(0) === "#") return reference;
      var full = absolute(reference, base);
      return full ? resolve(full) : reference;
    }
    return text.replace(CSS_REFERENCE, function (match, quote, url, importQuote, imported) {
      if (imported !== undefined) return "@import \"" + target(imported) + "\"";
      return "url(\"" + target(url.trim()) + "\")";
    });
  }

  /** Make blob: URLs of the files; CSS last, with its references pointed at the others. */
  function receive(files) {
    var styles = [];
    (Array.isArray(files) ? files : []).forEach(function (file) {
      if (!file || typeof file.url !== "string" || !(file.blob instanceof Blob)) return;
      var key = absolute(file.url);
      if (!key || key in blobUrls) return;
      blobs[key] = file.blob;
      if (/\.css$/i.test(key.split("?")[0]) || /^text\/css/i.test(file.blob.type)) {
        styles.push(key);
        blobUrls[key] = key; // until rewritten: references between style sheets stay absolute
      } else {
        blobUrls[key] = URL.createObjectURL(file.blob);
      }
    });
    return Promise.all(styles.map(function (key) {
      return blobs[key].text().then(function (text) {
        var css = new Blob([rewriteCss(text, key)], { type: "text/css" });
        blobs[key] = css;
        blobUrls[key] = URL.createObjectURL(css);
      }, function () {
        delete blobUrls[key]; // unreadable: the network copy it is
        delete blobs[key];
      });
    }));
  }

  function wrapSetter(w, constructorName, property) {
    var type = w[constructorName];
    var descriptor = type && Object.getOwnPropertyDescriptor(type.prototype, property);
    if (!descriptor || !descriptor.set || !descriptor.configurable) return;
    Object.defineProperty(type.prototype, property, {
      configurable: true,
      enumerable: descriptor.enumerable,
      get: descriptor.get,
      set: function (value) { descriptor.set.call(this, resolve(String(value))); },
    });
  }

  /**
   * Point every way window `w` loads a file at the handed-over copies. Called for this page
   * before h5p-standalone starts, and again by installScript around H5P core (to wrap
   * H5P.getPath once core is there). installScript would also serve a frame that H5P writes
   * itself ("iframe" embedding), which this page no longer asks for. Safe to call again.
   */
  function install(w) {
    if (w !== window) {
      shimStorage(w);
      // What H5P core's own inline script in that frame would do (the CSP blocks it).
      w.H5PIntegration = window.H5PIntegration;
      w.H5P = w.H5P || {};
      w.H5P.externalEmbed = false;
    }
    if (w.H5P && typeof w.H5P.getPath === "function" && !w.H5P.getPath.passage) {
      var getPath = w.H5P.getPath;
      w.H5P.getPath = function () {
        var path = getPath.apply(this, arguments);
        return typeof path === "string" ? resolve(path) : path;
      };
      w.H5P.getPath.passage = true;
    }
    if (w.passageHooked) return;
    w.passageHooked = true;

    var nativeFetch = w.fetch;
    w.fetch = function (input, init) {
      var url = typeof input === "string" ? input : input && (input.href || input.url);
      var method = (init && init.method) || (input && typeof input === "object" && input.method) || "GET";
      var key = String(method).toUpperCase() === "GET" ? find(String(url)) : null;
      if (key && blobs[key]) {
        var blob = blobs[key];
        return Promise.resolve(new w.Response(blob, {
          status: 200,
          headers: { "Content-Type": blob.type || "application/octet-stream" },
        }));
      }
      return nativeFetch.apply(this, arguments);
    };

    var open = w.XMLHttpRequest.prototype.open;
    w.XMLHttpRequest.prototype.open = function (method, url) {
      var args = Array.prototype.slice.call(arguments);
      if (String(method).toUpperCase() === "GET" && url !== undefined) args[1] = resolve(String(url));
      return open.apply(this, args);
    };

    [
      ["HTMLScriptElement", "src"], ["HTMLImageElement", "src"], ["HTMLMediaElement", "src"],
      ["HTMLSourceElement", "src"], ["HTMLTrackElement", "src"], ["HTMLLinkElement", "href"],
    ].forEach(function (pair) { wrapSetter(w, pair[0], pair[1]); });

    var setAttribute = w.Element.prototype.setAttribute;
    w.Element.prototype.setAttribute = function (name, value) {
      var lower = String(name).toLowerCase();
      if ((lower === "src" || lower === "href") && MAPPED_TAGS[this.localName]) value = resolve(String(value));
      return setAttribute.call(this, name, value);
    };
  }
  window.passageH5PInstall = install;

  // The script that calls install() in whichever window runs H5P core (see install()).
  var installScript = URL.createObjectURL(new Blob(
    ["(window.passageH5PInstall || window.parent.passageH5PInstall)(window);"],
    { type: "text/javascript" }
  ));

  /** h5p-standalone's lists of files, pointed at the handed-over copies, with installScript
   * around H5P core (frame.bundle.js) so that "iframe" embedding gets the same treatment. */
  function mapIntegration(integration) {
    if (!integration) return;
    var map = function (list) { return Array.isArray(list) ? list.map(resolve) : list; };
    var core = integration.core || (integration.core = {});
    core.styles = map(core.styles);
    core.scripts = [installScript].concat(map(core.scripts) || [], [installScript]);
    Object.keys(integration.contents || {}).forEach(function (id) {
      var content = integration.contents[id];
      content.styles = map(content.styles);
      content.scripts = map(content.scripts);
    });
  }

  function loadScript(url) {
    return new Promise(function (resolveLoad, reject) {
      var script = document.createElement("script");
      script.onload = resolveLoad;
      script.onerror = function () { reject(new Error("could not load " + url)); };
      script.src = url; // resolved by install()
      document.head.appendChild(script);
    });
  }

  function start(init) {
    if (init.lang && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(init.lang)) {
      document.documentElement.lang = init.lang;
    }
    if (init.dir === "rtl" || init.dir === "ltr") document.documentElement.dir = init.dir;

    var player = init.player && typeof init.player === "object" ? init.player : {};
    var url = function (name) { return typeof player[name] === "string" ? player[name] : config[name]; };
    var options = {
      id: config.id,
      title: config.title,
      h5pJsonPath: config.h5pJsonPath,
      contentJsonPath: config.contentJsonPath,
      librariesPath: config.librariesPath,
      frameJs: url("frameJs"),
      frameCss: url("frameCss"),
      // Always "div": this page is already the activity's own document. H5P's "iframe"
      // embedding writes a frame of its own, which in this sandbox gets another opaque origin
      // that H5P core cannot reach (contentDocument is null): it would never start.
      embedType: "div",
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
    // What a package made for "iframe" embedding finds around it there.
    if (config.embedType === "iframe") document.documentElement.classList.add("h5p-iframe");
    install(window);
    receive(init.files)
      .then(function () { return window.H5PStandalone ? null : loadScript(url("mainJs")); })
      .then(function () {
        var standalone = window.H5PStandalone.H5P;
        var render = standalone.prototype.renderPlayerFrame;
        if (typeof render === "function" && !render.passage) {
          standalone.prototype.renderPlayerFrame = function (args) {
            mapIntegration(args && args.H5PIntegration);
            return render.apply(this, arguments);
          };
          standalone.prototype.renderPlayerFrame.passage = true;
        }
        root.querySelector("[data-loading]").hidden = true;
        return new standalone(root, options);
      })
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

  function accept(data, origin) {
    started = true;
    parentOrigin = origin;
    start(data);
  }

  if (window.passageH5PInit) {
    // Started by the embed page's bootstrap, which has said "ready" and taken "init".
    accept(window.passageH5PInit.data, window.passageH5PInit.origin);
  } else {
    // Loaded by a page without the bootstrap: the same checks here.
    window.addEventListener("message", function (event) {
      // Only the page that frames us may start the player, and only once.
      if (started || event.source !== window.parent) return;
      var data = event.data;
      if (!data || typeof data !== "object" || data.source !== "passage" || data.type !== "init") return;
      if (typeof event.origin !== "string" || event.origin === "null" || event.origin === "") return;
      accept(data, event.origin);
    });
    post({ type: "ready" }, "*");
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendState();
  });
  window.addEventListener("pagehide", sendState);
  if ("ResizeObserver" in window) new ResizeObserver(scheduleMeasure).observe(root);
  window.addEventListener("resize", scheduleMeasure);
})();
