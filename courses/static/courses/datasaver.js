/*
 * Data saver ("Load pictures and videos only when you tap them"). The page is rendered with
 * placeholders instead of media, so nothing is downloaded until the learner asks:
 *
 *   <button type="button" class="tap-to-load" data-src="/media/..." data-alt="A map">
 *     Show image (34 KB)</button>                     (courses.markdown also uses
 *                                                      class="image-placeholder"; both work)
 *   <button type="button" class="tap-to-load" data-video-src="/media/....mp4"
 *     data-video-type="video/mp4" data-poster="/media/....jpg" data-captions="/media/....vtt"
 *     data-captions-lang="en" data-captions-label="Captions">Show video (12 MB)</button>
 *
 * A tapped image placeholder becomes the image; a tapped video placeholder becomes
 * <video controls preload="metadata">. Without this file the buttons do nothing and the page
 * still reads; nothing is ever loaded without a tap.
 *
 * Focus: the button the learner pressed disappears, so focus goes to what replaced it (made
 * focusable for that), which screen readers then read (the image's alt text, the video's
 * controls). While an image loads the button stays in place, so the page does not jump twice.
 */
(function () {
  "use strict";

  var SELECTOR = "button.tap-to-load, button.image-placeholder";

  function sameOriginPath(value) {
    // Only our own files: a placeholder never makes the phone fetch from elsewhere.
    try {
      var url = new URL(value, window.location.href);
      return url.origin === window.location.origin ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function showImage(button) {
    var src = sameOriginPath(button.dataset.src);
    if (!src) return;
    var image = new Image();
    image.alt = button.dataset.alt || "";
    image.className = "tap-loaded";
    // Made focusable once, so that focus has somewhere to go instead of the page's top.
    image.tabIndex = -1;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    image.addEventListener("load", function () {
      button.replaceWith(image);
      image.focus({ preventScroll: true });
    }, { once: true });
    image.addEventListener("error", function () {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      button.focus();
    }, { once: true });
    image.src = src;
  }

  function showVideo(button) {
    var src = sameOriginPath(button.dataset.videoSrc);
    if (!src) return;
    var video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.setAttribute("playsinline", "");
    video.className = "tap-loaded";
    var poster = button.dataset.poster && sameOriginPath(button.dataset.poster);
    if (poster) video.poster = poster;
    var source = document.createElement("source");
    source.src = src;
    if (button.dataset.videoType) source.type = button.dataset.videoType;
    video.appendChild(source);
    var captions = button.dataset.captions && sameOriginPath(button.dataset.captions);
    if (captions) {
      var track = document.createElement("track");
      track.kind = "captions";
      track.src = captions;
      if (button.dataset.captionsLang) track.srclang = button.dataset.captionsLang;
      if (button.dataset.captionsLabel) track.label = button.dataset.captionsLabel;
      track.default = true;
      video.appendChild(track);
    }
    // Copy the data the lesson page reads (e.g. data-lesson-video) onto the new element.
    Object.keys(button.dataset).forEach(function (key) {
      if (key.indexOf("lesson") === 0) video.dataset[key] = button.dataset[key];
    });
    button.replaceWith(video);
    video.focus({ preventScroll: true });
    document.dispatchEvent(new CustomEvent("passage-media-loaded", { detail: { element: video } }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(SELECTOR);
    if (!button || button.disabled) return;
    event.preventDefault();
    if (button.dataset.videoSrc) showVideo(button);
    else if (button.dataset.src) showImage(button);
  });
})();
