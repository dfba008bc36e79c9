import { useState } from "preact/hooks";
import { call, errorText, type Me } from "../api";
import { signedInEmail, signOut } from "../auth";
import { useLoad } from "../hooks";
import { loadMe } from "../me";
import { navigate } from "../router";

export function OrgPicker() {
  const { data: me, error } = useLoad<Me>(() => loadMe(true), []);
  return (
    <main class="page narrow">
      <header class="bar">
        <strong>Partner Hub</strong>
        <span class="muted">{signedInEmail()}</span>
        <button type="button" class="link" onClick={() => signOut()}>Sign out</button>
      </header>
      <h1>Your organizations</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {me && me.orgs.length === 0 && <p>You do not administer an organization yet. Create one below, or open the invitation link you were sent.</p>}
      {me && me.orgs.length > 0 && (
        <ul class="org-list">
          {me.orgs.map((o) => (
            <li key={o.org_id}>
              <a href={`/orgs/${o.org_id}`} class="org-link">
                <span class="org-name">{o.name}</span>
                <span class="muted">ORGID {o.org_id}</span>
                {o.programs.map((p) => <span class="badge" key={p}>{p}</span>)}
                <span class="muted">{o.access === "full" ? "Full access" : `Custom: ${o.permissions.join(", ")}`}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      <CreateOrg />
    </main>
  );
}

function CreateOrg() {
  const [name, setName] = useState("");
  const [country, setCountry] = useState("");
  const [program, setProgram] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const org = await call<{ org_id: string }>("POST /v1/signup", {}, { body: { name, ...(country ? { country } : {}) } });
      if (program) await call("POST /v1/orgs/{org_id}/programs", { org_id: org.org_id }, { body: { program } });
      await loadMe(true);
      navigate(`/orgs/${org.org_id}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-org-title">
      <h2 id="create-org-title">Create an organization</h2>
      <label for="org-name">Name</label>
      <input id="org-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <label for="org-country">Country (optional, e.g. US)</label>
      <input id="org-country" maxLength={2} value={country} onInput={(e) => setCountry((e.target as HTMLInputElement).value.toUpperCase())} />
      <label for="org-program">Partner program</label>
      <select id="org-program" value={program} onChange={(e) => setProgram((e.target as HTMLSelectElement).value)}>
        <option value="">None: a customer organization</option>
        <option value="CSA">Citrix Solution Advisor (CSA)</option>
        <option value="CSP">Citrix Service Provider (CSP)</option>
      </select>
      <button type="submit" disabled={busy}>Create</button>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
