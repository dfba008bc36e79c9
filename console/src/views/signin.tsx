import { useEffect, useState } from "preact/hooks";
import { finishHostedSignIn, loadConfig, safeNext, signInLocally, startHostedSignIn, type AuthConfig } from "../auth";
import { navigate } from "../router";

export function SignIn({ next }: { next: string | null }) {
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);
  const target = safeNext(next === "/sign-in" ? null : next);
  useEffect(() => {
    loadConfig().then(setConfig);
  }, []);

  async function local(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await signInLocally(email.trim());
      // Accept pages are served by the API, so reach them with a full load.
      if (/^\/(invite|admin-invitations)\//.test(target)) location.assign(target);
      else navigate(target, true);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <main class="page narrow">
      <h1>Sign in to Partner Hub</h1>
      {config?.mode === "local" && (
        <form onSubmit={local} class="card">
          <p class="muted">Local development: signing in mints a token for the email you enter.</p>
          <label for="sign-in-email">Email</label>
          <input id="sign-in-email" type="email" autoComplete="email" required value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          <button type="submit" id="sign-in-submit">Sign in</button>
        </form>
      )}
      {config?.mode === "cognito" && (
        <div class="card">
          <p>Sign in, or create your Partner Hub user, with your work email.</p>
          <button type="button" id="hosted-sign-in" onClick={() => startHostedSignIn(target).catch((e) => setError(String(e)))}>
            Continue to sign-in
          </button>
          <p class="muted">New here? Choose "Sign up" on the next page. Forgot your password? Choose "Forgot your password?" there.</p>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      <p class="muted">
        <a href="/docs/">API reference</a>
      </p>
    </main>
  );
}

export function Callback() {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    finishHostedSignIn(location.search).then(
      (next) => {
        if (/^\/(invite|admin-invitations)\//.test(next)) location.assign(next);
        else navigate(next, true);
      },
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  return (
    <main class="page narrow">
      <h1>Signing in…</h1>
      {error && (
        <p role="alert" class="error">
          {error} <a href="/sign-in">Sign in again</a>
        </p>
      )}
    </main>
  );
}
