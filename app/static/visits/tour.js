/* Study visits: load the tour only when the learner asks, record what they have seen.
   Hosted tours use Pannellum (app/static/vendor/pannellum); its data is read from the
   page's own text version of the tour, so the two cannot disagree. */
(function () {
  "use strict";
  var root = document.getElementById("tour");
  var button = document.getElementById("tour-load");
  if (!root || !button) { return; }
  var status = document.getElementById("tour-status");
  button.hidden = false;

  function say(message) { if (status) { status.textContent = message; } }

  // The viewer writes scene titles and hotspot texts into the page as HTML: course text
  // reaches it escaped, so it is only ever text.
  var ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function escapeHtml(text) {
    return String(text || "").replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  // The viewer's own messages in the page's language; it writes them as HTML, so escaped.
  function viewerStrings() {
    var strings = {};
    try {
      var given = JSON.parse(root.dataset.viewerStrings || "{}");
      Object.keys(given).forEach(function (key) { strings[key] = escapeHtml(given[key]); });
    } catch (ignored) { /* the viewer's English defaults, rather than no tour */ }
    return strings;
  }

  function hasWebGL() {
    try {
      var canvas = document.createElement("canvas");
      return !!(window.WebGLRenderingContext &&
                (canvas.getContext("webgl") || canvas.getContext("experimental-webgl")));
    } catch (ignored) { return false; }
  }

  function post(form, fields) {
    var body = new FormData(form);
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      // Anything but our JSON (a sign-in page after the session ended...) saved nothing.
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { throw new Error(root.dataset.unsaved); }
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      Object.keys(attributes).forEach(function (key) { element[key] = attributes[key]; });
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  function hosted() {
    var form = document.getElementById("tour-progress");
    var box = document.getElementById("tour-viewer");
    var items = Array.prototype.slice.call(document.querySelectorAll("#tour-scenes > li[data-scene]"));
    var total = items.length;
    var viewer = null;

    function showSeen(seen) {
      seen.forEach(function (id) {
        var mark = document.querySelector("#scene-" + id + " .seen");
        if (mark) { mark.hidden = false; }
      });
    }

    function record(scene) {
      if (!form) { return; }
      post(form, {scene: scene}).then(function (result) {
        showSeen(result.seen);
        var message = result.done ? root.dataset.done : root.dataset.progress
          .replace("{seen}", result.seen.length).replace("{total}", total);
        say(result.completed ? message + " " + root.dataset.completed : message);
      }).catch(function (error) { say(error.message); });
    }

    function start() {
      var scenes = {};
      items.forEach(function (item) {
        var spots = Array.prototype.slice.call(item.querySelectorAll("[data-hotspot]"));
        scenes[item.dataset.scene] = {
          title: escapeHtml(item.dataset.title),
          type: "equirectangular",
          panorama: item.dataset.panorama,
          hotSpots: spots.map(function (spot) {
            var link = spot.dataset.hotspot === "scene";
            return {type: link ? "scene" : "info", pitch: +spot.dataset.pitch,
                    yaw: +spot.dataset.yaw, text: escapeHtml(spot.dataset.text),
                    sceneId: link ? spot.dataset.target : undefined};
          })
        };
      });
      box.hidden = false;
      viewer = window.pannellum.viewer(box, {
        "default": {firstScene: items[0].dataset.scene, autoLoad: true, sceneFadeDuration: 300,
                    showFullscreenCtrl: false, keyboardZoom: true},
        strings: viewerStrings(),
        scenes: scenes
      });
      function direction() { box.dataset.yaw = viewer.getYaw().toFixed(1); }
      viewer.on("load", function () { direction(); record(viewer.getScene()); });
      viewer.on("animatefinished", direction);
      viewer.on("error", function () { say(root.dataset.failed); });
      Array.prototype.forEach.call(document.querySelectorAll("[data-goto]"), function (go) {
        go.hidden = false;
        go.addEventListener("click", function () {
          viewer.loadScene(go.dataset.goto);
          box.focus();
          box.scrollIntoView({block: "center"});
        });
      });
      button.hidden = true;
      box.focus();
    }

    button.addEventListener("click", function () {
      // Without WebGL the viewer cannot draw: say so at once, and load nothing.
      if (!hasWebGL()) { button.hidden = true; say(root.dataset.noWebgl); return; }
      button.disabled = true;
      say(root.dataset.loading);
      load("link", {rel: "stylesheet", href: root.dataset.viewerCss})
        .then(function () { return load("script", {src: root.dataset.viewerJs}); })
        .then(start)
        .catch(function () { button.disabled = false; say(root.dataset.failed); });
    });
  }

  function embedded() {
    var frame = document.getElementById("tour-frame");
    button.addEventListener("click", function () {
      var iframe = document.createElement("iframe");
      iframe.src = root.dataset.src;
      iframe.title = root.dataset.title;
      iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation");
      iframe.setAttribute("allow", "fullscreen; accelerometer; gyroscope");
      iframe.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      iframe.setAttribute("allowfullscreen", "");
      frame.appendChild(iframe);
      frame.hidden = false;
      button.hidden = true;
      var confirm = document.getElementById("tour-confirm");
      if (confirm) { confirm.hidden = false; }
    });
  }

  if (root.dataset.kind === "hosted") { hosted(); } else { embedded(); }
}());
