import type { ComponentChildren } from "preact";
import type { Me, MeOrg } from "../api";
import { signedInEmail, signOut } from "../auth";
import { useLoad } from "../hooks";
import { loadMe } from "../me";
import { match, navigate } from "../router";
import { AddCustomer, CustomerNotifications, Dashboard, InviteLink, Licenses } from "./partner";
import { CustomerDetail } from "./detail";
import { Admins, AuditLog, Notifications, Partners, Services } from "./customer";
import { SupportTickets } from "./support";
import { FederatedDomains, Workspace } from "./workspace";

export type Can = (permission: string) => boolean;

export function can(org: MeOrg): Can {
  return (permission) => org.access === "full" || org.permissions.includes(permission);
}

interface NavItem { href: string; label: string }

function navItems(org: MeOrg): NavItem[] {
  const allowed = can(org);
  const base = `/orgs/${org.org_id}`;
  const items: NavItem[] = [];
  if (org.programs.length > 0) {
    if (allowed("customer-dashboard.view")) {
      items.push({ href: `${base}/customers`, label: "Customers" });
      items.push({ href: `${base}/invite`, label: "Invitation link" });
    }
    if (org.access === "full") items.push({ href: `${base}/add-customer`, label: "Add a customer" });
    if (allowed("notifications.view")) items.push({ href: `${base}/customer-notifications`, label: "Customer notifications" });
    if (allowed("licensing.view")) items.push({ href: `${base}/licenses`, label: "Licenses" });
    if (org.programs.includes("CSP") && allowed("customer-dashboard.view")) items.push({ href: `${base}/federated-domains`, label: "Federated domains" });
  }
  items.push({ href: `${base}/partners`, label: "Partners" });
  items.push({ href: `${base}/services`, label: "Services" });
  items.push({ href: `${base}/support-tickets`, label: "Support tickets" });
  items.push({ href: `${base}/workspace`, label: "Workspace" });
  items.push({ href: `${base}/admins`, label: "Administrators" });
  items.push({ href: `${base}/notifications`, label: "Notifications" });
  if (org.access === "full") items.push({ href: `${base}/audit-log`, label: "Audit log" });
  return items;
}

export function OrgFrame({ orgId, rest }: { orgId: string; rest: string }) {
  const { data: me, error } = useLoad<Me>(() => loadMe(), [orgId]);
  if (error) return <main class="page narrow"><p role="alert" class="error">{error}</p></main>;
  if (!me) return <main class="page narrow"><p>Loading…</p></main>;
  const org = me.orgs.find((o) => o.org_id === orgId);
  if (!org) {
    return (
      <main class="page narrow">
        <h1>Organization not found</h1>
        <p>You do not administer ORGID {orgId} (any more). <a href="/orgs">Your organizations</a></p>
      </main>
    );
  }
  const isPartner = org.programs.length > 0;
  let path = rest.replace(/\/+$/, "");
  if (path === "") path = isPartner && can(org)("customer-dashboard.view") ? "/customers" : "/partners";
  const items = navItems(org);
  const current = `/orgs/${orgId}${path}`;
  return (
    <div class="frame">
      <header class="top">
        <a href="/orgs" class="brand">Partner Hub</a>
        <span class="org-title">
          {org.name} <span class="muted">ORGID {org.org_id}</span>
          {org.programs.map((p) => <span class="badge" key={p}>{p}</span>)}
        </span>
        <span class="who">
          <span class="muted">{signedInEmail()}</span>
          <button type="button" class="link" onClick={() => { signOut(); navigate("/sign-in"); }}>Sign out</button>
        </span>
      </header>
      <nav aria-label="Sections">
        <ul>
          {items.map((item) => (
            <li key={item.href}>
              <a href={item.href} aria-current={current === item.href || current.startsWith(item.href + "/") ? "page" : undefined}>{item.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main class="page" id="main">
        <View org={org} path={path} />
      </main>
    </div>
  );
}

function View({ org, path }: { org: MeOrg; path: string }): ComponentChildren {
  const id = org.org_id;
  const detail = match("/customers/:customer", path);
  if (detail) return <CustomerDetail org={org} customerId={detail.customer} />;
  switch (path) {
    case "/customers": return <Dashboard org={org} />;
    case "/invite": return <InviteLink org={org} />;
    case "/add-customer": return <AddCustomer org={org} />;
    case "/customer-notifications": return <CustomerNotifications org={org} />;
    case "/licenses": return <Licenses org={org} />;
    case "/partners": return <Partners org={org} />;
    case "/services": return <Services org={org} />;
    case "/support-tickets": return <SupportTickets org={org} />;
    case "/federated-domains": return <FederatedDomains org={org} />;
    case "/workspace": return <Workspace org={org} />;
    case "/admins": return <Admins org={org} />;
    case "/notifications": return <Notifications org={org} />;
    case "/audit-log": return <AuditLog org={org} />;
    default:
      return (
        <>
          <h1>Page not found</h1>
          <p><a href={`/orgs/${id}`}>Back to {org.name}</a></p>
        </>
      );
  }
}
