// Every call the console makes to the API goes through `call`, named by its route
// key exactly as openapi.yaml writes it ("GET /v1/orgs/{org_id}/customers"), so a
// test can check that every route a page calls is in the contract.
import { getToken, signOut } from "./auth";

export type RouteKey =
  | "GET /v1/me"
  | "POST /v1/signup"
  | "POST /v1/orgs/{org_id}/programs"
  | "GET /v1/orgs/{org_id}/customers"
  | "POST /v1/orgs/{org_id}/customers"
  | "GET /v1/orgs/{org_id}/customers/{customer_id}"
  | "DELETE /v1/orgs/{org_id}/customers/{customer_id}"
  | "GET /v1/orgs/{org_id}/customers/{customer_id}/usage"
  | "GET /v1/orgs/{org_id}/partners"
  | "DELETE /v1/orgs/{org_id}/partners/{partner_id}"
  | "GET /v1/orgs/{org_id}/invite-link"
  | "POST /v1/orgs/{org_id}/invite-link/emails"
  | "GET /invite/{code}"
  | "POST /v1/invite/{code}/accept"
  | "GET /v1/orgs/{org_id}/notifications"
  | "GET /v1/orgs/{org_id}/customer-notifications"
  | "POST /v1/orgs/{org_id}/customer-notifications/{notification_id}/dismiss"
  | "POST /v1/orgs/{org_id}/admin-invitations"
  | "POST /v1/admin-invitations/{token}/accept"
  | "GET /v1/orgs/{org_id}/admins"
  | "PUT /v1/orgs/{org_id}/admins/{email}"
  | "DELETE /v1/orgs/{org_id}/admins/{email}"
  | "GET /v1/orgs/{org_id}/audit-log"
  | "GET /v1/services"
  | "POST /v1/orgs/{org_id}/services"
  | "GET /v1/orgs/{org_id}/entitlements"
  | "POST /v1/orgs/{org_id}/license-allocations"
  | "GET /v1/orgs/{org_id}/licenses"
  | "GET /v1/orgs/{org_id}/usage"
  | "GET /v1/orgs/{org_id}/support-tickets"
  | "POST /v1/orgs/{org_id}/support-tickets"
  | "POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close"
  | "GET /v1/orgs/{org_id}/federated-domains"
  | "PUT /v1/orgs/{org_id}/federated-domains/{domain}"
  | "PUT /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}"
  | "DELETE /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}"
  | "GET /v1/orgs/{org_id}/workspace-access"
  | "GET /v1/orgs/{org_id}/workspace-theme"
  | "PUT /v1/orgs/{org_id}/workspace-theme";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

type Params = Record<string, string>;
type Query = Record<string, string | number | undefined | null>;

export function path(key: RouteKey, params: Params = {}, query: Query = {}): string {
  const template = key.slice(key.indexOf(" ") + 1);
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${key}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const qs = search.toString();
  return qs ? `${filled}?${qs}` : filled;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  const token = getToken();
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

/** Calls a route and answers its JSON (or null for 204); throws ApiError otherwise. */
export async function call<T = unknown>(
  key: RouteKey,
  params: Params = {},
  options: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const method = key.slice(0, key.indexOf(" "));
  const init: RequestInit = { method, headers: headers(), credentials: "omit" };
  if (options.body !== undefined) {
    init.headers = headers({ "content-type": "application/json", "idempotency-key": crypto.randomUUID() });
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path(key, params, options.query), init);
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (response.status === 401) {
    signOut();
  }
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(response.status, error.code ?? "error", error.message ?? `request failed (${response.status})`);
  }
  return body as T;
}

/** Downloads a route's answer as a file (the usage CSV), with the token attached. */
export async function download(key: RouteKey, params: Params, query: Query, filename: string): Promise<void> {
  const response = await fetch(path(key, params, query), { headers: headers({ accept: "text/csv" }) });
  if (!response.ok) throw new ApiError(response.status, "error", `download failed (${response.status})`);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

// --- The shapes the console reads (fields named in the contract) ---------------

export type Access = "full" | "custom";
export interface MeOrg { org_id: string; name: string; access: Access; permissions: string[]; programs: string[] }
export interface Me { email: string; orgs: MeOrg[] }
export interface Page<T> { items: T[]; next_token: string | null }
export interface ServiceStatus { service: string; status: string }
export interface CustomerRow {
  org_id: string; name: string; tenancy: string; origin: string; connected_at: string;
  services: ServiceStatus[]; open_support_tickets: number; notifications: number;
}
export interface Dashboard extends Page<CustomerRow> { count: number; limit: number; remaining?: number }
export interface Entitlement {
  entitlement_id: string; service: string; kind: string; status: string; license_count?: number | null;
  term?: string | null; starts_at?: string | null; expires_at?: string | null; committed_gb?: number | null;
}
export interface Order {
  order_id: string; service: string; quantity: number; tenancy: string; placed_at: string;
  allocated?: number; remaining?: number; customer_org_id?: string | null;
}
export interface CustomerDetail {
  org_id: string; name: string; country?: string | null; tenancy: string; connected_at: string;
  entitlements: Entitlement[]; orders: Order[];
}
export interface CatalogService { service: string; name: string; trial_days: number; metered_by: "users" | "bandwidth"; trial_requires_approval: boolean }
export interface UserUsage {
  service: string;
  summary: { purchased: number; assigned: number; assigned_ratio: number | null; overage: number };
  monthly: { month: string; purchased: number; assigned: number; monthly_active_users: number; peak_daily_active_users: number; overage: number }[];
  daily: { date: string; daily_active_users: number; assigned: number }[];
}
export interface GatewayUsage {
  service: "gateway";
  summary: { committed_gb: number; used_gb: number; overage_gb: number };
  monthly: { month: string; term?: string; used_gb: number; cumulative_gb: number; committed_gb: number; overage_gb: number }[];
}
export interface Notification { notification_id: string; type: string; title: string; body: string; created_at: string; customer_id?: string }
export interface Partner { org_id: string; name: string; programs: string[]; connected_at: string }
export interface AdminEntry {
  type?: string; email: string; access: Access; permissions: string[]; status: string;
  granted_via?: { partner_id: string }; access_expires_at?: string;
}
export interface AuditEntry {
  at: string; actor: { email?: string; client?: string; partner_id?: string }; action: string; target: string; detail: unknown;
}

export interface SupportTicket {
  ticket_id: string; org_id: string; subject: string; severity: "low" | "normal" | "high"; status: "open" | "closed";
  created_at: string; opened_by: string; closed_at?: string; closed_by?: string;
}

export interface FederatedDomain { domain: string; partner_id: string; created_at: string; created_by: string }
export interface WorkspaceDomain { domain: string; partner_id: string; linked_at: string }
export interface WorkspaceTheme { org_id: string; name: string; primary_color: string; logo_url: string; updated_at: string; updated_by: string }

export const PERMISSIONS = ["customer-dashboard.view", "licensing.view", "notifications.view", "services.manage"] as const;
