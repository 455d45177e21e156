/*
 * The browser's outbox for learning records (xAPI statements, progress reports, H5P state).
 *
 * Learners pay per MB and lose their connection often, so a record is never sent "live only":
 *
 *   passageRecords.send(url, {method: "POST" | "PUT", body: {...}, key: "<id of this write>"})
 *     -> Promise of {sent: true, response: <parsed JSON or null>} or {queued: true}
 *
 * writes the request into IndexedDB first (database "passage-records", store "outbox", keyed by
 * `key`) and only then tries the network. The key is the id the server deduplicates on (the
 * statement id, the progress event_id): the queue never gives a write a new key and never
 * overwrites a queued POST, so sending the same queue twice, from two tabs or after a crash
 * between "sent" and "removed", is a no-op on the server (identical replay -> 200). A PUT is a
 * state, not a record: a newer PUT with the same key replaces the queued one (the server keeps
 * the newest `saved_at` anyway).
 *
 * Answers: 2xx -> done. 4xx -> done too (it will never succeed; 409 means the server holds
 * this id with other content: dropped with a console warning), except 401 (signed out: kept,
 * and nothing more is sent until the next page load, after signing in), 408 and 429 (retried).
 * Network errors and 5xx are retried with exponential backoff plus jitter.
 *
 * The queue is sent in order (oldest first), one flush at a time, also across tabs (Web Locks),
 * on load, when the browser comes online, when the page becomes visible again, and on a timer
 * while anything waits. Sending stops at the first write that fails, so that order holds.
 *
 *   passageRecords.pending() -> Promise of the number of writes waiting
 *   window "passage-records" event, detail {pending: n}, whenever that number changes
 *
 * Any element with `data-records-status` shows "3 changes waiting to be sent..." from strings
 * the template translated (the JS has no catalogue), with "{count}" replaced by the number:
 *   data-t-pending-one, data-t-pending-other (and, for languages that need them,
 *   data-t-pending-zero / -two / -few / -many, picked with Intl.PluralRules),
 *   data-t-signed-out (shown instead when the server said we are signed out).
 * With nothing waiting the element is emptied and hidden.
 */
(function () {
  "use strict";
  if (window.passageRecords) return; // loaded twice by one page: keep the first queue

  var DB_NAME = "passage-records";
  var STORE = "outbox";
  var LOCK = "passage-records-flush";
  var BASE_DELAY = 2000; // first retry after ~2 s, then 4, 8... up to MAX_DELAY
  var MAX_DELAY = 5 * 60 * 1000;
  var OFFLINE_POLL = 60 * 1000; // navigator.onLine may be wrong: look again now and then
  var REQUEST_TIMEOUT = 30 * 1000;
  var FALLBACK_ONE = "1 change waiting to be sent. It will be sent when you are online.";
  var FALLBACK_OTHER = "{count} changes waiting to be sent. They will be sent when you are online.";

  var signedOut = false; // a 401: wait for the next page load (after signing in)
  var flushing = null; // the running flush (a Promise), so that calls share it
  var again = false; // a write arrived during a flush: run once more
  var timer = null;
  var lastCount = null;
  var waiters = {}; // key -> [resolve...] of send() calls still waiting for their write

  // --- Storage: IndexedDB, or memory when the browser refuses it (some private modes) --------

  var dbPromise = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request;
      try { request = indexedDB.open(DB_NAME, 1); } catch (e) { reject(e); return; }
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("created", "created");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
      request.onblocked = function () { reject(new Error("blocked")); };
    });
    return dbPromise;
  }

  function memoryStore() {
    var items = {};
    return {
      add: function (item) {
        if (!(item.key in items)) items[item.key] = item;
        return Promise.resolve(items[item.key] === item);
      },
      put: function (item) {
        var stored = items[item.key];
        if (stored) { stored.attempts = item.attempts; stored.next = item.next; }
        return Promise.resolve();
      },
      replace: function (item) {
        if (item.key in items) item.created = items[item.key].created;
        items[item.key] = item;
        return Promise.resolve(true);
      },
      remove: function (key, stamp) {
        if (items[key] && items[key].stamp === stamp) delete items[key];
        return Promise.resolve();
      },
      all: function () {
        return Promise.resolve(Object.keys(items).map(function (k) { return items[k]; }).sort(byCreated));
      },
    };
  }

  function byCreated(a, b) { return a.created - b.created || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0); }

  function idbStore(db) {
    function run(mode, work) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        result = work(tx.objectStore(STORE), function (value) { result = value; });
      });
    }
    return {
      // add, never put: a write queued before with this key stays as it was (true if added).
      add: function (item) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction(STORE, "readwrite");
          var added = true;
          var request = tx.objectStore(STORE).add(item);
          request.onerror = function (event) {
            if (request.error && request.error.name === "ConstraintError") {
              added = false;
              event.preventDefault(); // keep the transaction: the first write stands
            }
          };
          tx.oncomplete = function () { resolve(added); };
          tx.onabort = function () { if (added) reject(tx.error); else resolve(false); };
        });
      },
      // After a failed attempt: note attempts and the next try on what is queued now (a PUT
      // may have been replaced meanwhile; its newer body stays).
      put: function (item) {
        return run("readwrite", function (store) {
          var request = store.get(item.key);
          request.onsuccess = function () {
            var stored = request.result;
            if (!stored) return;
            stored.attempts = item.attempts;
            stored.next = item.next;
            store.put(stored);
          };
        });
      },
      // Replace the body of a queued PUT, keeping its place (created) in the queue.
      replace: function (item) {
        return run("readwrite", function (store) {
          var request = store.get(item.key);
          request.onsuccess = function () {
            if (request.result) item.created = request.result.created;
            store.put(item);
          };
        });
      },
      // Only the version that was sent: a PUT replaced meanwhile stays queued.
      remove: function (key, stamp) {
        return run("readwrite", function (store) {
          var request = store.get(key);
          request.onsuccess = function () {
            if (request.result && request.result.stamp === stamp) store.delete(key);
          };
        });
      },
      all: function () {
        return run("readonly", function (store, set) {
          var request = store.index("created").getAll();
          request.onsuccess = function () { set(request.result.sort(byCreated)); };
        });
      },
    };
  }

  var storePromise = openDb().then(idbStore, function () { return memoryStore(); });

  // --- Sending -----------------------------------------------------------------------------

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function delay(attempts, retryAfter) {
    var exponential = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, Math.max(0, attempts - 1)));
    // Full jitter: phones that lost the network together do not all come back at once.
    var wait = exponential / 2 + Math.random() * (exponential / 2);
    return Math.max(wait, retryAfter || 0);
  }

  function retryAfterMs(response) {
    var value = response.headers.get("Retry-After");
    if (!value) return 0;
    var seconds = Number(value);
    if (!isNaN(seconds)) return Math.min(seconds * 1000, MAX_DELAY);
    var date = Date.parse(value);
    return isNaN(date) ? 0 : Math.min(Math.max(0, date - Date.now()), MAX_DELAY);
  }

  /** One attempt: "sent" (with the parsed answer), "dropped", "retry" or "signed-out". */
  function attempt(item) {
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = controller && setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT);
    return fetch(item.url, {
      method: item.method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        // Read now, not when queued: sign-in rotates the token.
        "X-CSRFToken": cookie("csrftoken"),
      },
      body: JSON.stringify(item.body),
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      clearTimeout(timeout);
      var status = response.status;
      if (status >= 200 && status < 300) {
        return response.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
          return { outcome: "sent", response: parsed };
        });
      }
      if (status === 401) return { outcome: "signed-out" };
      if (status === 408 || status === 429 || status >= 500) {
        return { outcome: "retry", retryAfter: retryAfterMs(response) };
      }
      if (status === 409) {
        console.warn("passageRecords: the server already holds " + item.key + " with other content; dropped.");
      } else {
        console.warn("passageRecords: " + item.method + " " + item.url + " refused (" + status + "); dropped.");
      }
      return { outcome: "dropped", status: status };
    }, function () {
      clearTimeout(timeout);
      return { outcome: "retry" };
    });
  }

  function settle(key, result) {
    var list = waiters[key];
    if (!list) return;
    delete waiters[key];
    list.forEach(function (resolve) { resolve(result); });
  }

  function settleAllQueued() {
    Object.keys(waiters).forEach(function (key) { settle(key, { queued: true }); });
  }

  /** Send what waits, oldest first, until the queue is empty or a write has to wait. */
  function flushOnce(store, force) {
    return store.all().then(function (items) {
      var queuedKeys = {};
      items.forEach(function (item) { queuedKeys[item.key] = true; });
      // A waiter whose write is gone was sent by another tab (or dropped there).
      Object.keys(waiters).forEach(function (key) {
        if (!queuedKeys[key]) settle(key, { sent: true, response: null });
      });
      var index = 0;
      function next() {
        if (index >= items.length) return Promise.resolve();
        if (signedOut) return Promise.resolve();
        var item = items[index];
        if (!force && item.next && item.next > Date.now()) return Promise.resolve();
        if (navigator.onLine === false) return Promise.resolve();
        return attempt(item).then(function (result) {
          if (result.outcome === "sent" || result.outcome === "dropped") {
            return store.remove(item.key, item.stamp).then(function () {
              settle(item.key, result.outcome === "sent" ? { sent: true, response: result.response } : { queued: false, dropped: true, status: result.status });
              changed();
              index += 1;
              return next();
            });
          }
          if (result.outcome === "signed-out") {
            signedOut = true;
            return Promise.resolve();
          }
          item.attempts = (item.attempts || 0) + 1;
          item.next = Date.now() + delay(item.attempts, result.retryAfter);
          return store.put(item);
        });
      }
      return next();
    });
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      // Waits for a flush in another tab to end; then this tab finds what that one left.
      return navigator.locks.request(LOCK, work);
    }
    return work();
  }

  function flush(force) {
    if (flushing) {
      again = true;
      return flushing;
    }
    clearTimeout(timer);
    timer = null;
    flushing = storePromise
      .then(function (store) {
        return withLock(function () {
          function round() {
            again = false;
            return flushOnce(store, force).then(function () {
              if (again && !signedOut) return round();
            });
          }
          return round();
        });
      })
      .catch(function (error) { console.warn("passageRecords: flush failed", error); })
      .then(function () {
        flushing = null;
        // A write queued just after the last round looked: one more round for it.
        if (again && !signedOut) return flush(force);
        settleAllQueued();
        return schedule();
      });
    return flushing;
  }

  function schedule() {
    return storePromise.then(function (store) { return store.all(); }).then(function (items) {
      changed(items.length);
      if (!items.length || signedOut || flushing) return;
      var soonest = Math.min.apply(null, items.map(function (item) { return item.next || 0; }));
      var wait = navigator.onLine === false ? OFFLINE_POLL : Math.max(1000, soonest - Date.now());
      clearTimeout(timer);
      timer = setTimeout(function () { flush(false); }, Math.min(wait, MAX_DELAY));
    });
  }

  function send(url, options) {
    options = options || {};
    var key = options.key;
    if (!key || typeof key !== "string") return Promise.reject(new TypeError("passageRecords.send needs a key"));
    var method = (options.method || "POST").toUpperCase();
    if (method !== "POST" && method !== "PUT") return Promise.reject(new TypeError("POST or PUT only"));
    var item = {
      key: key,
      url: url,
      method: method,
      body: options.body === undefined ? {} : options.body,
      created: Date.now(),
      attempts: 0,
      next: 0,
      stamp: newId(), // this version of the write (see remove)
    };
    return storePromise.then(function (store) {
      // PUT replaces a state (H5P's, one key per lesson): a newer one replaces the one still
      // waiting, in its place in the queue. POST writes are records with their own ids: the
      // first stays, so that nothing is counted twice or under another id.
      var write = method === "PUT" ? store.replace(item) : store.add(item);
      return write.then(function () {
        var result = new Promise(function (resolve) {
          (waiters[key] = waiters[key] || []).push(resolve);
        });
        changed();
        flush(false);
        return result;
      });
    });
  }

  function pending() {
    return storePromise.then(function (store) { return store.all(); }).then(function (items) { return items.length; });
  }

  function savedIds() {
    return storePromise.then(function (store) { return store.all(); }).then(function (items) {
      return items.map(function (item) { return item.key; });
    });
  }

  // --- The count, as an event and as text -------------------------------------------------

  function changed(known) {
    var counted = typeof known === "number" ? Promise.resolve(known) : pending();
    counted.then(function (count) {
      if (count === lastCount) return;
      lastCount = count;
      window.dispatchEvent(new CustomEvent("passage-records", { detail: { pending: count } }));
    });
  }

  var plurals = null;
  try { plurals = new Intl.PluralRules(document.documentElement.lang || undefined); } catch (e) { plurals = null; }

  function statusText(element, count) {
    var d = element.dataset;
    if (signedOut && d.tSignedOut) return d.tSignedOut.replace("{count}", count);
    var category = plurals ? plurals.select(count) : count === 1 ? "one" : "other";
    if (count === 0 && d.tPendingZero) category = "zero";
    var name = "tPending" + category.charAt(0).toUpperCase() + category.slice(1);
    // English only if the template forgot its translated attributes.
    var text = d[name] || d.tPendingOther || (count === 1 ? FALLBACK_ONE : FALLBACK_OTHER);
    return text.replace("{count}", String(count));
  }

  function showStatus(count) {
    document.querySelectorAll("[data-records-status]").forEach(function (element) {
      if (!element.hasAttribute("role")) element.setAttribute("role", "status");
      element.textContent = count ? statusText(element, count) : "";
      element.hidden = !count;
    });
  }

  // A write that goes out at once is never announced: "waiting to be sent" appears only when
  // something is still waiting after STATUS_DELAY (offline, a slow or failing connection).
  var STATUS_DELAY = 1500;
  var statusTimer = null;
  window.addEventListener("passage-records", function (event) {
    var count = event.detail.pending;
    clearTimeout(statusTimer);
    if (!count) {
      showStatus(0);
      return;
    }
    statusTimer = setTimeout(function () {
      pending().then(showStatus);
    }, navigator.onLine === false ? 0 : STATUS_DELAY);
  });

  // --- When to flush ----------------------------------------------------------------------

  window.addEventListener("online", function () { flush(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush(true);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { flush(true); });
  } else {
    flush(true);
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  window.passageRecords = {
    send: send,
    pending: pending,
    keys: savedIds,
    // Send now, ignoring backoff (a "Try again" button, tests).
    flush: function () { return flush(true); },
    newId: newId,
  };
})();
