/* AppWatch: the one-page complaint form (/file/quick/). The server renders every step as a
   section; this shows one at a time, checks each with the browser's own constraint
   validation before moving on (the API stays the authority), shows what will be sent, and
   files with one request to the filing API. Text fields are kept in sessionStorage so a
   reload loses nothing; files cannot be kept. Its words come from the page
   (#filing-strings), never from here. Without JavaScript the page points to the step form. */
(function () {
  "use strict";
  var root = document.querySelector("[data-one-page-filing]");
  var form = root && root.querySelector("form.one-page-form");
  var stringsElement = document.getElementById("filing-strings");
  if (!form || !stringsElement || !window.fetch || !window.FormData || !window.sessionStorage) return;
  var strings = JSON.parse(stringsElement.textContent);
  var STORE = "appwatch:filing-draft";
  var sections = Array.prototype.slice.call(form.querySelectorAll("section[data-step]"));
  var general = form.querySelector("[data-general-error]");
  var buttons = {
    back: form.querySelector("[data-action=back]"),
    next: form.querySelector("[data-action=next]"),
    send: form.querySelector("[data-action=send]"),
    retry: form.querySelector("[data-action=retry]"),
    renew: form.querySelector("[data-action=renew]")
  };
  var current = 0;
  var sending = false;
  var draft = load();

  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (saved && typeof saved === "object" && saved.fields) return saved;
    } catch (error) { /* a damaged draft: start afresh */ }
    return { key: newKey(), fields: {}, step: 0 };
  }

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(draft)); } catch (error) { /* full or refused: the form still works */ }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // --- fields ------------------------------------------------------------------------------

  function controls(scope) {
    return Array.prototype.slice.call((scope || form).querySelectorAll("input[name], select[name], textarea[name]"));
  }

  function kind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "";
  }

  function detailsSection() {
    var code = kind();
    return code ? form.querySelector('section[data-step=details][data-kind="' + code + '"]') : null;
  }

  // The sections this draft goes through: the details only of the chosen kind, if it has any.
  function flow() {
    var details = detailsSection();
    return sections.filter(function (section) {
      return section.dataset.step !== "details" || section === details;
    });
  }

  function restore() {
    controls().forEach(function (el) {
      if (el.type === "file" || !(el.name in draft.fields)) return;
      var value = draft.fields[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(value) ? value.indexOf(el.value) >= 0 : value === el.value;
      } else {
        el.value = value;
      }
    });
  }

  function remember(el) {
    if (!el.name || el.type === "file") return;
    if (el.type === "checkbox") {
      draft.fields[el.name] = controls().filter(function (box) {
        return box.name === el.name && box.checked;
      }).map(function (box) { return box.value; });
    } else if (el.type === "radio") {
      var checked = form.querySelector('input[name="' + el.name + '"]:checked');
      draft.fields[el.name] = checked ? checked.value : "";
    } else {
      draft.fields[el.name] = el.value;
    }
    save();
  }

  // Only the chosen kind's details are live: the others' required fields neither block the
  // way nor get sent.
  function enableDetails() {
    var details = detailsSection();
    form.querySelectorAll("[data-details-fields]").forEach(function (set) {
      set.disabled = !details || !details.contains(set);
    });
  }

  // --- the app: the registry's apps offered as the consumer types ----------------------------

  var appName = form.elements.namedItem("app_name");
  var suggestions = document.getElementById("app-suggestions");
  var offered = [];
  var searchTimer = null;
  var searches = 0;
  var answered = {};  // query -> apps: typing back and forth asks the server once a query
  var asking = {};  // query -> its search on the way
  // The apps consumers name most lately, offered before anything is typed. Each one's name is
  // answered already, with any other app of that name: typed in full (or picked), it files
  // linked to its app without a search, unless two apps bear it.
  var namedMost = JSON.parse(document.getElementById("apps-named-most").textContent);
  namedMost.forEach(function (app) {
    var query = app.name.trim().slice(0, 100);
    (answered[query] = answered[query] || []).push(app);
  });

  // The registry app the typed name is, when exactly one offered app has that name (two of
  // one name: the typed name goes alone, and a regulator links it).
  function chosenApp() {
    var typed = appName.value.trim();
    var same = offered.filter(function (app) { return app.name === typed; });
    return same.length === 1 ? same[0] : null;
  }

  function offer(apps) {
    offered = apps;
    suggestions.textContent = "";
    offered.forEach(function (app) {
      var option = document.createElement("option");
      option.value = app.name;
      if (app.package_name) option.label = app.package_name;
      suggestions.appendChild(option);
    });
  }

  // Offers the apps that match the typed name; the promise settles once they are offered
  // (or the search failed, or a later one took its place). A name already on its way to the
  // server is not asked for twice.
  function search() {
    var query = appName.value.trim().slice(0, 100);
    var number = ++searches;
    if (!query) { offer(namedMost); return Promise.resolve(); }
    if (!answered[query] && !asking[query]) {
      asking[query] = fetch(form.dataset.appSearch + "?q=" + encodeURIComponent(query), { headers: { "Accept": "application/json" } })
        // Refused (too many searches): nothing offered and nothing remembered, so the same
        // name typed later asks again; the typed name still files.
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          delete asking[query];
          if (answer) answered[query] = answer.results || [];
        }, function () { delete asking[query]; /* offline: the typed name still files */ });
    }
    return Promise.resolve(asking[query]).then(function () {
      // Else a later search is under way, and offers its own apps.
      if (number === searches && answered[query]) offer(answered[query]);
    });
  }

  // --- moving between sections -------------------------------------------------------------

  function show(index, focus) {
    var steps = flow();
    current = Math.max(0, Math.min(index, steps.length - 1));
    sections.forEach(function (section) { section.hidden = section !== steps[current]; });
    var name = steps[current].dataset.step;
    form.querySelectorAll("[data-for-step]").forEach(function (item) {
      var at = steps.map(function (s) { return s.dataset.step; }).indexOf(item.dataset.forStep);
      item.hidden = at < 0;
      item.classList.toggle("current", at === current);
      item.classList.toggle("done", at >= 0 && at < current);
      if (at === current) item.setAttribute("aria-current", "step"); else item.removeAttribute("aria-current");
    });
    form.querySelector("[data-progress]").textContent = strings.progress
      .replace("{n}", current + 1).replace("{count}", steps.length);
    buttons.back.hidden = current === 0;
    buttons.next.hidden = name === "review";
    buttons.send.hidden = name !== "review";
    if (name === "review") review();
    draft.step = current;
    save();
    if (focus) {
      var heading = steps[current].querySelector("h1");
      heading.focus();
      heading.scrollIntoView({ block: "start" });
    }
  }

  function valid(section) {
    var bad = controls(section).filter(function (el) { return !el.disabled && !el.checkValidity(); });
    if (bad.length) bad[0].reportValidity();
    return bad.length === 0;
  }

  // --- the review --------------------------------------------------------------------------

  function value(name) {
    var el = form.elements.namedItem(name);
    return el ? (el.value || "").trim() : "";
  }

  function labelOf(el) {
    var label = el.id && form.querySelector('label[for="' + el.id + '"]');
    return label ? label.textContent.trim() : "";
  }

  function fieldTitle(el) {
    var set = el.closest("fieldset:not([data-details-fields])");
    var legend = set && set.querySelector("legend");
    if ((el.type === "radio" || el.type === "checkbox") && legend) return legend.textContent.trim();
    return labelOf(el);
  }

  function fill(name, text) {
    form.querySelector('[data-review="' + name + '"]').textContent = text;
  }

  function review() {
    fill("app", [value("app_name"), value("app_version"), value("app_store")].filter(Boolean).join(" · "));
    fill("description", value("description"));
    var chosen = form.querySelector("input[name=kind]:checked");
    fill("kind", chosen && chosen.value ? labelOf(chosen) : strings.not_sure);
    var when = value("occurred_date");
    form.querySelector("[data-review-row=when]").hidden = !when;
    fill("when", when);
    var list = form.querySelector("[data-review=details]");
    list.textContent = "";
    var details = detailsSection();
    form.querySelector("[data-review-row=details]").hidden = !details;
    if (details) {
      var rows = {};
      var order = [];
      controls(details).forEach(function (el) {
        var shown = "";
        if (el.type === "radio" || el.type === "checkbox") shown = el.checked ? labelOf(el) : "";
        else if (el.tagName === "SELECT") shown = el.value ? el.options[el.selectedIndex].text : "";
        else shown = el.value.trim();
        if (!shown) return;
        var title = fieldTitle(el);
        if (!(title in rows)) { rows[title] = []; order.push(title); }
        rows[title].push(shown);
      });
      order.forEach(function (title) {
        var item = document.createElement("li");
        item.textContent = title + ": " + rows[title].join(", ");
        list.appendChild(item);
      });
    }
    var files = form.elements.namedItem("files").files;
    fill("files", files.length ? Array.prototype.map.call(files, function (f) { return f.name; }).join(", ") : strings.none);
    var contact = [value("contact_name"), value("contact_phone"), value("contact_email")].filter(Boolean).join(" ");
    fill("contact", contact || strings.none_given);
    var share = form.elements.namedItem("consent_share_with_operator").checked;
    var publish = form.elements.namedItem("consent_publish").checked;
    form.querySelector("[data-review-consent=share]").hidden = !share;
    form.querySelector("[data-review-consent=no-share]").hidden = share;
    form.querySelector("[data-review-consent=publish]").hidden = !publish;
    form.querySelector("[data-review-consent=no-publish]").hidden = publish;
  }

  // --- sending -----------------------------------------------------------------------------

  var TOP_LEVEL = ["app_name", "app_version", "app_store", "description", "occurred_date",
    "contact_name", "contact_phone", "contact_email"];

  function detailsBody() {
    var details = detailsSection();
    if (!details) return null;
    var prefix = "details-" + kind() + "-";
    var body = {};
    controls(details).forEach(function (el) {
      var name = el.name.slice(prefix.length);
      if (el.type === "checkbox") {
        body[name] = body[name] || [];
        if (el.checked) body[name].push(el.value);
      } else if (el.type === "radio") {
        if (!(name in body)) body[name] = "";
        if (el.checked) body[name] = el.value;
      } else {
        body[name] = el.value;
      }
    });
    return body;
  }

  function request() {
    var body = { channel: "web" };
    TOP_LEVEL.forEach(function (name) { if (value(name)) body[name] = value(name); });
    var app = chosenApp();
    if (app) body.app = app.id;
    if (kind()) body.category_hint = kind();
    var details = detailsBody();
    if (details) body.details = details;
    body.consent_share_with_operator = form.elements.namedItem("consent_share_with_operator").checked;
    body.consent_publish = form.elements.namedItem("consent_publish").checked;
    var files = form.elements.namedItem("files").files;
    var headers = { "Idempotency-Key": draft.key, "Accept": "application/json" };
    if (root.dataset.csrfToken) headers["X-CSRFToken"] = root.dataset.csrfToken;
    if (!files.length) {
      headers["Content-Type"] = "application/json";
      return { headers: headers, body: JSON.stringify(body) };
    }
    var data = new FormData();
    Object.keys(body).forEach(function (name) {
      data.append(name, name === "details" ? JSON.stringify(body[name]) : String(body[name]));
    });
    Array.prototype.forEach.call(files, function (file) { data.append("evidence", file); });
    return { headers: headers, body: data };
  }

  function busy(on) {
    sending = on;
    buttons.send.disabled = on;
    buttons.retry.disabled = on;
    buttons.renew.disabled = on;
    buttons.back.disabled = on;
    buttons.send.textContent = on ? strings.sending : buttons.send.dataset.label;
  }

  // The typed name looked up before it is sent, when no search has answered for it yet (typed
  // and sent within the search's pause, or brought back from the draft): a registry app's
  // name then files linked to its app. A slow search holds the filing back at most LOOKUP_WAIT.
  var LOOKUP_WAIT = 3000;
  function lookedUp() {
    clearTimeout(searchTimer);
    return Promise.race([
      search(),
      new Promise(function (resolve) { setTimeout(resolve, LOOKUP_WAIT); })
    ]);
  }

  function send() {
    if (sending) return;
    clearErrors();
    busy(true);
    lookedUp().then(post);
  }

  function post() {
    var sent = request();
    fetch(form.dataset.api, { method: "POST", headers: sent.headers, body: sent.body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          busy(false);
          if (response.status === 201) done(answer);
          else if (appGone(answer.error)) { forgetApp(); busy(true); post(); }
          else if (response.status >= 500) generalError(strings.server, true);
          else if (response.status === 409) generalError(strings.conflict, false, true);
          else refused(answer.error || {});
        });
      }, function () {
        busy(false);
        generalError(strings.offline, true);
      });
  }

  // The registry app offered for the typed name was refused, and nothing else was: it left the
  // registry after the search offered it (an administrator merged or removed it). The
  // complaint then goes with the name alone, as one naming no registry app does, and a
  // regulator links it; the consumer has nothing to correct.
  function appGone(error) {
    var fields = (error && error.fields) || {};
    return Object.keys(fields).length === 1 && Boolean(fields.app) && Boolean(chosenApp());
  }

  function forgetApp() {
    answered[appName.value.trim().slice(0, 100)] = [];
    offer([]);
  }

  // --- errors ------------------------------------------------------------------------------

  function clearErrors() {
    general.hidden = true;
    form.querySelectorAll("[data-api-error]").forEach(function (list) { list.remove(); });
    form.querySelectorAll(".field.has-error").forEach(function (field) { field.classList.remove("has-error"); });
    controls().forEach(function (el) {
      if (el.getAttribute("aria-invalid")) {
        el.removeAttribute("aria-invalid");
        var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
          return id.indexOf("-api-error") < 0;
        }).join(" ");
        if (described) el.setAttribute("aria-describedby", described); else el.removeAttribute("aria-describedby");
      }
    });
  }

  function generalError(message, retry, renew) {
    form.querySelector("[data-general-message]").textContent = message;
    form.querySelector("[data-retry]").hidden = !(retry || renew);
    buttons.retry.hidden = !retry;
    buttons.renew.hidden = !renew;
    general.hidden = false;
    general.focus();
    general.scrollIntoView({ block: "start" });
  }

  // The API's field names, as this page names its inputs.
  function inputName(field) {
    if (field === "category_hint") return "kind";
    if (field === "evidence") return "files";
    if (field.indexOf("details.") === 0) return "details-" + kind() + "-" + field.slice(8);
    return field;
  }

  function refused(error) {
    var fields = error.fields || {};
    var steps = flow();
    var first = null;
    var unplaced = [];
    Object.keys(fields).forEach(function (field) {
      var inputs = controls().filter(function (el) { return el.name === inputName(field) && !el.disabled; });
      if (!inputs.length) { unplaced = unplaced.concat(fields[field]); return; }
      var box = inputs[0].closest(".field");
      var list = document.createElement("ul");
      list.className = "errorlist";
      list.id = inputs[0].id + "-api-error";
      list.setAttribute("data-api-error", "");
      fields[field].forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      var caption = box.querySelector("legend, label");
      caption.parentNode.insertBefore(list, caption.nextSibling);
      box.classList.add("has-error");
      inputs.forEach(function (el) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + list.id).trim());
      });
      var at = steps.indexOf(inputs[0].closest("section"));
      if (first === null || at < first.at) first = { at: at, el: inputs[0] };
    });
    if (first === null) {
      generalError(unplaced[0] || error.message || strings.unknown, false);
      return;
    }
    show(first.at, false);
    first.el.focus();
    first.el.scrollIntoView({ block: "center" });
  }

  // --- done --------------------------------------------------------------------------------

  function done(answer) {
    sessionStorage.removeItem(STORE);
    var box = root.querySelector("[data-done]");
    box.querySelector("[data-done-field=tracking_number]").textContent = answer.tracking_number;
    box.querySelector("[data-done-field=access_token]").textContent = answer.access_token;
    var link = box.querySelector("[data-done-link]");
    link.href = answer.status_url;
    link.textContent = answer.status_url;
    box.querySelector("[data-done-status]").href = answer.status_url;
    box.querySelector("[data-done-next]").textContent = strings.due.replace("{date}", answer.decision_due_date);
    form.remove();
    box.hidden = false;
    var signup = root.querySelector("[data-done-signup]");
    if (signup) signup.hidden = false;
    root.querySelector("[data-step-path]").hidden = true;
    box.querySelector("h1").focus();
    window.scrollTo(0, 0);
  }

  // --- wiring ------------------------------------------------------------------------------

  buttons.send.dataset.label = buttons.send.textContent;
  restore();
  search();  // the name brought back from the draft, or the apps named most
  enableDetails();
  form.hidden = false;
  show(Math.min(draft.step || 0, flow().length - 1), false);
  save();

  form.addEventListener("input", function (event) {
    remember(event.target);
    if (event.target === appName) {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 250);
    }
  });
  form.addEventListener("change", function (event) {
    remember(event.target);
    if (event.target.name === "kind") enableDetails();
  });
  buttons.next.addEventListener("click", function () {
    if (valid(flow()[current])) show(current + 1, true);
  });
  buttons.back.addEventListener("click", function () { show(current - 1, true); });
  buttons.retry.addEventListener("click", send);
  // The key already filed a complaint with other answers (sent, its answer lost, then
  // changed): only the consumer can say this is a new complaint.
  buttons.renew.addEventListener("click", function () {
    draft.key = newKey();
    save();
    send();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // Enter in a text field submits the form: before the review it means "continue".
    if (flow()[current].dataset.step === "review") send();
    else buttons.next.click();
  });
})();
