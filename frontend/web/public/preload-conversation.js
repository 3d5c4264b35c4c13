// Opening the app on a conversation: ask for its screen's chunk now, beside the main script. vite.config.ts
// names the chunk and its route in <meta name="parley-conversation-chunk">. A file rather than an inline
// script: the Content-Security-Policy runs scripts only from the app's own files (docs/web.md).
(function () {
  var meta = document.querySelector('meta[name="parley-conversation-chunk"]');
  if (meta && new RegExp(meta.getAttribute("data-path")).test(location.pathname)) {
    var link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = meta.getAttribute("content");
    document.head.appendChild(link);
  }
})();
