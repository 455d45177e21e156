// The lesson page: reports progress and relays the H5P player.
//
// Every report goes through window.passageRecords (records.js): it is written to IndexedDB
// first and sent when the connection allows, each with an id chosen here, so that a report
// sent twice counts once on the server.
//
// - Text: "read to the end" when the end of the lesson scrolls into view; the place in the text
//   when the page is hidden.
// - Video: the parts actually played (video.played, which seeking does not fill), the length and
//   the place, every 15 s while playing and on pause, end and hide. The server counts distinct
//   seconds.
// - H5P: the player runs in <iframe sandbox="allow-scripts"> (an opaque origin, no session).
//   Protocol, from courses/static/courses/h5p-embed.js:
//     iframe → page  {source: "passage-h5p", type: "ready"}   (from the embed page's bootstrap)
//     page → iframe  {source: "passage", type: "init", state, lang, dir, player, files}
//       player: {embedJs, mainJs, frameJs, frameCss}, the player's current URLs;
//       files: [{url (absolute), blob}], the player's files, fetched here
//     iframe → page  {source: "passage-h5p", type: "xapi", statement}
//     iframe → page  {source: "passage-h5p", type: "state", state}
//     iframe → page  {source: "passage-h5p", type: "resize", height}
//     iframe → page  {source: "passage-h5p", type: "error", message}   (the iframe says so itself)
//   The page gives each statement an id and the lesson, then sends it to /api/xapi/statements.
//   Why this page fetches the player's files: an opaque-origin document gets a cache that lasts
//   one page and no service worker, so the player's own requests cost data on every visit and
//   fail offline. This page's requests use the HTTP cache (the files are immutable) and the
//   saved lesson. The list is the iframe's data-h5p-assets (courses.views.player.assets); Blobs
//   are shared with the iframe, not copied. Only the files of that list are ever fetched: the
//   iframe cannot make this page request anything. Past FILES_BUDGET the rest is left to the
//   player's own requests.
(() => {
  "use strict";
  const root = document.querySelector("[data-lesson-root]");
  const configNode = document.getElementById("lesson-config");
  if (!root || !configNode) return;
  const config = JSON.parse(configNode.textContent);
  let complete = Boolean(config.complete);

  // Every report goes through the outbox (records.js, loaded first by the page), which also
  // chooses the ids of reports and statements and keys its queue by them.
  const records = window.passageRecords;
  const uuid = () => records.newId();

  function send(url, method, body, key) {
    return records.send(url, { method, body, key });
  }

  // Progress bars: the lesson's own line, then this part and the course by one lesson.
  function showComplete(score) {
    const status = root.querySelector("[data-lesson-status]");
    if (status) {
      const strong = document.createElement("strong");
      strong.textContent = root.dataset.doneText;
      status.replaceChildren(strong);
      if (score !== null && score !== undefined) status.append(" · " + score + "%");
    }
    if (complete) return;
    complete = true;
    for (const id of ["bar-module", "bar-course"]) {
      const row = document.getElementById(id);
      if (!row) continue;
      const done = Math.min(Number(row.dataset.done) + 1, Number(row.dataset.total));
      row.dataset.done = String(done);
      const bar = row.querySelector("progress");
      if (bar) bar.value = done;
      const count = row.querySelector("[data-count]");
      if (count) {
        count.textContent = root.dataset.countText.replace("%(done)s", done).replace("%(total)s", row.dataset.total);
      }
    }
  }

  function report(data) {
    const event_id = uuid();
    return send(config.progressUrl, "POST", { event_id, ...data }, "progress-" + event_id).then((result) => {
      if (result && result.sent && result.response && result.response.complete) showComplete(result.response.best_score);
      return result;
    });
  }

  // Text ----------------------------------------------------------------------------------
  function textLesson() {
    const end = root.querySelector("[data-lesson-end]");
    const body = root.querySelector("[data-lesson-body]");
    if (config.resumeAt > 0 && config.resumeAt < 1 && !complete && body) {
      const top = body.getBoundingClientRect().top + window.scrollY;
      window.scrollTo(0, top + body.scrollHeight * config.resumeAt - 80);
    }
    let reported = complete;
    if (end && "IntersectionObserver" in window) {
      const seen = new IntersectionObserver((entries) => {
        if (reported || !entries.some((e) => e.isIntersecting)) return;
        reported = true;
        seen.disconnect();
        // Offline, completion is certain (the rule is "read to the end"): show it now.
        report({ read_to_end: true, position: 1 }).then((result) => { if (result.queued) showComplete(null); });
      });
      seen.observe(end);
    }
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "hidden" || reported || !body) return;
      const top = body.getBoundingClientRect().top + window.scrollY;
      const share = (window.scrollY + window.innerHeight / 2 - top) / Math.max(body.scrollHeight, 1);
      report({ position: Math.max(0, Math.min(1, Math.round(share * 100) / 100)) });
    });
  }

  // Video ---------------------------------------------------------------------------------
  function videoLesson() {
    const video = root.querySelector("[data-lesson-video]");
    if (!video) return;
    let sentUpTo = "";
    video.addEventListener("loadedmetadata", () => {
      if (config.resumeAt > 0 && config.resumeAt < video.duration - 5) video.currentTime = config.resumeAt;
    }, { once: true });
    function flush() {
      if (!Number.isFinite(video.duration) || video.duration <= 0) return;
      const watched = [];
      for (let i = 0; i < video.played.length; i++) watched.push([video.played.start(i), video.played.end(i)]);
      const signature = JSON.stringify(watched.map((w) => w.map(Math.floor)));
      if (!watched.length || signature === sentUpTo) return;
      sentUpTo = signature;
      report({ duration: Math.ceil(video.duration), watched, position: Math.floor(video.currentTime) });
    }
    let timer = null;
    video.addEventListener("play", () => { timer = timer || setInterval(flush, 15000); });
    for (const name of ["pause", "ended", "seeking"]) video.addEventListener(name, flush);
    video.addEventListener("pause", () => { clearInterval(timer); timer = null; });
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  }

  // H5P -----------------------------------------------------------------------------------
  const FILES_BUDGET = 20 * 1000 * 1000;
  const FILES_PARALLEL = 6;

  /** {player, files} for "init": every listed file that fits the budget and could be fetched. */
  function playerFiles(listUrl) {
    if (!listUrl) return Promise.resolve({ player: null, files: [] });
    return fetch(listUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((list) => {
        let total = 0;
        const wanted = (Array.isArray(list.files) ? list.files : []).filter((file) => {
          const size = Number(file && file.size) || 0;
          if (!file || typeof file.url !== "string" || total + size > FILES_BUDGET) return false;
          total += size;
          return true;
        });
        const files = [];
        let next = 0;
        const worker = () => {
          if (next >= wanted.length) return Promise.resolve();
          const file = wanted[next++];
          const url = new URL(file.url, window.location.href);
          if (url.origin !== window.location.origin) return worker();
          return fetch(url.href, { credentials: "same-origin" })
            .then((response) => (response.ok ? response.blob() : null))
            .then((blob) => { if (blob) files.push({ url: url.href, blob }); }, () => {})
            .then(worker);
        };
        return Promise.all(Array.from({ length: FILES_PARALLEL }, worker))
          .then(() => ({ player: list.player || null, files }));
      })
      .catch(() => ({ player: null, files: [] }));
  }

  function h5pLesson() {
    const frame = root.querySelector("[data-h5p-frame]");
    if (!frame) return;
    const countable = /\/verbs\/(completed|answered|passed|failed)$/;
    // Fetched at once, while the iframe loads; handed over on every "ready" (Blobs can be
    // posted again if the player reloads).
    const handOver = playerFiles(frame.dataset.h5pAssets);
    window.addEventListener("message", (event) => {
      // Only our iframe, whose origin is opaque ("null") because of the sandbox.
      if (event.source !== frame.contentWindow || !event.data || event.data.source !== "passage-h5p") return;
      const message = event.data;
      if (message.type === "ready") {
        handOver.then(({ player, files }) => {
          frame.contentWindow.postMessage({
            source: "passage", type: "init", state: config.state || null, lang: config.lang, dir: config.dir,
            player, files,
          }, "*");
        });
      } else if (message.type === "error") {
        console.warn("The activity did not load:", message.message);
      } else if (message.type === "resize") {
        const height = Number(message.height);
        if (height > 0) frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
      } else if (message.type === "state" && typeof message.state === "string") {
        // One key per lesson: a newer state replaces one still waiting to be sent.
        send(config.stateUrl, "PUT", { state: message.state, saved_at: new Date().toISOString() }, "h5p-state-" + config.lesson);
      } else if (message.type === "xapi" && message.statement && typeof message.statement === "object") {
        const statement = message.statement;
        statement.id = statement.id || uuid();
        statement.context = statement.context || {};
        statement.context.extensions = statement.context.extensions || {};
        statement.context.extensions[config.lessonExtension] = config.lesson;
        const verb = (statement.verb && statement.verb.id) || "";
        const sub = "http://h5p.org/x-api/h5p-subContentId" in statement.context.extensions;
        send(config.xapiUrl, "POST", statement, "xapi-" + statement.id).then((result) => {
          if (result && result.sent && !sub && countable.test(verb)) refresh();
        });
      }
    });
  }

  // After a statement that may complete the exercise, ask the server what it made of it.
  function refresh() {
    fetch(config.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((state) => {
        if (!state) return;
        if (state.complete) showComplete(state.best_score);
        else if (state.best_score !== null) {
          const status = root.querySelector("[data-lesson-status]");
          if (status) status.textContent = root.dataset.notDoneText + " · " + state.best_score + "%";
        }
      })
      .catch(() => {});
  }

  if (config.kind === "text") textLesson();
  else if (config.kind === "video") videoLesson();
  else if (config.kind === "h5p") h5pLesson();
})();
