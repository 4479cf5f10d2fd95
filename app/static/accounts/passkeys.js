// Passkeys (WebAuthn): add one, or sign in with one. The server sends the options as JSON
// (binary values in base64url) and checks everything the authenticator answers.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }
  function toB64(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }
  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }
  function encode(credential) {
    var r = credential.response, json = {
      id: credential.id,
      rawId: toB64(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      json.response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) json.response.transports = r.getTransports();
    } else {
      json.response.authenticatorData = toB64(r.authenticatorData);
      json.response.signature = toB64(r.signature);
      if (r.userHandle) json.response.userHandle = toB64(r.userHandle);
    }
    return json;
  }

  function add(button, error) {
    var nameField = document.getElementById("passkey-name");
    return post(button.dataset.options, button.dataset.csrf).then(function (o) {
      o.challenge = toBytes(o.challenge);
      o.user.id = toBytes(o.user.id);
      o.excludeCredentials = descriptors(o.excludeCredentials);
      return navigator.credentials.create({ publicKey: o });
    }).then(function (credential) {
      return post(button.dataset.verify, button.dataset.csrf, {
        credential: encode(credential),
        name: nameField ? nameField.value : "",
      });
    });
  }
  function signIn(button) {
    return post(button.dataset.options, button.dataset.csrf).then(function (o) {
      o.challenge = toBytes(o.challenge);
      o.allowCredentials = descriptors(o.allowCredentials);
      return navigator.credentials.get({ publicKey: o });
    }).then(function (credential) {
      return post(button.dataset.verify, button.dataset.csrf, { credential: encode(credential) });
    });
  }

  document.querySelectorAll("[data-passkey-add], [data-passkey-sign-in]").forEach(function (box) {
    box.hidden = false;
    var button = box.querySelector("[data-passkey-action]");
    var error = box.querySelector("[data-passkey-error]");
    button.addEventListener("click", function () {
      error.textContent = "";
      button.disabled = true;
      var action = button.dataset.passkeyAction === "add" ? add : signIn;
      action(button, error).then(function (answer) {
        if (answer.ok) { window.location.assign(answer.redirect); return; }
        error.textContent = answer.error;
        button.disabled = false;
      }).catch(function () {
        error.textContent = button.dataset.failed;
        button.disabled = false;
      });
    });
  });
})();
