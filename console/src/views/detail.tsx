import { useEffect, useRef, useState } from "preact/hooks";
import type { ChartConfiguration } from "chart.js";
import { call, download, errorText, type CatalogService, type CustomerDetail as Detail, type GatewayUsage, type MeOrg, type Page, type UserUsage } from "../api";
import { COLORS, draw } from "../charts";
import { fmtDate, useLoad } from "../hooks";
import type { Can } from "./frame";
import { can } from "./frame";
import { ThemeForm, WorkspaceAccess } from "./workspace";

export function CustomerDetail({ org, customerId }: { org: MeOrg; customerId: string }) {
  const { data, error } = useLoad<Detail>(
    () => call("GET /v1/orgs/{org_id}/customers/{customer_id}", { org_id: org.org_id, customer_id: customerId }),
    [org.org_id, customerId],
  );
  const { data: catalog } = useLoad<Page<CatalogService>>(() => call("GET /v1/services"), []);
  const allowed: Can = can(org);
  if (error) return <><h1>Customer</h1><p role="alert" class="error">{error}</p><p><a href={`/orgs/${org.org_id}/customers`}>Back to customers</a></p></>;
  if (!data) return <p>Loading…</p>;
  const names = new Map((catalog?.items ?? []).map((s) => [s.service, s.name]));
  return (
    <>
      <p><a href={`/orgs/${org.org_id}/customers`}>← Customers</a></p>
      <h1 id="customer-name">{data.name}</h1>
      <p class="muted">ORGID {data.org_id} · {data.tenancy === "multi" ? "multi-tenant" : "single-tenant"}{data.country ? ` · ${data.country}` : ""} · connected {fmtDate(data.connected_at)}</p>
      <section aria-labelledby="ent-title">
        <h2 id="ent-title">Entitlements</h2>
        {data.entitlements.length === 0 ? <p>No services yet.</p> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table id="entitlements">
              <caption class="sr-only">Entitlements</caption>
              <thead><tr><th scope="col">Service</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Licenses</th><th scope="col">Starts</th><th scope="col">Ends</th></tr></thead>
              <tbody>
                {data.entitlements.map((e) => (
                  <tr key={e.entitlement_id}><td>{names.get(e.service) ?? e.service}</td><td>{e.kind}</td><td><span class={`pill status-${e.status}`}>{e.status.replace(/_/g, " ")}</span></td><td class="num">{e.license_count ?? "—"}</td><td>{fmtDate(e.starts_at)}</td><td>{fmtDate(e.expires_at)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="orders-title">
        <h2 id="orders-title">Orders</h2>
        {data.orders.length === 0 ? <p>No orders for this customer.</p> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
            <table>
              <caption class="sr-only">Orders</caption>
              <thead><tr><th scope="col">Order</th><th scope="col">Service</th><th scope="col">Quantity</th><th scope="col">Placed</th></tr></thead>
              <tbody>{data.orders.map((o) => <tr key={o.order_id}><td>{o.order_id}</td><td>{o.service}</td><td class="num">{o.quantity}</td><td>{fmtDate(o.placed_at)}</td></tr>)}</tbody>
            </table>
          </div>
        )}
      </section>
      {org.programs.includes("CSP") && (
        <>
          <WorkspaceAccess orgId={customerId} partner={org} />
          {data.tenancy !== "multi" && <ThemeForm orgId={customerId} canEdit={org.access === "full"} />}
        </>
      )}
      {allowed("licensing.view") ? (
        <Usage org={org} customerId={customerId} catalog={catalog?.items ?? []}
          preferred={data.entitlements.map((e) => e.service)} />
      ) : <p class="muted">Usage needs full access or licensing.view.</p>}
    </>
  );
}

function Usage({ org, customerId, catalog, preferred }: { org: MeOrg; customerId: string; catalog: CatalogService[]; preferred: string[] }) {
  const services = catalog.length ? catalog : [{ service: "daas", name: "Citrix DaaS", metered_by: "users" } as CatalogService];
  const first = preferred.find((s) => services.some((c) => c.service === s)) ?? "daas";
  const [service, setService] = useState(first);
  const { data, error } = useLoad<UserUsage | GatewayUsage>(
    () => call("GET /v1/orgs/{org_id}/customers/{customer_id}/usage", { org_id: org.org_id, customer_id: customerId }, { query: { service } }),
    [org.org_id, customerId, service],
  );
  const [failure, setFailure] = useState<string | null>(null);
  async function csv() {
    setFailure(null);
    try {
      await download("GET /v1/orgs/{org_id}/customers/{customer_id}/usage", { org_id: org.org_id, customer_id: customerId }, { service, format: "csv" }, `usage-${customerId}-${service}.csv`);
    } catch (e) {
      setFailure(errorText(e));
    }
  }
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <div class="toolbar">
        <label for="usage-service">Service</label>
        <select id="usage-service" value={service} onChange={(e) => setService((e.target as HTMLSelectElement).value)}>
          {services.map((s) => <option key={s.service} value={s.service}>{s.name}</option>)}
        </select>
        <button type="button" id="download-csv" onClick={csv}>Download CSV</button>
      </div>
      {(error || failure) && <p role="alert" class="error">{error ?? failure}</p>}
      {data && data.service === "gateway" && <GatewayCharts usage={data as GatewayUsage} />}
      {data && data.service !== "gateway" && <UserCharts usage={data as UserUsage} />}
    </section>
  );
}

function ChartBox({ id, title, config }: { id: string; title: string; config: ChartConfiguration }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = draw(ref.current, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-box"><canvas id={id} ref={ref} role="img" aria-label={title}></canvas></div>
    </figure>
  );
}

function UserCharts({ usage }: { usage: UserUsage }) {
  const months = usage.monthly.map((m) => m.month);
  const s = usage.summary;
  const assigned: ChartConfiguration = {
    type: "bar",
    data: {
      labels: months,
      datasets: [
        { type: "bar", label: "Assigned users", data: usage.monthly.map((m) => m.assigned), backgroundColor: COLORS.assigned },
        { type: "bar", label: "Overage", data: usage.monthly.map((m) => m.overage), backgroundColor: COLORS.overage },
        { type: "line", label: "Purchased licenses", data: usage.monthly.map((m) => m.purchased), borderColor: COLORS.purchased, backgroundColor: COLORS.purchased, stepped: true },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  const activity: ChartConfiguration = {
    type: "line",
    data: {
      labels: months,
      datasets: [
        { label: "Monthly active users", data: usage.monthly.map((m) => m.monthly_active_users), borderColor: COLORS.mau, backgroundColor: COLORS.mau },
        { label: "Peak daily active users", data: usage.monthly.map((m) => m.peak_daily_active_users), borderColor: COLORS.dau, backgroundColor: COLORS.dau },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  const daily: ChartConfiguration = {
    type: "line",
    data: {
      labels: usage.daily.map((d) => d.date),
      datasets: [
        { label: "Daily active users", data: usage.daily.map((d) => d.daily_active_users), borderColor: COLORS.dau, backgroundColor: "rgba(239,108,0,.15)", fill: true, pointRadius: 0 },
        { label: "Assigned users", data: usage.daily.map((d) => d.assigned), borderColor: COLORS.assigned, pointRadius: 0 },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  return (
    <>
      <div class="stats">
        <div class="stat"><span class="stat-value" id="usage-assigned">{s.assigned}</span><span class="stat-label">assigned</span></div>
        <div class="stat"><span class="stat-value" id="usage-purchased">{s.purchased}</span><span class="stat-label">purchased</span></div>
        <div class="stat"><span class="stat-value" id="usage-overage">{s.overage}</span><span class="stat-label">overage</span></div>
      </div>
      <div class="charts" data-service={usage.service}>
        <ChartBox id="chart-assigned" title="Assigned vs purchased users by month, with overage" config={assigned} />
        <ChartBox id="chart-activity" title="Monthly and peak daily active users" config={activity} />
        <ChartBox id="chart-daily" title="Daily active users" config={daily} />
      </div>
    </>
  );
}

function GatewayCharts({ usage }: { usage: GatewayUsage }) {
  const s = usage.summary;
  const config: ChartConfiguration = {
    type: "bar",
    data: {
      labels: usage.monthly.map((m) => m.month),
      datasets: [
        { type: "bar", label: "Used GB", data: usage.monthly.map((m) => m.used_gb), backgroundColor: COLORS.used },
        { type: "bar", label: "Overage GB", data: usage.monthly.map((m) => m.overage_gb), backgroundColor: COLORS.overage },
        { type: "line", label: "Cumulative GB", data: usage.monthly.map((m) => m.cumulative_gb), borderColor: COLORS.cumulative, backgroundColor: COLORS.cumulative },
        { type: "line", label: "Committed GB", data: usage.monthly.map((m) => m.committed_gb), borderColor: COLORS.committed, backgroundColor: COLORS.committed, borderDash: [6, 4], stepped: true },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  };
  return (
    <>
      <div class="stats">
        <div class="stat"><span class="stat-value">{s.used_gb}</span><span class="stat-label">GB used</span></div>
        <div class="stat"><span class="stat-value">{s.committed_gb}</span><span class="stat-label">GB committed</span></div>
        <div class="stat"><span class="stat-value">{s.overage_gb}</span><span class="stat-label">GB overage</span></div>
      </div>
      <div class="charts" data-service="gateway">
        <ChartBox id="chart-gateway" title="Gateway bandwidth per month against the commitment" config={config} />
      </div>
    </>
  );
}
