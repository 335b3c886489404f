/* "Avec vous pour vos droits" chat widget. Plain JS, no dependency, no build step.
   Embed with one tag: <script src="/widget/avecvous.js" defer></script>
   It loads avecvous.css from the same folder and talks only to /api/chat on the same site.
   The conversation (sender id + transcript) lives in sessionStorage: it survives a reload and
   is forgotten when the tab is closed. */
(function () {
  "use strict";
  if (window.avecvousWidget) return;

  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^/]*$/, "") : "/widget/";
  var apiUrl = (script && script.getAttribute("data-api")) || new URL("../api/chat", base).href;
  var STORE_KEY = "avecvous.chat.v1";
  var MAX_KEPT = 200; // transcript entries kept in sessionStorage
  var MAX_CHARS = 1000;
  var TIMEOUT_MS = 30000;

  var T = {
    launcher: "Vos droits : posez vos questions",
    title: "Avec vous pour vos droits",
    restart: "Recommencer",
    close: "Fermer",
    closeLabel: "Fermer la conversation",
    log: "Conversation",
    you: "Vous : ",
    bot: "L'assistant : ",
    input: "Votre message",
    placeholder: "Écrivez votre message…",
    send: "Envoyer",
    typing: "L'assistant écrit…",
    choices: "Réponses proposées",
    choicesSaid: "Choix proposés : ",
    image: "Image envoyée par l'assistant",
    newTab: " (nouvel onglet)",
    offline: "Désolé, l'assistant ne peut pas répondre pour le moment. Pouvez-vous réessayer dans quelques minutes ?",
    retry: "Réessayer",
    callUs: "Vous pouvez aussi appeler ",
    callTownHall: "Vous pouvez aussi appeler la mairie de votre commune : elle vous dira qui peut vous aider.",
    tooLong: "Votre message est trop long. Pouvez-vous l'écrire en plus court ?"
  };
  // A number to call when the assistant cannot answer: the host page gives one it has checked
  // (<meta name="avecvous-help-phone" content="…"> and "avecvous-help-name", or data-help-phone and
  // data-help-name on the script tag); else the last number the assistant gave in this conversation.
  function hostSetting(name) {
    var meta = document.querySelector('meta[name="avecvous-' + name + '"]');
    return (meta && meta.getAttribute("content")) || (script && script.getAttribute("data-" + name)) || null;
  }
  var helpPhone = hostSetting("help-phone");
  var helpName = hostSetting("help-name");
  // Phones and touch screens: a tap on an answer must not open the on-screen keyboard.
  var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;

  // ---- state -------------------------------------------------------------------------------
  function newSender() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return "web-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function load() {
    try {
      var s = JSON.parse(window.sessionStorage.getItem(STORE_KEY));
      if (s && typeof s.sender === "string" && Array.isArray(s.log)) return s;
    } catch (e) { /* storage blocked or corrupt: start afresh */ }
    return null;
  }

  function save() {
    state.log = state.log.slice(-MAX_KEPT);
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  var state = load() || { sender: newSender(), log: [], open: false };
  var busy = false;

  // ---- DOM ---------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    }
    if (text) node.textContent = text;
    return node;
  }

  var css = el("link", { rel: "stylesheet", href: base + "avecvous.css" });
  document.head.appendChild(css);

  var root = el("div", { "class": "av-root", lang: "fr" });
  var launcher = el("button", {
    type: "button", "class": "av-launcher", "aria-haspopup": "dialog",
    "aria-expanded": "false", "aria-controls": "av-panel"
  });
  launcher.appendChild(el("span", { "class": "av-launcher-icon", "aria-hidden": "true" }, "?"));
  launcher.appendChild(el("span", {}, T.launcher));

  var panel = el("div", {
    id: "av-panel", "class": "av-panel", role: "dialog", "aria-modal": "true",
    "aria-labelledby": "av-title"
  });
  panel.hidden = true;
  var head = el("div", { "class": "av-head" });
  head.appendChild(el("h2", { id: "av-title", "class": "av-title" }, T.title));
  var restartBtn = el("button", { type: "button", "class": "av-btn av-restart" }, T.restart);
  var closeBtn = el("button", { type: "button", "class": "av-btn av-close", "aria-label": T.closeLabel }, T.close);
  head.appendChild(restartBtn);
  head.appendChild(closeBtn);

  // The transcript is not live (it would re-read the resident's own words); bot messages are
  // announced through the separate polite live region below.
  var logList = el("ol", { "class": "av-log", "aria-label": T.log, tabindex: "0" });
  var typing = el("p", { "class": "av-typing", "aria-hidden": "true" }, T.typing);
  typing.hidden = true;
  var live = el("div", { "class": "av-sr", "aria-live": "polite", "aria-atomic": "true" });

  var form = el("form", { "class": "av-form", novalidate: "" });
  var label = el("label", { "for": "av-input", "class": "av-sr" }, T.input);
  var input = el("input", {
    id: "av-input", "class": "av-input", type: "text", maxlength: String(MAX_CHARS),
    autocomplete: "off", autocapitalize: "sentences", enterkeyhint: "send", placeholder: T.placeholder
  });
  var sendBtn = el("button", { type: "submit", "class": "av-btn av-send" }, T.send);
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendBtn);

  // The privacy notice stays one tap away, whatever the conversation is doing.
  var privacyBtn = el("button", { type: "button", "class": "av-privacy" }, "Qui voit mes réponses ?");

  panel.appendChild(head);
  panel.appendChild(logList);
  panel.appendChild(typing);
  panel.appendChild(live);
  panel.appendChild(form);
  panel.appendChild(privacyBtn);
  root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(root);

  // ---- rendering ---------------------------------------------------------------------------
  var URL_RE = /(https?:\/\/[^\s<>"]+)/g;
  // French numbers (03 83 85 31 92, +33 3 83…, 0 800 00 00 00) and, after "le", "au", "appelez",
  // "composez" or "numéro", the short emergency and public numbers (15, 17, 112, 115, 119, 3114…).
  var PHONE_RE = /(?:\+33[\s.]?[1-9]|\b0[1-9])(?:[\s.-]?\d{2}){4}\b|\b0[\s.]?8\d{2}(?:[\s.]?\d{2}){3}\b/g;
  var SHORT_RE = /(\b(?:le|au|appelez|composez|num[ée]ro|t[ée]l[ée]phone|tél)\s*:?\s*)(1[0-9]{1,2}|3[0-9]{3})\b(?![\d,.]\d|\s*(?:€|%|ans\b|aides?\b|jours?\b|mois\b|km\b|h\b|min|janvier|f[ée]vrier|mars|avril|mai\b|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|heures?\b))/gi;
  var SHORT_NUMBERS = ["15", "17", "18", "112", "114", "115", "116", "119", "191", "196", "197",
    "3114", "3919", "3230", "3646", "3939", "3949", "3977", "3018", "3020", "3008", "3624"];

  // Signed links are long: show what they open, not the address.
  function linkLabel(url) {
    if (/\/rdv\/[^/]+\.ics$/.test(url)) return "Ajouter à mon agenda";
    if (/\/resume\//.test(url)) return "Ouvrir mon résumé";
    return url.length > 60 ? url.replace(/^https?:\/\//, "").split("/")[0] : url;
  }

  function telLink(shown) {
    var digits = shown.replace(/[^\d+]/g, "");
    return el("a", { href: "tel:" + digits, "class": "av-tel" }, shown);
  }

  // Phone numbers found in a piece of text: [{start, end, shown}], in order.
  function findPhones(text) {
    var found = [];
    var m;
    PHONE_RE.lastIndex = 0;
    while ((m = PHONE_RE.exec(text))) found.push({ start: m.index, end: m.index + m[0].length, shown: m[0] });
    SHORT_RE.lastIndex = 0;
    while ((m = SHORT_RE.exec(text))) {
      if (SHORT_NUMBERS.indexOf(m[2]) < 0) continue;
      var start = m.index + m[1].length;
      found.push({ start: start, end: start + m[2].length, shown: m[2] });
    }
    found.sort(function (a, b) { return a.start - b.start; });
    return found.filter(function (f, i) { return i === 0 || f.start >= found[i - 1].end; });
  }

  function appendPhones(parent, text) {
    var at = 0;
    findPhones(text).forEach(function (f) {
      if (f.start > at) parent.appendChild(document.createTextNode(text.slice(at, f.start)));
      parent.appendChild(telLink(f.shown));
      at = f.end;
    });
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // Text with clickable links and phone numbers, built with text nodes only (never innerHTML).
  function appendText(parent, text) {
    var parts = String(text).split(URL_RE);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      if (i % 2 === 1) {
        var url = parts[i].replace(/[.,;:!?)]+$/, "");
        var tail = parts[i].slice(url.length);
        var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, linkLabel(url));
        a.appendChild(el("span", { "class": "av-sr" }, T.newTab));
        parent.appendChild(a);
        if (tail) appendPhones(parent, tail);
      } else {
        appendPhones(parent, parts[i]);
      }
    }
  }

  function lastPhoneSaid() {
    for (var i = state.log.length - 1; i >= 0; i--) {
      var e = state.log[i];
      if (e.who === "bot" && e.text && !e.failed) {
        var f = findPhones(e.text).filter(function (x) { return x.shown.length > 4; });
        if (f.length) return f[f.length - 1].shown;
      }
    }
    return null;
  }

  function buttonNode(b, context, seen) {
    var name = b.title;
    if (seen[name]) name = b.title + " – " + context; // two buttons never share an accessible name
    seen[b.title] = true;
    if (b.url) {
      var a = el("a", { href: b.url, target: "_blank", rel: "noopener noreferrer", "class": "av-choice av-link" },
                 b.title);
      a.appendChild(el("span", { "class": "av-sr" }, T.newTab + (name !== b.title ? " – " + context : "")));
      return a;
    }
    var btn = el("button", { type: "button", "class": "av-choice" }, b.title);
    if (name !== b.title) btn.setAttribute("aria-label", name);
    btn.addEventListener("pointerdown", function (ev) { lastPointer = ev.pointerType; });
    btn.addEventListener("click", function (ev) { choose(b, ev); });
    return btn;
  }

  function renderEntry(entry, isLast, seen) {
    var li = el("li", { "class": "av-msg av-" + (entry.who === "user" ? "user" : "bot") });
    li.appendChild(el("span", { "class": "av-sr" }, entry.who === "user" ? T.you : T.bot));
    if (entry.text) {
      var p = el("p", { "class": "av-text" });
      appendText(p, entry.text);
      li.appendChild(p);
    }
    if (entry.image) {
      li.appendChild(el("img", { src: entry.image, alt: T.image, loading: "lazy", "class": "av-img" }));
    }
    // Only the latest bot message keeps its buttons: older choices are no longer relevant and
    // would only add tab stops.
    if (entry.buttons && entry.buttons.length && isLast) {
      var context = (entry.text || "").split("\n")[0].slice(0, 60);
      var group = el("div", { "class": "av-choices", role: "group", "aria-label": T.choices });
      entry.buttons.forEach(function (b) {
        var key = (b.url || b.payload) + "\u0000" + b.title;
        if (seen[key]) return; // the same choice twice in one reply: shown once
        seen[key] = true;
        group.appendChild(buttonNode(b, context, seen));
      });
      li.appendChild(group);
    }
    return li;
  }

  // Index of the last run of bot messages: their buttons stay active.
  function lastBotRun() {
    var i = state.log.length - 1;
    while (i >= 0 && state.log[i].who === "bot") i--;
    return i + 1;
  }

  // `firstNew`: index of the first entry of a new reply, scrolled to the top of the log so that
  // a long reply is read from its start; otherwise the log shows its end.
  function render(firstNew) {
    while (logList.firstChild) logList.removeChild(logList.firstChild);
    var firstActive = lastBotRun();
    var seen = {};
    var target = null;
    state.log.forEach(function (entry, i) {
      var li = renderEntry(entry, i >= firstActive, seen);
      if (i === firstNew) target = li;
      logList.appendChild(li);
    });
    if (target) {
      logList.scrollTop = Math.max(0, target.offsetTop - logList.offsetTop - 8);
    } else {
      logList.scrollTop = logList.scrollHeight;
    }
  }

  function announce(entries) {
    var said = entries.map(function (m) {
      var s = m.text || "";
      if (m.buttons && m.buttons.length) {
        s += " " + T.choicesSaid + m.buttons.map(function (b) { return b.title; }).join(" ; ") + ".";
      }
      return s;
    }).join(" ");
    live.textContent = "";
    // A short delay makes screen readers notice the change even for identical text.
    window.setTimeout(function () { live.textContent = said; }, 50);
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    logList.setAttribute("aria-busy", value ? "true" : "false");
    if (value) logList.scrollTop = logList.scrollHeight;
  }

  // ---- talking to the server ---------------------------------------------------------------
  function post(message) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? window.setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    return window.fetch(apiUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: message }),
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (resp) {
      return resp.json();
    }).then(function (data) {
      if (!data || !Array.isArray(data.messages)) throw new Error("bad reply");
      if (data.error === "unavailable" || data.error === "no_reply") {
        return { messages: data.messages, failed: true };
      }
      return { messages: data.messages, failed: false };
    }).catch(function () {
      return { messages: [{ text: T.offline }], failed: true };
    }).then(function (reply) {
      if (timer) window.clearTimeout(timer);
      return reply;
    });
  }

  function toEntries(messages) {
    var out = [];
    messages.forEach(function (m) {
      if (!m || (!m.text && !m.image && !(m.buttons && m.buttons.length))) return;
      var entry = { who: "bot" };
      if (m.text) entry.text = String(m.text);
      if (m.image) entry.image = String(m.image);
      if (m.buttons && m.buttons.length) {
        entry.buttons = m.buttons.map(function (b) {
          var out = { title: String(b.title), payload: String(b.payload || b.title) };
          if (typeof b.url === "string" && /^https?:\/\//.test(b.url)) out.url = b.url;
          return out;
        });
      }
      out.push(entry);
    });
    return out;
  }

  // What the widget says when the assistant cannot answer: try again, or call someone.
  function failureEntry(messages, message) {
    var text = (messages[0] && messages[0].text) || T.offline;
    var phone = helpPhone || lastPhoneSaid();
    if (phone) {
      text += "\n" + T.callUs + (helpPhone && helpName ? helpName + " : " : "") + phone + ".";
    } else {
      text += "\n" + T.callTownHall;
    }
    return { who: "bot", text: text, failed: true, buttons: [{ title: T.retry, payload: message, retry: true }] };
  }

  // Send a message; `shown` is what the transcript shows as the resident's words (null: nothing).
  // `focus`: "choices" (the first new choice, else the message field), "log" (after a tap on a
  // phone: no keyboard pop-up) or nothing. Resolves with the bot entries added.
  function send(message, shown, focus) {
    if (busy) return Promise.resolve([]);
    if (shown) {
      state.log.push({ who: "user", text: shown });
      save();
      render();
    }
    setBusy(true);
    return post(message).then(function (reply) {
      var entries = reply.failed ? [failureEntry(reply.messages, message)] : toEntries(reply.messages);
      var firstNew = state.log.length;
      state.log = state.log.concat(entries);
      save();
      setBusy(false);
      render(entries.length ? firstNew : undefined);
      if (entries.length) announce(entries);
      var first = logList.querySelector(".av-choice");
      if (focus === "choices" && first) {
        first.focus({ preventScroll: true });
      } else if (focus === "choices" || focus === "log") {
        (focus === "log" ? logList : input).focus({ preventScroll: true });
      }
      return entries;
    });
  }

  var lastPointer = null;

  function choose(button, ev) {
    if (busy) return;
    // A tap (not a key press) on a touch screen: keep the on-screen keyboard closed.
    var tapped = ev && ev.detail > 0 && (lastPointer === "touch" || lastPointer === "pen" || coarse);
    lastPointer = null;
    // The pressed button is about to disappear: keep the focus in the dialog.
    (tapped ? logList : input).focus({ preventScroll: true });
    if (button.retry) {
      // Drop the apology and send the same message again, without repeating the resident's words.
      var last = state.log[state.log.length - 1];
      if (last && last.failed) state.log.pop();
      save();
      render();
      send(button.payload, null, tapped ? "log" : "choices");
      return;
    }
    send(button.payload, button.title, tapped ? "log" : "choices");
  }

  function greet() {
    return send("/greet", null, null);
  }

  function restart() {
    if (busy) return;
    state.log = [];
    save();
    render();
    live.textContent = "";
    input.value = "";
    if (!coarse) input.focus();
    send("/restart", null, null).then(function (entries) {
      if (!entries.length) greet();
    });
  }

  // ---- opening, closing, keyboard ----------------------------------------------------------
  function open() {
    state.open = true;
    save();
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    render();
    // On a touch screen the message field would open the keyboard over the greeting.
    (coarse ? logList : input).focus({ preventScroll: true });
    if (!state.log.length) greet();
  }

  function close() {
    state.open = false;
    save();
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, input, a[href], [tabindex='0']"),
      function (n) { return !n.disabled && n.offsetParent !== null; }
    );
  }

  panel.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      ev.preventDefault();
      close();
      return;
    }
    if (ev.key !== "Tab") return;
    // Keep the focus inside the dialog (it covers the page on phones).
    var items = focusables();
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    if (text.length > MAX_CHARS) {
      live.textContent = T.tooLong;
      return;
    }
    input.value = "";
    send(text, text, null);
  });

  launcher.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  restartBtn.addEventListener("click", restart);
  privacyBtn.addEventListener("click", function () { send("/privacy", "Qui voit mes réponses ?", "choices"); });

  render();
  if (state.open) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (!state.log.length) greet();
  }

  window.avecvousWidget = { open: open, close: close, restart: restart };
})();
