// Service-provider features: a CSP partner's federated domains (registered, then
// linked to connected customers) and an org's workspace — the domains its users may
// sign in with and its theme (single-tenant orgs only; the API answers
// `single_tenant_only` otherwise, and the form shows that answer).
import { useState } from "preact/hooks";
import { ApiError, call, errorText, type FederatedDomain, type MeOrg, type Page, type WorkspaceDomain, type WorkspaceTheme } from "../api";
import { fmtDate, useLoad } from "../hooks";
import { Say, type Status } from "./say";


/** The theme in force, or null before one is set (the API's 404 for that case). */
async function themeOf(orgId: string): Promise<WorkspaceTheme | null> {
  try {
    return await call<WorkspaceTheme>("GET /v1/orgs/{org_id}/workspace-theme", { org_id: orgId });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Shows the org's theme; a full administrator (of the org or its CSP partner) changes it. */
export function ThemeForm({ orgId, canEdit }: { orgId: string; canEdit: boolean }) {
  const { data, error, reload } = useLoad<WorkspaceTheme | null>(() => themeOf(orgId), [orgId]);
  const [draft, setDraft] = useState<{ name: string; primary_color: string; logo_url: string } | null>(null);
  const [status, setStatus] = useState<Status>(null);
  const shown = draft ?? { name: data?.name ?? "", primary_color: data?.primary_color ?? "#0a5fb4", logo_url: data?.logo_url ?? "" };
  const set = (field: keyof typeof shown) => (e: Event) => setDraft({ ...shown, [field]: (e.target as HTMLInputElement).value });
  async function save(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      await call("PUT /v1/orgs/{org_id}/workspace-theme", { org_id: orgId }, { body: shown });
      setStatus({ ok: true, text: "Theme saved." });
      setDraft(null);
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  const id = `theme-${orgId}`;
  return (
    <section class="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Workspace theme</h2>
      {error && <p role="alert" class="error">{error}</p>}
      {data === null && !error && <p id={`${id}-none`}>No theme yet: the workspace uses the default look.</p>}
      {data && (
        <p id={`${id}-current`}>
          <span class="swatch" style={{ background: data.primary_color }} aria-hidden="true"></span>{" "}
          <strong>{data.name}</strong> · {data.primary_color} · changed {fmtDate(data.updated_at)} by {data.updated_by}
        </p>
      )}
      {canEdit && (
        <form onSubmit={save}>
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} required maxLength={100} value={shown.name} onInput={set("name")} />
          <label for={`${id}-color`}>Primary colour</label>
          <input id={`${id}-color`} type="color" value={shown.primary_color} onInput={set("primary_color")} />
          <label for={`${id}-logo`}>Logo URL (https)</label>
          <input id={`${id}-logo`} type="url" required pattern="https://.*" value={shown.logo_url} onInput={set("logo_url")} />
          <button type="submit" id={`${id}-save`}>Save theme</button>
        </form>
      )}
      <Say status={status} />
    </section>
  );
}

/**
 * The domains an org's users may sign in with. Seen by a CSP partner (`partner`), its
 * own links can be removed and its registered domains linked.
 */
export function WorkspaceAccess({ orgId, partner }: { orgId: string; partner?: MeOrg }) {
  const { data, error, reload } = useLoad<Page<WorkspaceDomain>>(() => call("GET /v1/orgs/{org_id}/workspace-access", { org_id: orgId }), [orgId]);
  const manages = partner !== undefined && partner.access === "full" && partner.programs.includes("CSP");
  const { data: own } = useLoad<Page<FederatedDomain> | null>(
    () => (manages && partner ? call("GET /v1/orgs/{org_id}/federated-domains", { org_id: partner.org_id }) : Promise.resolve(null)),
    [manages, partner?.org_id],
  );
  const [choice, setChoice] = useState("");
  const [status, setStatus] = useState<Status>(null);
  const linked = new Set((data?.items ?? []).filter((d) => d.partner_id === partner?.org_id).map((d) => d.domain));
  const linkable = (own?.items ?? []).filter((d) => !linked.has(d.domain));
  const params = (domain: string) => ({ org_id: partner?.org_id ?? "", domain, customer_id: orgId });
  async function change(action: "link" | "unlink", domain: string) {
    setStatus(null);
    try {
      if (action === "link") await call("PUT /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}", params(domain));
      else await call("DELETE /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}", params(domain));
      setStatus({ ok: true, text: action === "link" ? `${domain} linked.` : `${domain} unlinked.` });
      setChoice("");
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <section class="card" aria-labelledby={`access-${orgId}-title`}>
      <h2 id={`access-${orgId}-title`}>Sign-in domains</h2>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No federated domains: users sign in with their own accounts.</p>}
      <ul class="plain" id="workspace-domains">
        {data?.items.map((d) => (
          <li key={`${d.partner_id}-${d.domain}`} data-domain={d.domain}>
            <strong>{d.domain}</strong> <span class="muted small">from partner {d.partner_id} · since {fmtDate(d.linked_at)}</span>{" "}
            {manages && d.partner_id === partner?.org_id && (
              <button type="button" class="danger" onClick={() => change("unlink", d.domain)} aria-label={`Unlink ${d.domain}`}>Unlink</button>
            )}
          </li>
        ))}
      </ul>
      {manages && (
        linkable.length === 0 ? <p class="muted small">Register a domain under Federated domains to link it here.</p> : (
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); if (choice) change("link", choice); }}>
            <label for={`link-${orgId}`}>Link a domain</label>
            <select id={`link-${orgId}`} value={choice} onChange={(e) => setChoice((e.target as HTMLSelectElement).value)} required>
              <option value="">Choose a domain</option>
              {linkable.map((d) => <option key={d.domain} value={d.domain}>{d.domain}</option>)}
            </select>
            <button type="submit" id={`link-${orgId}-submit`}>Link</button>
          </form>
        )
      )}
      <Say status={status} />
    </section>
  );
}

/** The customer's own view: where its users sign in, and its look. */
export function Workspace({ org }: { org: MeOrg }) {
  return (
    <>
      <h1>Workspace</h1>
      <WorkspaceAccess orgId={org.org_id} />
      <ThemeForm orgId={org.org_id} canEdit={org.access === "full"} />
    </>
  );
}

/** A CSP partner's federated domains: registered here, linked from each customer's page. */
export function FederatedDomains({ org }: { org: MeOrg }) {
  const { data, error, reload } = useLoad<Page<FederatedDomain>>(() => call("GET /v1/orgs/{org_id}/federated-domains", { org_id: org.org_id }), [org.org_id]);
  const [domain, setDomain] = useState("");
  const [status, setStatus] = useState<Status>(null);
  async function add(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      const added = await call<FederatedDomain>("PUT /v1/orgs/{org_id}/federated-domains/{domain}", { org_id: org.org_id, domain: domain.trim() });
      setStatus({ ok: true, text: `${added.domain} registered. Link it to a customer from the customer's page.` });
      setDomain("");
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Federated domains</h1>
      <p class="muted">Your customers' users sign in to their workspaces with a domain you link to them.</p>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No domains registered yet.</p>}
      <ul class="cards" id="federated-domains">
        {data?.items.map((d) => (
          <li key={d.domain} class="card" data-domain={d.domain}>
            <strong>{d.domain}</strong>
            <div class="muted small">registered {fmtDate(d.created_at)} by {d.created_by}</div>
          </li>
        ))}
      </ul>
      {org.access === "full" && (
        <form class="card" onSubmit={add} aria-labelledby="add-domain-title">
          <h2 id="add-domain-title">Register a domain</h2>
          <label for="domain-name">Domain</label>
          <input id="domain-name" required maxLength={253} placeholder="sso.example.com" value={domain} onInput={(e) => setDomain((e.target as HTMLInputElement).value)} />
          <button type="submit" id="add-domain-submit">Register</button>
          <Say status={status} />
        </form>
      )}
    </>
  );
}
