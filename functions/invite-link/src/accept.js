(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var KEY = "partnerhub.token";
  var $ = function (id) { return document.getElementById(id); };

  // A deployed sign-in (Cognito hosted UI) returns the ID token in the fragment.
  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("id_token")) {
    sessionStorage.setItem(KEY, fragment.get("id_token"));
    history.replaceState(null, "", location.pathname);
  }

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

  function showSignIn() {
    $("choose").hidden = true;
    $("sign-in").hidden = false;
    if (config.local_token_path) { $("local-sign-in").hidden = false; }
    if (config.sign_in_url) {
      $("hosted-sign-in").hidden = false;
      var back = location.origin + location.pathname;
      $("sign-in-link").href = config.sign_in_url + (config.sign_in_url.indexOf("?") < 0 ? "?" : "&") +
        "redirect_uri=" + encodeURIComponent(back);
    }
  }

  function showOrgs() {
    return api("GET", "/v1/me").then(function (me) {
      if (me.status === 401) { sessionStorage.removeItem(KEY); showSignIn(); return; }
      var full = ((me.body && me.body.orgs) || []).filter(function (o) { return o.access === "full"; });
      $("sign-in").hidden = true;
      $("choose").hidden = false;
      var select = $("org");
      while (select.firstChild) { select.removeChild(select.firstChild); }
      full.forEach(function (o) {
        var option = document.createElement("option");
        option.value = o.org_id;
        option.textContent = o.name + " (" + o.org_id + ")";
        select.appendChild(option);
      });
      $("accept").disabled = full.length === 0;
      if (full.length === 0) {
        say("You are not a full administrator of any organization. Ask a full administrator of your organization to accept.", "error");
      } else {
        say("");
      }
    });
  }

  $("sign-in-button").addEventListener("click", function () {
    fetch(config.local_token_path, { method: "POST", headers: { "Content-Type": "application/json" },
                                     body: JSON.stringify({ email: $("email").value }) })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (!answer.token) { say("Sign-in failed: " + ((answer.error && answer.error.message) || "unknown error"), "error"); return; }
        sessionStorage.setItem(KEY, answer.token);
        return showOrgs();
      });
  });

  $("sign-out").addEventListener("click", function () { sessionStorage.removeItem(KEY); say(""); showSignIn(); });

  $("accept").addEventListener("click", function () {
    var org = $("org").value;
    $("accept").disabled = true;
    api("POST", config.accept_path, { customer_org_id: org }).then(function (answer) {
      $("accept").disabled = false;
      var code = answer.body && answer.body.error && answer.body.error.code;
      if (answer.status === 201) { say("Connected: " + config.partner_name + " is now your partner.", "ok"); }
      else if (answer.status === 200) { say("Already connected: " + config.partner_name + " is already your partner.", "ok"); }
      else if (code === "partner_customer_limit") { say(config.partner_name + " has reached its limit of customers and cannot accept more right now.", "error"); }
      else if (answer.status === 403 || answer.status === 404) { say("You must be a full administrator of the organization to connect it.", "error"); }
      else if (code === "self_connection") { say("An organization cannot be its own partner.", "error"); }
      else if (answer.status === 401) { sessionStorage.removeItem(KEY); showSignIn(); }
      else { say("Something went wrong; please try again.", "error"); }
    });
  });

  if (sessionStorage.getItem(KEY)) { showOrgs(); } else { showSignIn(); }
})();
