(function () {
  "use strict";

  // Copy buttons on every SQL block: the Clipboard API where the page may use it, else a hidden
  // textarea and execCommand, else the text is selected for Ctrl+C. Without script the SQL is
  // still there to select by hand, and no dead button is shown.
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function legacyCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "-1000px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function say(button, label, cls) {
    button.textContent = label;
    button.className = "copy" + (cls ? " " + cls : "");
    window.setTimeout(function () { button.textContent = "Copy"; button.className = "copy"; }, 1800);
  }

  function copy(button, pre) {
    var text = pre.textContent;
    var fallback = function () {
      if (legacyCopy(text)) { say(button, "Copied", "done"); }
      else { selectText(pre); say(button, "Press Ctrl+C", ""); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(button, "Copied", "done"); }, fallback);
    } else {
      fallback();
    }
  }

  // A fix block has a header for its button; a SQL cell of a compact table gets it above the SQL.
  var sqls = document.querySelectorAll("pre.sql");
  for (var i = 0; i < sqls.length; i++) {
    (function (pre) {
      var block = pre.closest(".sql-block");
      var head = block ? block.querySelector(".sql-head") : null;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy the SQL");
      button.addEventListener("click", function () { copy(button, pre); });
      if (head) { head.appendChild(button); } else { pre.parentNode.insertBefore(button, pre); }
    })(sqls[i]);
  }

  // Printing shows every collapsed section; they close again afterwards.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details:not([open])");
    for (var j = 0; j < all.length; j++) { all[j].open = true; opened.push(all[j]); }
  });
  window.addEventListener("afterprint", function () {
    while (opened.length) { opened.pop().open = false; }
  });

  // A link to a finding inside closed details opens them.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
})();
