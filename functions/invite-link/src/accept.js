(function () {
  "use strict";
  // The accept page's one script (pinned by hash in the page's policy). The token is
  // the console's: /sign-in puts it in this tab's sessionStorage and comes back here.
  var config = JSON.parse(document.getElementById("config").textContent);
  var KEY = "partnerhub.token";
  var NEW = "__new__";
  var $ = function (id) { return document.getElementById(id); };

  function say(text, kind) {
    var result = $("result");
    result.textContent = text;
    result.className = kind || "";
  }

  function api(method, path, body) {
    var headers = { "Authorization": "Bearer " + (sessionStorage.getItem(KEY) || "") };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                         credentials: "omit", referrerPolicy: "no-referrer" })
      .then(function (r) {
        return r.text().then(function (t) {
          var parsed = null;
          try { parsed = JSON.parse(t); } catch (e) { parsed = null; }
          return { status: r.status, body: parsed };
        });
      });
  }

  function claims() {
    try {
      var part = (sessionStorage.getItem(KEY) || "").split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    } catch (e) { return {}; }
  }

  function showSignIn() {
    $("choose").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-link").href = "/sign-in?next=" + encodeURIComponent(config.page_path);
  }

  function pickedNew() { $("new-org").hidden = $("org").value !== NEW; }

  function showOrgs() {
    return api("GET", "/v1/me").then(function (me) {
      if (me.status === 401) { sessionStorage.removeItem(KEY); showSignIn(); return; }
      if (me.status !== 200) { say("Your organizations could not be read: " + ((me.body && me.body.error && me.body.error.message) || me.status), "error"); return; }
      var full = (me.body.orgs || []).filter(function (o) { return o.access === "full"; });
      $("sign-in").hidden = true;
      $("choose").hidden = false;
      $("signed-in-as").textContent = me.body.email || claims().email || "";
      var select = $("org");
      while (select.firstChild) { select.removeChild(select.firstChild); }
      full.forEach(function (o) {
        var option = document.createElement("option");
        option.value = o.org_id;
        option.textContent = o.name + " (" + o.org_id + ")";
        select.appendChild(option);
      });
      var create = document.createElement("option");
      create.value = NEW;
      create.textContent = "Create a new organization";
      select.appendChild(create);
      select.value = full.length ? full[0].org_id : NEW;
      pickedNew();
      say("");
    });
  }

  function finished(org, text) {
    say(text, "ok");
    $("choose").hidden = true;
    $("console-link").href = "/orgs/" + encodeURIComponent(org) + "/partners";
    $("next").hidden = false;
  }

  function accept(org) {
    return api("POST", config.accept_path, { customer_org_id: org }).then(function (answer) {
      var code = answer.body && answer.body.error && answer.body.error.code;
      if (answer.status === 201) { finished(org, "Connected: " + config.partner_name + " is now your partner."); }
      else if (answer.status === 200) { finished(org, "Already connected: " + config.partner_name + " is already your partner."); }
      else if (code === "partner_customer_limit") { say(config.partner_name + " has reached its limit of customers and cannot accept more right now.", "error"); }
      else if (code === "self_connection") { say("An organization cannot be its own partner.", "error"); }
      else if (code === "email_not_verified") { say("Verify your email address first, then sign in again.", "error"); }
      else if (answer.status === 403 || answer.status === 404) { say("You must be a full administrator of the organization to connect it.", "error"); }
      else if (answer.status === 401) { sessionStorage.removeItem(KEY); showSignIn(); }
      else { say("Something went wrong; please try again.", "error"); }
    });
  }

  $("org").addEventListener("change", pickedNew);
  $("sign-out").addEventListener("click", function () { sessionStorage.removeItem(KEY); say(""); showSignIn(); });
  $("decline").addEventListener("click", function () {
    $("choose").hidden = true;
    $("sign-in").hidden = true;
    say("You declined: " + config.partner_name + " is not connected to your organization and sees nothing of it. You can close this page.", "ok");
  });

  $("accept").addEventListener("click", function () {
    var org = $("org").value;
    var button = $("accept");
    button.disabled = true;
    var done = function () { button.disabled = false; };
    if (org !== NEW) { accept(org).then(done, done); return; }
    var name = $("new-org-name").value.trim();
    if (!name) { say("Give the new organization a name.", "error"); done(); return; }
    var body = { name: name };
    var country = $("new-org-country").value.trim().toUpperCase();
    if (country) { body.country = country; }
    api("POST", "/v1/signup", body).then(function (created) {
      if (created.status !== 201) {
        say("The organization could not be created: " + ((created.body && created.body.error && created.body.error.message) || created.status), "error");
        return;
      }
      return accept(created.body.org_id);
    }).then(done, done);
  });

  if (sessionStorage.getItem(KEY)) { showOrgs(); } else { showSignIn(); }
})();
