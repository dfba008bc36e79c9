import { useState } from "preact/hooks";
import { call, errorText, PERMISSIONS, type AdminEntry, type AuditEntry, type CatalogService, type Entitlement, type MeOrg, type Notification, type Page, type Partner } from "../api";
import { fmtDate, useLoad } from "../hooks";
import { loadMe } from "../me";
import { navigate } from "../router";
import { signedInEmail } from "../auth";
import { Say, type Status } from "./say";


export function Partners({ org }: { org: MeOrg }) {
  const { data, error, reload } = useLoad<Page<Partner>>(() => call("GET /v1/orgs/{org_id}/partners", { org_id: org.org_id }), [org.org_id]);
  const [status, setStatus] = useState<Status>(null);
  async function remove(partner: Partner) {
    if (!confirm(`Remove ${partner.name} as your partner? It will no longer see your organization.`)) return;
    try {
      await call("DELETE /v1/orgs/{org_id}/partners/{partner_id}", { org_id: org.org_id, partner_id: partner.org_id });
      setStatus({ ok: true, text: `${partner.name} is no longer your partner.` });
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Partners</h1>
      {error && <p role="alert" class="error">{error}</p>}
      <Say status={status} />
      {data && data.items.length === 0 && <p id="no-partners">No partners. A partner connects to you when you accept its invitation link.</p>}
      <ul class="cards" id="partners">
        {data?.items.map((p) => (
          <li key={p.org_id} class="card" data-org-id={p.org_id}>
            <strong>{p.name}</strong> {p.programs.map((x) => <span class="badge" key={x}>{x}</span>)}
            <div class="muted small">ORGID {p.org_id} · connected {fmtDate(p.connected_at)}</div>
            {org.access === "full" && <button type="button" class="danger" onClick={() => remove(p)} aria-label={`Remove ${p.name}`}>Remove</button>}
          </li>
        ))}
      </ul>
    </>
  );
}

export function Services({ org }: { org: MeOrg }) {
  const { data, error, reload } = useLoad<Page<Entitlement>>(() => call("GET /v1/orgs/{org_id}/entitlements", { org_id: org.org_id }), [org.org_id]);
  const { data: catalog } = useLoad<Page<CatalogService>>(() => call("GET /v1/services"), []);
  const [service, setService] = useState("sdwan-orchestrator");
  const [kind, setKind] = useState("trial");
  const [status, setStatus] = useState<Status>(null);
  const mayAdd = org.access === "full" || org.permissions.includes("services.manage");
  const names = new Map((catalog?.items ?? []).map((s) => [s.service, s.name]));
  async function add(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      const e = await call<Entitlement>("POST /v1/orgs/{org_id}/services", { org_id: org.org_id }, { body: { service, kind } });
      setStatus({ ok: true, text: `${names.get(e.service) ?? e.service} added (${e.status.replace(/_/g, " ")}).` });
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Services</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No services yet.</p>}
      {data && data.items.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table id="entitlements">
            <caption class="sr-only">Entitlements</caption>
            <thead><tr><th scope="col">Service</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Starts</th><th scope="col">Ends</th></tr></thead>
            <tbody>
              {data.items.map((e) => (
                <tr key={e.entitlement_id}><td>{names.get(e.service) ?? e.service}</td><td>{e.kind}</td><td><span class={`pill status-${e.status}`}>{e.status.replace(/_/g, " ")}</span></td><td>{fmtDate(e.starts_at)}</td><td>{fmtDate(e.expires_at)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mayAdd && (
        <form class="card" onSubmit={add} aria-labelledby="add-service-title">
          <h2 id="add-service-title">Add a service</h2>
          <label for="add-service">Service</label>
          <select id="add-service" value={service} onChange={(e) => setService((e.target as HTMLSelectElement).value)}>
            {(catalog?.items ?? []).map((s) => <option key={s.service} value={s.service}>{s.name}{s.trial_days ? ` (${s.trial_days}-day trial)` : ""}</option>)}
          </select>
          <label for="add-kind">Kind</label>
          <select id="add-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="trial">Trial</option>
            {org.programs.length > 0 && <option value="resell">Resell (your own provider account)</option>}
          </select>
          <button type="submit" id="add-service-submit">Add</button>
          <Say status={status} />
        </form>
      )}
    </>
  );
}

function AdminRow({ org, admin, onChanged }: { org: MeOrg; admin: AdminEntry; onChanged: (s: Status) => void }) {
  const [editing, setEditing] = useState(false);
  const [access, setAccess] = useState(admin.access);
  const [permissions, setPermissions] = useState<string[]>(admin.permissions);
  const [expires, setExpires] = useState(admin.access_expires_at?.slice(0, 10) ?? "");
  const isFull = org.access === "full";
  const self = signedInEmail()?.toLowerCase() === admin.email.toLowerCase();
  async function save(event: Event) {
    event.preventDefault();
    try {
      await call("PUT /v1/orgs/{org_id}/admins/{email}", { org_id: org.org_id, email: admin.email }, {
        body: { access, ...(access === "custom" ? { permissions } : {}), ...(expires ? { access_expires_at: `${expires}T00:00:00Z` } : {}) },
      });
      setEditing(false);
      onChanged({ ok: true, text: `${admin.email} changed.` });
    } catch (e) {
      onChanged({ ok: false, text: errorText(e) });
    }
  }
  async function remove() {
    if (!confirm(`Remove ${admin.email} as an administrator?`)) return;
    try {
      await call("DELETE /v1/orgs/{org_id}/admins/{email}", { org_id: org.org_id, email: admin.email });
      if (self) {
        await loadMe(true);
        navigate("/orgs");
        return;
      }
      onChanged({ ok: true, text: `${admin.email} removed.` });
    } catch (e) {
      onChanged({ ok: false, text: errorText(e) });
    }
  }
  const active = admin.status === "active" && admin.type !== "invitation";
  return (
    <li class="card" data-email={admin.email}>
      <strong>{admin.email}</strong>{" "}
      <span class={`pill status-${admin.status}`}>{admin.status}</span>{" "}
      <span>{admin.access === "full" ? "Full access" : `Custom: ${admin.permissions.join(", ")}`}</span>
      <div class="muted small">
        {admin.granted_via ? `through partner ${admin.granted_via.partner_id} · ` : ""}
        {admin.access_expires_at ? `until ${fmtDate(admin.access_expires_at)}` : "no expiry"}
      </div>
      {active && (isFull || self) && !editing && (
        <div class="actions">
          {isFull && <button type="button" class="secondary" onClick={() => setEditing(true)} aria-label={`Change ${admin.email}`}>Change</button>}
          <button type="button" class="danger" onClick={remove} aria-label={`Remove ${admin.email}`}>Remove</button>
        </div>
      )}
      {editing && (
        <form onSubmit={save} class="inline-form">
          <AccessFields idPrefix={`edit-${admin.email}`} access={access} setAccess={setAccess} permissions={permissions} setPermissions={setPermissions} expires={expires} setExpires={setExpires} />
          <button type="submit">Save</button>
          <button type="button" class="secondary" onClick={() => setEditing(false)}>Cancel</button>
        </form>
      )}
    </li>
  );
}

function AccessFields(props: {
  idPrefix: string; access: string; setAccess: (a: "full" | "custom") => void; permissions: string[]; setPermissions: (p: string[]) => void; expires: string; setExpires: (e: string) => void;
}) {
  const id = props.idPrefix.replace(/[^a-zA-Z0-9-]/g, "-");
  return (
    <>
      <label for={`${id}-access`}>Access</label>
      <select id={`${id}-access`} value={props.access} onChange={(e) => props.setAccess((e.target as HTMLSelectElement).value as "full" | "custom")}>
        <option value="full">Full access</option>
        <option value="custom">Custom</option>
      </select>
      {props.access === "custom" && (
        <fieldset>
          <legend>Permissions</legend>
          {PERMISSIONS.map((p) => (
            <label key={p} class="check">
              <input type="checkbox" checked={props.permissions.includes(p)}
                onChange={(e) => props.setPermissions((e.target as HTMLInputElement).checked ? [...props.permissions, p] : props.permissions.filter((x) => x !== p))} />
              {p}
            </label>
          ))}
        </fieldset>
      )}
      <label for={`${id}-expires`}>Access ends (optional)</label>
      <input id={`${id}-expires`} type="date" value={props.expires} onInput={(e) => props.setExpires((e.target as HTMLInputElement).value)} />
    </>
  );
}

export function Admins({ org }: { org: MeOrg }) {
  const { data, error, reload } = useLoad<Page<AdminEntry>>(() => call("GET /v1/orgs/{org_id}/admins", { org_id: org.org_id }), [org.org_id]);
  const [status, setStatus] = useState<Status>(null);
  const [email, setEmail] = useState("");
  const [access, setAccess] = useState<"full" | "custom">("full");
  const [permissions, setPermissions] = useState<string[]>([]);
  const [expires, setExpires] = useState("");
  async function invite(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      await call("POST /v1/orgs/{org_id}/admin-invitations", { org_id: org.org_id }, {
        body: { email, access, ...(access === "custom" ? { permissions } : {}), ...(expires ? { access_expires_at: `${expires}T00:00:00Z` } : {}) },
      });
      setStatus({ ok: true, text: `Invitation sent to ${email}.` });
      setEmail("");
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Administrators</h1>
      {error && <p role="alert" class="error">{error}</p>}
      <Say status={status} />
      <ul class="cards" id="admins">
        {data?.items.map((a) => <AdminRow key={`${a.email}-${a.status}-${a.type ?? ""}`} org={org} admin={a} onChanged={(s) => { setStatus(s); reload(); }} />)}
      </ul>
      {org.access === "full" && (
        <form class="card" onSubmit={invite} aria-labelledby="invite-admin-title">
          <h2 id="invite-admin-title">Invite an administrator</h2>
          <p class="muted">To let your partner add services for you, invite its administrator with full access.</p>
          <label for="admin-email">Email</label>
          <input id="admin-email" type="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          <AccessFields idPrefix="invite" access={access} setAccess={setAccess} permissions={permissions} setPermissions={setPermissions} expires={expires} setExpires={setExpires} />
          <button type="submit" id="invite-admin-submit">Send invitation</button>
        </form>
      )}
    </>
  );
}

export function Notifications({ org }: { org: MeOrg }) {
  const { data, error } = useLoad<Page<Notification>>(() => call("GET /v1/orgs/{org_id}/notifications", { org_id: org.org_id }), [org.org_id]);
  return (
    <>
      <h1>Notifications</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No notifications.</p>}
      <ul class="feed">
        {data?.items.map((n) => (
          <li key={n.notification_id}><div><strong>{n.title}</strong> <span class="muted small">{fmtDate(n.created_at)}</span><p>{n.body}</p></div></li>
        ))}
      </ul>
    </>
  );
}

export function AuditLog({ org }: { org: MeOrg }) {
  const [action, setAction] = useState("");
  const { data, error } = useLoad<Page<AuditEntry>>(
    () => call("GET /v1/orgs/{org_id}/audit-log", { org_id: org.org_id }, { query: { action, limit: 100 } }),
    [org.org_id, action],
  );
  const actions = ["program.joined", "connection.created", "connection.removed", "admin.invited", "admin.accepted", "admin.changed", "admin.removed", "admin.expired", "service.added", "trial.approved", "trial.declined", "order.recorded", "license.allocated", "ticket.opened", "ticket.closed", "domain.added", "domain.linked", "domain.unlinked", "theme.changed"];
  return (
    <>
      <h1>Audit log</h1>
      <div class="toolbar">
        <label for="audit-action">Action</label>
        <select id="audit-action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
          <option value="">All actions</option>
          {actions.map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      {data && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table id="audit-log">
            <caption class="sr-only">Audit log, newest first</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th></tr></thead>
            <tbody>
              {data.items.map((e, i) => (
                <tr key={i}>
                  <td>{e.at.replace("T", " ").slice(0, 19)}</td>
                  <td>{e.actor.email ?? e.actor.client ?? "—"}{e.actor.partner_id ? ` (via partner ${e.actor.partner_id})` : ""}</td>
                  <td>{e.action}</td>
                  <td>{e.target}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
