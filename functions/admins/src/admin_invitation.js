(function () {
  "use strict";
  // The admin invitation page's one script (pinned by hash in the page's policy).
  var config = JSON.parse(document.getElementById("config").textContent);
  var KEY = "partnerhub.token";
  var $ = function (id) { return document.getElementById(id); };

  function say(text, kind) { $("result").textContent = text; $("result").className = kind || ""; }

  function email() {
    try {
      var part = (sessionStorage.getItem(KEY) || "").split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).email || "");
    } catch (e) { return ""; }
  }

  function showSignIn() {
    $("signed-in").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-link").href = "/sign-in?next=" + encodeURIComponent(config.page_path);
  }

  function showSignedIn() {
    var who = email();
    $("sign-in").hidden = true;
    $("signed-in").hidden = false;
    $("signed-in-as").textContent = who;
    if (who.toLowerCase() !== String(config.email).toLowerCase()) {
      say("This invitation is for " + config.email + ": sign in with that address to accept it.", "error");
    } else {
      say("");
    }
  }

  $("sign-out").addEventListener("click", function () { sessionStorage.removeItem(KEY); say(""); showSignIn(); });

  $("accept").addEventListener("click", function () {
    $("accept").disabled = true;
    fetch(config.accept_path, { method: "POST", credentials: "omit", referrerPolicy: "no-referrer",
                                headers: { "Authorization": "Bearer " + (sessionStorage.getItem(KEY) || "") } })
      .then(function (r) { return r.text().then(function (t) { var b = null; try { b = JSON.parse(t); } catch (e) { b = null; } return { status: r.status, body: b }; }); })
      .then(function (answer) {
        $("accept").disabled = false;
        var code = answer.body && answer.body.error && answer.body.error.code;
        if (answer.status === 200) {
          say("Accepted: you are now an administrator of " + config.org_name + ".", "ok");
          $("signed-in").hidden = true;
          $("console-link").href = "/orgs/" + encodeURIComponent(config.org_id);
          $("next").hidden = false;
        } else if (answer.status === 410) { say("This invitation was already used or has expired.", "error"); $("signed-in").hidden = true; }
        else if (code === "email_not_verified") { say("Verify your email address first, then sign in again.", "error"); }
        else if (answer.status === 403) { say("This invitation is for " + config.email + ": sign in with that address to accept it.", "error"); }
        else if (answer.status === 401) { sessionStorage.removeItem(KEY); showSignIn(); }
        else if (answer.status === 404) { say("This invitation does not exist.", "error"); }
        else { say("Something went wrong; please try again.", "error"); }
      }, function () { $("accept").disabled = false; say("Partner Hub could not be reached; please try again.", "error"); });
  });

  if (sessionStorage.getItem(KEY)) { showSignedIn(); } else { showSignIn(); }
})();
