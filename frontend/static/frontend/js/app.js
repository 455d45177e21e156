// Passage: small enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    document.body.classList.add("js");

    // Language menu: change at once instead of pressing the button.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // "Leave quickly": replace this page in the history, so that Back does not return to it.
    document.querySelectorAll("a[data-quick-exit]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        window.location.replace(link.href);
      });
    });

    // Sign-up: the browser knows the person's time zone; store it (editable later).
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll('input[type="hidden"][name="time_zone"]').forEach(function (input) {
      if (!input.value && zone) input.value = zone;
    });
  });

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      var url = document.body.getAttribute("data-sw");
      if (!url) return;
      navigator.serviceWorker.register(url, { scope: "/" }).then(function (registration) {
        // The offline page is cached in one language; fetch it again after a language change.
        var lang = document.documentElement.lang;
        var worker = registration.active || navigator.serviceWorker.controller;
        var stored = null;
        try { stored = localStorage.getItem("passage-lang"); } catch (e) { return; }
        if (worker && stored !== lang) {
          worker.postMessage({ type: "refresh-offline" });
          try { localStorage.setItem("passage-lang", lang); } catch (e) { /* private mode */ }
        }
      }).catch(function () {});
    });
  }
})();
