/*
 * "Save for offline" on a lesson page.
 *
 *   <div data-offline-root data-t-...="{% translate ... %}">
 *     <button data-save-offline data-manifest="{% url 'courses:lesson_offline' ... %}">...</button>
 *   </div>
 *
 * On tap: fetch the lesson's offline manifest (courses.views.offline), ask in the page
 * "Save this lesson for offline use? It needs 240 KB." (with "Also save the video (12 MB)" when
 * there is one: videos are big, the learner chooses), then ask the service worker to cache every
 * URL into the cache "passage-lessons":
 *   page -> worker  {type: "save-lesson", lesson, urls, page, title, course, size, withVideo}
 *   worker -> page  {type: "progress", done, total} ... then {type: "saved"} or {type: "failed"}
 *   page -> worker  {type: "remove-lesson", lesson} -> {type: "removed"}
 * over a MessageChannel. The worker keeps an index of saved lessons in that cache (INDEX_URL),
 * which this file reads to know, on load, whether the lesson is saved.
 *
 * Strings come from data-t-* attributes of [data-offline-root], filled by the template with
 * {% translate %} (this file has no catalogue); "{size}", "{done}", "{total}" are replaced.
 * The English fallbacks below are only for a template that lacks an attribute.
 *
 * window.passageOffline.savedLessons() -> Promise of [{lesson, title, course, page, size,
 * withVideo, savedAt}, ...], for "My learning".
 */
(function () {
  "use strict";

  var CACHE = "passage-lessons";
  var INDEX_URL = "/offline/saved-lessons.json"; // frontend.views.SAVED_LESSONS_INDEX
  var READY_TIMEOUT = 10000;

  var FALLBACK = {
    confirm: "Save this lesson for offline use? It needs {size}.",
    withVideo: "Also save the video ({size})",
    save: "Save",
    cancel: "Cancel",
    saving: "Saving… {done} of {total}",
    saved: "Saved for offline use",
    remove: "Remove from this phone",
    removed: "Removed from this phone.",
    failed: "The lesson could not be saved. Check your connection and try again.",
    unsupported: "This browser cannot save lessons for offline use.",
  };

  function supported() {
    return "serviceWorker" in navigator && "caches" in window && window.isSecureContext && window.MessageChannel;
  }

  function readIndex() {
    if (!("caches" in window)) return Promise.resolve({ lessons: {} });
    return caches.open(CACHE)
      .then(function (cache) { return cache.match(INDEX_URL); })
      .then(function (hit) { return hit ? hit.json() : { lessons: {} }; })
      .catch(function () { return { lessons: {} }; });
  }

  function savedLessons() {
    return readIndex().then(function (index) {
      return Object.keys(index.lessons || {}).map(function (id) {
        var entry = index.lessons[id];
        return {
          lesson: entry.lesson, title: entry.title, course: entry.course, page: entry.page,
          size: entry.size, withVideo: entry.withVideo, savedAt: entry.savedAt,
        };
      });
    });
  }

  function isSaved(lessonId) {
    return readIndex().then(function (index) { return Boolean(index.lessons && index.lessons[lessonId]); });
  }

  function worker() {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("no service worker")); }, READY_TIMEOUT);
      navigator.serviceWorker.ready.then(function (registration) {
        clearTimeout(timer);
        resolve(registration.active);
      }, reject);
    });
  }

  /** Post `message` to the worker; `onProgress` gets progress messages; resolves on the end. */
  function ask(message, onProgress) {
    return worker().then(function (active) {
      return new Promise(function (resolve, reject) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) {
          var reply = event.data || {};
          if (reply.type === "progress") { if (onProgress) onProgress(reply); return; }
          channel.port1.close();
          if (reply.type === "failed") reject(new Error(reply.error)); else resolve(reply);
        };
        active.postMessage(message, [channel.port2]);
      });
    });
  }

  /** The page's own scripts and styles: whatever the template loads is saved too. */
  function pageAssets() {
    var urls = [];
    document.querySelectorAll("script[src], link[rel~='stylesheet'][href], link[rel~='icon'][href]").forEach(function (node) {
      var url = new URL(node.getAttribute("src") || node.getAttribute("href"), window.location.href);
      if (url.origin === window.location.origin) urls.push(url.pathname + url.search);
    });
    return urls;
  }

  function save(manifest, withVideo, onProgress) {
    var urls = manifest.files.map(function (file) { return file.url; });
    if (withVideo && manifest.video) urls.push(manifest.video.url);
    urls = urls.concat(pageAssets());
    return ask({
      type: "save-lesson",
      lesson: manifest.lesson,
      page: manifest.page,
      title: manifest.title,
      course: manifest.course,
      size: withVideo ? manifest.size_with_video : manifest.size,
      withVideo: Boolean(withVideo),
      urls: urls,
    }, onProgress);
  }

  function remove(lessonId) {
    return ask({ type: "remove-lesson", lesson: lessonId });
  }

  window.passageOffline = { savedLessons: savedLessons, isSaved: isSaved, save: save, remove: remove };

  // --- The button on the lesson page ------------------------------------------------------

  function formatSize(bytes) {
    var lang = document.documentElement.lang || undefined;
    var unit = bytes >= 1000 * 1000 ? "megabyte" : "kilobyte";
    var value = unit === "megabyte" ? bytes / 1000 / 1000 : Math.max(1, bytes / 1000);
    try {
      return new Intl.NumberFormat(lang, {
        style: "unit", unit: unit, unitDisplay: "short", maximumFractionDigits: unit === "megabyte" ? 1 : 0,
      }).format(value);
    } catch (e) {
      return Math.round(value) + (unit === "megabyte" ? " MB" : " KB");
    }
  }

  function setUp(button) {
    var root = button.closest("[data-offline-root]") || button.parentNode;
    var lessonId = Number(button.dataset.lesson || (button.dataset.manifest.match(/lessons\/(\d+)\//) || [])[1]);
    var t = function (name, values) {
      var key = "t" + name.charAt(0).toUpperCase() + name.slice(1);
      var text = root.dataset[key] || button.dataset[key] || FALLBACK[name];
      Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
      return text;
    };

    // One live region for everything this control says.
    var status = document.createElement("p");
    status.className = "offline-status";
    status.setAttribute("role", "status");
    status.tabIndex = -1;
    var panel = document.createElement("div");
    panel.className = "offline-panel";
    panel.hidden = true;
    root.appendChild(status);
    root.appendChild(panel);

    function element(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text) node.textContent = text;
      return node;
    }

    function showSaved(announce) {
      button.hidden = true;
      panel.replaceChildren();
      status.textContent = t("saved");
      var removeButton = element("button", "button button--secondary", t("remove"));
      removeButton.type = "button";
      removeButton.addEventListener("click", function () {
        removeButton.disabled = true;
        remove(lessonId).then(function () {
          panel.hidden = true;
          panel.replaceChildren();
          button.hidden = false;
          button.disabled = false;
          status.textContent = t("removed");
          button.focus();
        }, function () {
          removeButton.disabled = false;
          status.textContent = t("failed");
        });
      });
      panel.appendChild(removeButton);
      panel.hidden = false;
      if (announce) status.focus();
    }

    function confirmSave(manifest) {
      panel.replaceChildren();
      var question = element("p", "offline-question", t("confirm", { size: formatSize(manifest.size) }));
      question.id = "offline-question-" + lessonId;
      question.tabIndex = -1;
      panel.appendChild(question);
      var videoBox = null;
      if (manifest.video) {
        var label = element("label", "offline-video");
        videoBox = document.createElement("input");
        videoBox.type = "checkbox";
        videoBox.name = "with_video";
        label.appendChild(videoBox);
        label.appendChild(document.createTextNode(" " + t("withVideo", { size: formatSize(manifest.video.size) })));
        panel.appendChild(label);
        videoBox.addEventListener("change", function () {
          var size = videoBox.checked ? manifest.size_with_video : manifest.size;
          question.textContent = t("confirm", { size: formatSize(size) });
        });
      }
      var actions = element("div", "offline-actions");
      var yes = element("button", "button", t("save"));
      yes.type = "button";
      yes.setAttribute("aria-describedby", question.id);
      var no = element("button", "button button--secondary", t("cancel"));
      no.type = "button";
      actions.appendChild(yes);
      actions.appendChild(no);
      panel.appendChild(actions);
      panel.hidden = false;
      button.hidden = true;
      question.focus();

      no.addEventListener("click", function () {
        panel.hidden = true;
        panel.replaceChildren();
        button.hidden = false;
        button.disabled = false;
        button.focus();
      });
      yes.addEventListener("click", function () {
        yes.disabled = true;
        no.disabled = true;
        if (videoBox) videoBox.disabled = true;
        status.textContent = t("saving", { done: 0, total: manifest.files.length });
        save(manifest, videoBox && videoBox.checked, function (progress) {
          status.textContent = t("saving", { done: progress.done, total: progress.total });
        }).then(function () {
          showSaved(true);
        }, function () {
          status.textContent = t("failed");
          yes.disabled = false;
          no.disabled = false;
          if (videoBox) videoBox.disabled = false;
          status.focus();
        });
      });
    }

    if (!supported()) {
      button.hidden = true;
      status.textContent = t("unsupported");
      return;
    }
    isSaved(lessonId).then(function (saved) { if (saved) showSaved(false); });

    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "";
      fetch(button.dataset.manifest, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(confirmSave, function () {
          button.disabled = false;
          status.textContent = t("failed");
        });
    });
  }

  function start() {
    document.querySelectorAll("[data-save-offline][data-manifest]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
