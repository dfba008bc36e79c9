import { useState } from "preact/hooks";
import { call, errorText, type CatalogService, type Dashboard as DashboardData, type MeOrg, type Notification, type Order, type Page } from "../api";
import { fmtDate, useLoad } from "../hooks";
import { navigate, useLocation } from "../router";

export function Dashboard({ org }: { org: MeOrg }) {
  const { search } = useLocation();
  const service = search.get("service") ?? "";
  const { data: catalog } = useLoad<Page<CatalogService>>(() => call("GET /v1/services"), []);
  const { data, error } = useLoad<DashboardData>(
    () => call("GET /v1/orgs/{org_id}/customers", { org_id: org.org_id }, { query: { service, limit: 100 } }),
    [org.org_id, service],
  );
  const left = data ? data.remaining ?? Math.max(0, data.limit - data.count) : null;
  const names = new Map((catalog?.items ?? []).map((s) => [s.service, s.name]));
  return (
    <>
      <h1>{service === "sdwan-orchestrator" ? "SD-WAN Orchestrator provider dashboard" : "Customers"}</h1>
      {data && (
        <div class="stats" aria-label="Customer count">
          <div class="stat"><span class="stat-value" id="customer-count">{data.count}</span><span class="stat-label">customers of {data.limit}</span></div>
          <div class="stat"><span class="stat-value" id="places-left">{left}</span><span class="stat-label">places left</span></div>
          <meter min={0} max={data.limit} value={data.count} aria-label={`${data.count} of ${data.limit} customers`}></meter>
        </div>
      )}
      <div class="toolbar">
        <label for="service-filter">Service</label>
        <select id="service-filter" value={service}
          onChange={(e) => {
            const value = (e.target as HTMLSelectElement).value;
            navigate(`/orgs/${org.org_id}/customers${value ? `?service=${encodeURIComponent(value)}` : ""}`);
          }}>
          <option value="">All customers</option>
          {(catalog?.items ?? []).map((s) => <option value={s.service} key={s.service}>{s.name}</option>)}
        </select>
        <a class="button" href={`/orgs/${org.org_id}/invite`}>Invite a customer</a>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p id="no-customers">No customers{service ? " with this service" : ""} yet.</p>}
      {data && data.items.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table id="customers">
            <caption class="sr-only">Connected customers</caption>
            <thead>
              <tr><th scope="col">Customer</th><th scope="col">Services</th><th scope="col">Open tickets</th><th scope="col">Notifications</th><th scope="col">Connected</th></tr>
            </thead>
            <tbody>
              {data.items.map((c) => (
                <tr key={c.org_id} data-org-id={c.org_id}>
                  <td>
                    <a href={`/orgs/${org.org_id}/customers/${c.org_id}`}>{c.name}</a>
                    <div class="muted small">ORGID {c.org_id} · {c.tenancy === "multi" ? "multi-tenant" : "single-tenant"} · {c.origin}</div>
                  </td>
                  <td>{c.services.length === 0 ? <span class="muted">none</span> : c.services.map((s) => (
                    <span class={`pill status-${s.status}`} key={s.service}>{names.get(s.service) ?? s.service}: {s.status.replace(/_/g, " ")}</span>
                  ))}</td>
                  <td class="num">{c.open_support_tickets}</td>
                  <td class="num">{c.notifications}</td>
                  <td>{fmtDate(c.connected_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function InviteLink({ org }: { org: MeOrg }) {
  const { data, error } = useLoad<{ code: string; url: string }>(
    () => call("GET /v1/orgs/{org_id}/invite-link", { org_id: org.org_id }),
    [org.org_id],
  );
  const [copied, setCopied] = useState(false);
  const [email, setEmail] = useState("");
  const [message, setMessage] = useState("");
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  async function send(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      await call("POST /v1/orgs/{org_id}/invite-link/emails", { org_id: org.org_id }, { body: { email, ...(message ? { message } : {}) } });
      setStatus({ ok: true, text: `Invitation sent to ${email}.` });
      setEmail("");
      setMessage("");
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  async function copy() {
    if (!data) return;
    try {
      await navigator.clipboard.writeText(data.url);
      setCopied(true);
    } catch {
      (document.getElementById("invite-url") as HTMLInputElement | null)?.select();
    }
  }
  return (
    <>
      <h1>Invitation link</h1>
      <p>Your one invitation link: a customer who opens it can connect to you. It never changes.</p>
      {error && <p role="alert" class="error">{error}</p>}
      {data && (
        <div class="copy-row">
          <label for="invite-url" class="sr-only">Invitation link</label>
          <input id="invite-url" readOnly value={data.url} />
          <button type="button" onClick={copy}>{copied ? "Copied" : "Copy"}</button>
        </div>
      )}
      <form class="card" onSubmit={send} aria-labelledby="email-link-title">
        <h2 id="email-link-title">Email it to a customer</h2>
        <label for="invite-email">Email</label>
        <input id="invite-email" type="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <label for="invite-message">Message (optional, plain text)</label>
        <textarea id="invite-message" maxLength={1000} rows={3} value={message} onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)} />
        <button type="submit" id="send-invite">Send invitation</button>
        {status && <p role="status" class={status.ok ? "ok" : "error"}>{status.text}</p>}
      </form>
    </>
  );
}

export function AddCustomer({ org }: { org: MeOrg }) {
  const [form, setForm] = useState({ company_name: "", contact_email: "", contact_name: "", country: "" });
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const set = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  async function submit(event: Event) {
    event.preventDefault();
    setStatus(null);
    const body: Record<string, string> = { company_name: form.company_name, contact_email: form.contact_email };
    if (form.contact_name) body.contact_name = form.contact_name;
    if (form.country) body.country = form.country.toUpperCase();
    try {
      const answer = await call<{ customer: { org_id: string; name: string } }>("POST /v1/orgs/{org_id}/customers", { org_id: org.org_id }, { body });
      navigate(`/orgs/${org.org_id}/customers/${answer.customer.org_id}`);
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Add a customer</h1>
      <p>Creates a multi-tenant customer account that you administer; its contact is emailed how to sign in.</p>
      <form class="card" onSubmit={submit}>
        <label for="company-name">Company name</label>
        <input id="company-name" required value={form.company_name} onInput={set("company_name")} />
        <label for="contact-email">Contact email</label>
        <input id="contact-email" type="email" required value={form.contact_email} onInput={set("contact_email")} />
        <label for="contact-name">Contact name (optional)</label>
        <input id="contact-name" value={form.contact_name} onInput={set("contact_name")} />
        <label for="customer-country">Country (optional)</label>
        <input id="customer-country" maxLength={2} value={form.country} onInput={set("country")} />
        <button type="submit">Add customer</button>
        {status && <p role="alert" class="error">{status.text}</p>}
      </form>
    </>
  );
}

export function CustomerNotifications({ org }: { org: MeOrg }) {
  const [customer, setCustomer] = useState("");
  const { data: customers } = useLoad<DashboardData>(() => call("GET /v1/orgs/{org_id}/customers", { org_id: org.org_id }, { query: { limit: 100 } }), [org.org_id]);
  const { data, error, reload } = useLoad<Page<Notification>>(
    () => call("GET /v1/orgs/{org_id}/customer-notifications", { org_id: org.org_id }, { query: { customer_id: customer, limit: 100 } }),
    [org.org_id, customer],
  );
  const [failure, setFailure] = useState<string | null>(null);
  const names = new Map((customers?.items ?? []).map((c) => [c.org_id, c.name]));
  async function dismiss(id: string) {
    try {
      await call("POST /v1/orgs/{org_id}/customer-notifications/{notification_id}/dismiss", { org_id: org.org_id, notification_id: id }, { body: {} });
      reload();
    } catch (e) {
      setFailure(errorText(e));
    }
  }
  return (
    <>
      <h1>Customer notifications</h1>
      <div class="toolbar">
        <label for="notification-customer">Customer</label>
        <select id="notification-customer" value={customer} onChange={(e) => setCustomer((e.target as HTMLSelectElement).value)}>
          <option value="">All customers</option>
          {(customers?.items ?? []).map((c) => <option key={c.org_id} value={c.org_id}>{c.name}</option>)}
        </select>
      </div>
      {(error || failure) && <p role="alert" class="error">{error ?? failure}</p>}
      {data && data.items.length === 0 && <p>No notifications.</p>}
      <ul class="feed" id="customer-notifications">
        {data?.items.map((n) => (
          <li key={n.notification_id}>
            <div>
              <strong>{n.title}</strong> <span class="muted small">{n.customer_id ? names.get(n.customer_id) ?? n.customer_id : ""} · {fmtDate(n.created_at)}</span>
              <p>{n.body}</p>
            </div>
            <button type="button" class="secondary" onClick={() => dismiss(n.notification_id)} aria-label={`Dismiss ${n.title}`}>Dismiss</button>
          </li>
        ))}
      </ul>
    </>
  );
}

export function Licenses({ org }: { org: MeOrg }) {
  const { data, error, reload } = useLoad<Page<Order>>(() => call("GET /v1/orgs/{org_id}/licenses", { org_id: org.org_id }), [org.org_id]);
  const [form, setForm] = useState({ order_id: "", target_org_id: org.org_id, quantity: "1" });
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  async function allocate(event: Event) {
    event.preventDefault();
    setStatus(null);
    try {
      await call("POST /v1/orgs/{org_id}/license-allocations", { org_id: org.org_id }, {
        body: { order_id: form.order_id, target_org_id: form.target_org_id, quantity: Number(form.quantity) },
      });
      setStatus({ ok: true, text: `Allocated ${form.quantity} from ${form.order_id}.` });
      reload();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  }
  const orders = data?.items ?? [];
  return (
    <>
      <h1>Licenses</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data && orders.length === 0 && <p>No orders yet: orders arrive from the commerce system.</p>}
      {orders.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table>
            <caption class="sr-only">Orders</caption>
            <thead><tr><th scope="col">Order</th><th scope="col">Service</th><th scope="col">Tenancy</th><th scope="col">Placed</th><th scope="col">Quantity</th><th scope="col">Allocated</th><th scope="col">Remaining</th></tr></thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.order_id}><td>{o.order_id}</td><td>{o.service}</td><td>{o.tenancy}</td><td>{fmtDate(o.placed_at)}</td><td class="num">{o.quantity}</td><td class="num">{o.allocated}</td><td class="num">{o.remaining}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {org.access === "full" && orders.length > 0 && (
        <form class="card" onSubmit={allocate} aria-labelledby="allocate-title">
          <h2 id="allocate-title">Allocate licenses</h2>
          <label for="alloc-order">Order</label>
          <select id="alloc-order" required value={form.order_id} onChange={(e) => setForm({ ...form, order_id: (e.target as HTMLSelectElement).value })}>
            <option value="">Choose an order</option>
            {orders.map((o) => <option key={o.order_id} value={o.order_id}>{o.order_id} ({o.remaining} left)</option>)}
          </select>
          <label for="alloc-target">Target ORGID</label>
          <input id="alloc-target" required pattern="\d{8}" value={form.target_org_id} onInput={(e) => setForm({ ...form, target_org_id: (e.target as HTMLInputElement).value })} />
          <label for="alloc-quantity">Quantity</label>
          <input id="alloc-quantity" type="number" min={1} required value={form.quantity} onInput={(e) => setForm({ ...form, quantity: (e.target as HTMLInputElement).value })} />
          <button type="submit">Allocate</button>
          {status && <p role="status" class={status.ok ? "ok" : "error"}>{status.text}</p>}
        </form>
      )}
    </>
  );
}
