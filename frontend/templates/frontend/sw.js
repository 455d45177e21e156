{% autoescape off %}// Passage service worker: keeps the page shell, an offline page, and lessons saved for offline.
// Pages always come from the network first (they are personal); static files are hashed
// and immutable, so a cached copy is always right.
//
// Saved lessons ("Save for offline", courses/static/courses/offline.js) live in the cache
// LESSONS_CACHE, which outlives worker updates: every URL of the lesson's offline manifest, plus
// an index of saved lessons at INDEX_URL (read by pages too, to know what is saved). Only what a
// learner saved goes there: API answers and other personal pages are never cached.
const VERSION = "{{ version }}";
const SHELL_CACHE = "passage-shell-" + VERSION;
const LESSONS_CACHE = "passage-lessons";
const INDEX_URL = new URL("{{ lessons_index_url }}", self.location.origin).href;
const OFFLINE_URL = "{{ offline_url }}";
const SHELL = {{ shell_json }};
const STATIC_PREFIX = "{{ static_prefix }}";
const MEDIA_PREFIX = "{{ media_prefix }}";
// H5P library folders are named by major.minor version and never rewritten: cache-first.
const IMMUTABLE_PREFIXES = [STATIC_PREFIX, "{{ h5p_libraries_prefix }}"];
// Files a saved lesson may need that are not static: the H5P player page and content, media.
const SAVED_FILE_PREFIXES = ["{{ h5p_prefix }}", MEDIA_PREFIX];
// On a connection that hangs rather than fails, a saved lesson opens from the cache after this.
const SAVED_PAGE_TIMEOUT = 8000;
const SAVE_PARALLEL = 3;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll([...SHELL, OFFLINE_URL]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("passage-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))
      ))
      .then(() => self.clients.claim())
  );
});

// --- Saved lessons ---------------------------------------------------------------------------

async function readIndex(cache) {
  const hit = await cache.match(INDEX_URL);
  if (!hit) return { lessons: {} };
  try {
    const index = await hit.json();
    return index && index.lessons ? index : { lessons: {} };
  } catch (error) {
    return { lessons: {} };
  }
}

function writeIndex(cache, index) {
  return cache.put(INDEX_URL, new Response(JSON.stringify(index), {
    headers: { "Content-Type": "application/json" },
  }));
}

function usedByOthers(index, lessonId) {
  const used = new Set();
  for (const [id, entry] of Object.entries(index.lessons)) {
    if (String(id) !== String(lessonId)) for (const url of entry.urls || []) used.add(url);
  }
  return used;
}

function sameOrigin(url) {
  try {
    return new URL(url, self.location.origin).origin === self.location.origin;
  } catch (error) {
    return false;
  }
}

async function fetchInto(cache, url) {
  // The default cache mode: a file the browser already holds fresh costs no data again.
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok || response.redirected) throw new Error(url + ": " + response.status);
  await cache.put(url, response);
}

async function saveLesson(data, report) {
  const urls = [...new Set((data.urls || []).filter(sameOrigin).map((u) => new URL(u, self.location.origin).href))];
  const cache = await caches.open(LESSONS_CACHE);
  let done = 0;
  const queue = urls.slice();
  const worker = async () => {
    while (queue.length) {
      const url = queue.shift();
      try {
        await fetchInto(cache, url);
      } catch (error) {
        await fetchInto(cache, url); // once more: a phone's connection often drops one request
      }
      done += 1;
      report({ type: "progress", done, total: urls.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(SAVE_PARALLEL, urls.length) }, worker));
  } catch (error) {
    // Leave nothing half-saved behind, but keep what other saved lessons use.
    const index = await readIndex(cache);
    const keep = usedByOthers(index, data.lesson);
    if (!index.lessons[data.lesson]) await Promise.all(urls.filter((u) => !keep.has(u)).map((u) => cache.delete(u)));
    throw error;
  }
  const index = await readIndex(cache);
  const previous = index.lessons[data.lesson];
  index.lessons[data.lesson] = {
    lesson: data.lesson,
    title: data.title || "",
    course: data.course || "",
    page: data.page ? new URL(data.page, self.location.origin).href : urls[0],
    urls,
    size: data.size || 0,
    withVideo: Boolean(data.withVideo),
    savedAt: new Date().toISOString(),
  };
  await writeIndex(cache, index);
  // Saved again with fewer files (e.g. without the video now): drop what nothing needs.
  if (previous) {
    const keep = new Set([...usedByOthers(index, data.lesson), ...urls]);
    await Promise.all((previous.urls || []).filter((u) => !keep.has(u)).map((u) => cache.delete(u)));
  }
  return index.lessons[data.lesson];
}

async function removeLesson(data) {
  const cache = await caches.open(LESSONS_CACHE);
  const index = await readIndex(cache);
  const entry = index.lessons[data.lesson];
  if (!entry) return;
  const keep = usedByOthers(index, data.lesson);
  delete index.lessons[data.lesson];
  await writeIndex(cache, index);
  await Promise.all((entry.urls || []).filter((u) => !keep.has(u)).map((u) => cache.delete(u)));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const port = event.ports && event.ports[0];
  const reply = (message) => { if (port) port.postMessage(message); };
  if (data.type === "refresh-offline") {
    event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.add(OFFLINE_URL)));
  } else if (data.type === "save-lesson") {
    event.waitUntil(
      saveLesson(data, reply)
        .then((entry) => reply({ type: "saved", lesson: data.lesson, entry }))
        .catch((error) => reply({ type: "failed", lesson: data.lesson, error: String(error && error.message || error) }))
    );
  } else if (data.type === "remove-lesson") {
    event.waitUntil(
      removeLesson(data)
        .then(() => reply({ type: "removed", lesson: data.lesson }))
        .catch((error) => reply({ type: "failed", lesson: data.lesson, error: String(error) }))
    );
  }
});

// --- Fetching ------------------------------------------------------------------------------

function savedCopy(request) {
  // ignoreVary: pages vary on Cookie/Accept-Language; the copy saved is this learner's own.
  return caches.open(LESSONS_CACHE).then((cache) => cache.match(request.url, { ignoreVary: true }));
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function navigate(event) {
  const request = event.request;
  const saved = await savedCopy(request);
  const network = fetch(request);
  try {
    const response = saved ? await withTimeout(network, SAVED_PAGE_TIMEOUT) : await network;
    if (saved && response.ok && !response.redirected) {
      // Keep the saved copy as fresh as the last visit (progress shown, text edits).
      const copy = response.clone();
      event.waitUntil(caches.open(LESSONS_CACHE).then((cache) => cache.put(request.url, copy)));
    }
    return response;
  } catch (error) {
    return saved || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function savedFile(event, immutable) {
  const request = event.request;
  const saved = await savedCopy(request);
  if (saved && immutable) return saved;
  try {
    return await fetch(request);
  } catch (error) {
    if (saved) return saved;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Top-level pages and the H5P player's iframe alike.
    event.respondWith(navigate(event));
    return;
  }
  // A video asks for byte ranges; the saved copy is a whole file, which the cache cannot cut.
  if (request.headers.has("Range")) {
    event.respondWith(fetch(request).catch(() => savedCopy(request).then((hit) => hit || Response.error())));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }))
    );
    return;
  }
  if (SAVED_FILE_PREFIXES.some((prefix) => prefix && url.pathname.startsWith(prefix))) {
    const immutable = IMMUTABLE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix));
    event.respondWith(savedFile(event, immutable));
  }
});
{% endautoescape %}
