// Signing in. Locally the gateway mints a token (`POST /local/token`); deployed the
// Cognito hosted UI signs people in with the authorization-code flow and PKCE, and
// the console trades the code for an ID token at the pool's token endpoint.
// `/config.json` says which: the local gateway answers it, `make deploy` uploads it.
// The token lives in sessionStorage under the key the accept pages read too.

export const TOKEN_KEY = "partnerhub.token";
const PKCE_KEY = "partnerhub.pkce";

export type AuthConfig =
  | { mode: "local"; token_path: string }
  | { mode: "cognito"; auth_domain: string; client_id: string; redirect_uri: string; logout_uri?: string };

let config: AuthConfig | null = null;

export async function loadConfig(): Promise<AuthConfig> {
  if (config) return config;
  const response = await fetch("/config.json", { credentials: "omit" });
  config = response.ok ? ((await response.json()) as AuthConfig) : { mode: "local", token_path: "/local/token" };
  return config;
}

export function getToken(): string | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const claims = tokenClaims(token);
  if (claims && typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

export function tokenClaims(token: string): Record<string, unknown> | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}

export function signedInEmail(): string | null {
  const token = getToken();
  const email = token ? tokenClaims(token)?.email : null;
  return typeof email === "string" ? email : null;
}

const listeners = new Set<() => void>();
export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function changed() {
  listeners.forEach((l) => l());
}

export function signOut() {
  const had = sessionStorage.getItem(TOKEN_KEY) !== null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (had) changed();
}

/** Only a path on this origin may be returned to after signing in. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/orgs";
}

/** Local sign-in: the gateway mints a token for the email. */
export async function signInLocally(email: string): Promise<void> {
  const cfg = await loadConfig();
  if (cfg.mode !== "local") throw new Error("local sign-in is not available here");
  const response = await fetch(cfg.token_path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  const answer = await response.json();
  if (!response.ok || !answer.token) throw new Error(answer?.error?.message ?? "sign-in failed");
  sessionStorage.setItem(TOKEN_KEY, answer.token);
  changed();
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  bytes.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Deployed sign-in: off to the hosted UI with a PKCE challenge; `finishHostedSignIn` completes it. */
export async function startHostedSignIn(next: string): Promise<void> {
  const cfg = await loadConfig();
  if (cfg.mode !== "cognito") throw new Error("hosted sign-in is not configured");
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, next: safeNext(next) }));
  const url = new URL("/oauth2/authorize", cfg.auth_domain);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: cfg.client_id,
    redirect_uri: cfg.redirect_uri,
    scope: "openid email profile",
    state,
    code_challenge_method: "S256",
    code_challenge: challenge,
  }).toString();
  location.assign(url.toString());
}

/** The hosted UI's redirect back (`/callback?code=&state=`): trade the code for tokens. */
export async function finishHostedSignIn(search: string): Promise<string> {
  const cfg = await loadConfig();
  if (cfg.mode !== "cognito") throw new Error("hosted sign-in is not configured");
  const params = new URLSearchParams(search);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null") as { verifier: string; state: string; next: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  if (params.get("error")) throw new Error(params.get("error_description") ?? params.get("error") ?? "sign-in failed");
  const code = params.get("code");
  if (!saved || !code || params.get("state") !== saved.state) throw new Error("this sign-in answer does not match a sign-in started here; try again");
  const response = await fetch(new URL("/oauth2/token", cfg.auth_domain).toString(), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cfg.client_id,
      code,
      redirect_uri: cfg.redirect_uri,
      code_verifier: saved.verifier,
    }).toString(),
  });
  const answer = await response.json();
  if (!response.ok || !answer.id_token) throw new Error(answer?.error ?? "the token exchange failed");
  sessionStorage.setItem(TOKEN_KEY, answer.id_token);
  changed();
  return saved.next;
}

export async function hostedSignOutUrl(): Promise<string | null> {
  const cfg = await loadConfig();
  if (cfg.mode !== "cognito" || !cfg.logout_uri) return null;
  const url = new URL("/logout", cfg.auth_domain);
  url.search = new URLSearchParams({ client_id: cfg.client_id, logout_uri: cfg.logout_uri }).toString();
  return url.toString();
}
