//! The route × role matrix, generated from `openapi.yaml`: every route against no
//! token, a stranger, an unverified email, an unconnected partner, a connected partner
//! that is not an administrator, custom administrators without and with the route's
//! permission, a full administrator, a former partner after disconnection, an
//! administrator whose time-limited access expired, and each machine scope.
//!
//! Each cell asserts the contract's answer (status and error code). Each refused write
//! is followed by reading the table back to show that nothing changed (and, once the
//! refusals are done, that nothing they set off landed later). A route in
//! `openapi.yaml` without a row here fails the test, and so does a row for a route it
//! lacks. Every wrong cell is collected and listed before the one assertion; the run
//! prints every row's cells. `MATRIX_ROWS=audit-log,admins` runs only matching rows.
//!
//! A row's callers answer as its `Who` says ([`default_expect`]); `.but` states a
//! row's exceptions and `.extra` adds cells of its own (the last full administrator,
//! a person's token carrying a machine scope, an org without a badge, ...). A cell the
//! contract has no caller for (a custom administrator "with the permission" of a route
//! that needs full access) is listed as n/a.
//!
//! Each row that writes runs in a world of its own (a fresh gateway and table on a test
//! clock); rows that only read share one per subject and custom permissions:
//!
//! - `P` a CSP partner and `C` a customer connected to it by the invitation link;
//! - `Q` a partner not connected to `C`; `P2` a second partner connected to `C` whose
//!   admin administers neither `P` nor `C` (the "connected partner" caller);
//! - `F` a former partner: connected to `C`, its admin made full administrator of `C`
//!   through an admin invitation (so `granted_via` `F`), its domain linked to `C`, then
//!   `C` removed `F`;
//! - `N` an org without a programme badge;
//! - on the row's subject org (`P` for partner-side routes, `C` otherwise) two custom
//!   administrators (without / with the route's permission), a full administrator
//!   whose access expires an hour after it is granted (the clock is moved two hours on
//!   once the world is built), and a custom administrator `T` for the admins routes,
//!   all through the real invitation flow;
//! - on `C` services (an active trial, one pending approval; their notifications), an
//!   open support ticket and a pending admin invitation; on `P` an order recorded by
//!   the order feed; a federated domain per partner, linked to `C` by `P` and `P2`.
//!
//! Path templates name orgs with placeholders: `{P}`, `{C}`, `{Q}`, `{P2}`, `{F}`, `{N}`,
//! and `{PARTNER}` / `{CODE}` / `{DOMAIN}`, the partner (its invitation code, its
//! domain) of the calling person: `Q` for the unconnected partner, `P2` for the
//! connected one, `F` for the former one, `P` for everyone else. So a partner-side route
//! naming the customer is tried by each partner on its own org:
//! `/v1/orgs/{F}/customers/{C}` for the former partner, not `/v1/orgs/{P}/...` where it
//! never had standing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{FutureExt, StreamExt};
use partner_hub_tests::{Answer, Gateway, Item, TestClock, JWT_SECRET};
use reqwest::Method;
use serde_json::{json, Value};

/// Worlds built and run at the same time (each on its own gateway and table).
const PARALLEL_WORLDS: usize = 4;

// ---------------------------------------------------------------------------------
// Callers and expectations
// ---------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Caller {
    NoToken,
    Stranger,
    Unverified,
    Unconnected,
    Connected,
    CustomWithout,
    CustomWith,
    Full,
    Former,
    Expired,
    ScopeUsage,
    ScopeOrders,
    ScopeTrials,
}

use Caller::*;

const CALLERS: [Caller; 13] = [
    NoToken,
    Stranger,
    Unverified,
    Unconnected,
    Connected,
    CustomWithout,
    CustomWith,
    Full,
    Former,
    Expired,
    ScopeUsage,
    ScopeOrders,
    ScopeTrials,
];

impl Caller {
    fn label(self) -> &'static str {
        match self {
            NoToken => "no-token",
            Stranger => "stranger",
            Unverified => "unverified-email",
            Unconnected => "unconnected-partner",
            Connected => "connected-partner",
            CustomWithout => "custom-without",
            CustomWith => "custom-with",
            Full => "full-admin",
            Former => "former-partner",
            Expired => "expired-admin",
            ScopeUsage => "scope usage:write",
            ScopeOrders => "scope orders:write",
            ScopeTrials => "scope trials:approve",
        }
    }

    fn scope(self) -> Option<&'static str> {
        match self {
            ScopeUsage => Some("usage:write"),
            ScopeOrders => Some("orders:write"),
            ScopeTrials => Some("trials:approve"),
            _ => None,
        }
    }

    /// The partner org this caller acts from, for `{PARTNER}`, `{CODE}` and `{DOMAIN}`.
    fn partner(self) -> &'static str {
        match self {
            Unconnected => "Q",
            Connected => "P2",
            Former => "F",
            _ => "P",
        }
    }
}

/// Who the contract lets call a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    /// Public: everyone gets the normal answer.
    Public,
    /// Any person with a verified email.
    Person,
    /// A machine client with this scope, and nobody else.
    Machine(&'static str),
    /// Any administrator of the subject org.
    AnyAdmin,
    /// A full administrator, or a custom one with this permission.
    Perm(&'static str),
    /// A full administrator only.
    FullOnly,
    /// The person the admin invitation was sent to (an extra cell), nobody else.
    Invitee,
}

const PERMISSIONS: [&str; 4] =
    ["customer-dashboard.view", "licensing.view", "notifications.view", "services.manage"];

impl Who {
    /// The custom administrators' permissions: (without, with).
    fn custom_permissions(self) -> (Vec<&'static str>, Option<Vec<&'static str>>) {
        match self {
            // Custom access needs a permission: one that has nothing to do with the route.
            Who::AnyAdmin => (vec!["customer-dashboard.view"], None),
            Who::Perm(p) => (PERMISSIONS.iter().copied().filter(|x| *x != p).collect(), Some(vec![p])),
            _ => (PERMISSIONS.to_vec(), None),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Expect {
    /// The row's success status.
    Ok,
    /// A particular success status.
    Status(u16),
    /// A refusal: status and error code.
    Err(u16, &'static str),
    /// The cell does not exist for this route.
    NA,
}

const UNAUTHENTICATED: Expect = Expect::Err(401, "unauthenticated");
const FORBIDDEN: Expect = Expect::Err(403, "forbidden");
const NOT_VERIFIED: Expect = Expect::Err(403, "email_not_verified");
const NOT_FOUND: Expect = Expect::Err(404, "not_found");
const NOT_A_PARTNER: Expect = Expect::Err(403, "not_a_partner");
const LAST_FULL_ADMIN: Expect = Expect::Err(409, "last_full_admin");
const INVALID: Expect = Expect::Err(400, "invalid_request");
const GONE: Expect = Expect::Err(410, "gone");
const CONFLICT: Expect = Expect::Err(409, "conflict");

/// The contract's answer for a caller, before a row's own exceptions:
/// - no token: 401 `unauthenticated`, but for the public routes;
/// - a machine route takes its scope and nothing else: any other scope and any person
///   (verified or not, stranger or administrator) is 403 `forbidden`;
/// - a machine token on a person's route is 403 `forbidden`; an unverified email is
///   403 `email_not_verified`;
/// - on an org route the full administrator succeeds, a custom one as its permissions
///   say (403 `forbidden` without), and whoever has no standing in the org gets 404.
fn default_expect(who: Who, caller: Caller) -> Expect {
    if caller == CustomWith && !matches!(who, Who::Perm(_)) {
        return Expect::NA;
    }
    match who {
        Who::Public => Expect::Ok,
        _ if caller == NoToken => UNAUTHENTICATED,
        Who::Machine(scope) => {
            if caller.scope() == Some(scope) {
                Expect::Ok
            } else {
                FORBIDDEN
            }
        }
        _ if caller.scope().is_some() => FORBIDDEN,
        _ if caller == Unverified => NOT_VERIFIED,
        Who::Person => Expect::Ok,
        Who::Invitee => FORBIDDEN,
        Who::AnyAdmin | Who::Perm(_) | Who::FullOnly => match caller {
            Full => Expect::Ok,
            CustomWithout if who == Who::AnyAdmin => Expect::Ok,
            CustomWithout => FORBIDDEN,
            CustomWith => Expect::Ok,
            _ => NOT_FOUND,
        },
    }
}

// ---------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------

type BodyFn = Box<dyn Fn(&World, Caller) -> Value>;
type ExtrasFn = Box<dyn Fn(&World) -> Vec<Cell>>;

struct Row {
    method: Method,
    /// The route as openapi.yaml names it.
    route: String,
    /// The path requested, with placeholders.
    at: String,
    who: Who,
    ok: u16,
    body: Option<BodyFn>,
    overrides: Vec<(Caller, Expect)>,
    extras: Vec<ExtrasFn>,
    /// A partner-side route: an org without a badge answers 403 `not_a_partner`.
    partner_route: bool,
}

/// A row: `route` is "METHOD /path" as openapi.yaml has it; `{org_id}` is the customer
/// `C` unless [`Row::partner`] or [`Row::at`] says otherwise.
fn row(route: &str, who: Who, ok: u16) -> Row {
    let (method, path) = route.split_once(' ').expect("METHOD path");
    Row {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        route: path.to_string(),
        at: path.replace("{org_id}", "{C}"),
        who,
        ok,
        body: None,
        overrides: vec![],
        extras: vec![],
        partner_route: false,
    }
}

impl Row {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.route)
    }

    /// The org whose administrators the row is about.
    fn subject(&self) -> Subject {
        if self.at.starts_with("/v1/orgs/{P}/") || self.at.starts_with("/v1/orgs/{PARTNER}/") {
            Subject::Partner
        } else {
            Subject::Customer
        }
    }

    /// A partner-side route, on `P`.
    fn partner(mut self) -> Self {
        self.at = self.route.replace("{org_id}", "{P}");
        self.partner_route = true;
        self
    }

    /// The path requested, when it is not the route with `{org_id}` filled.
    fn at(mut self, at: &str) -> Self {
        self.at = at.to_string();
        self
    }

    fn body(mut self, f: impl Fn(&World, Caller) -> Value + 'static) -> Self {
        self.body = Some(Box::new(f));
        self
    }

    fn but(mut self, caller: Caller, expect: Expect) -> Self {
        self.overrides.push((caller, expect));
        self
    }

    fn extra(mut self, f: impl Fn(&World) -> Vec<Cell> + 'static) -> Self {
        self.extras.push(Box::new(f));
        self
    }

    /// The request body: the row's, or `{}` for a POST or PUT without one.
    fn body_for(&self, world: &World, caller: Caller) -> Option<Value> {
        match &self.body {
            Some(f) => Some(f(world, caller)),
            None => (self.method == Method::POST || self.method == Method::PUT).then(|| json!({})),
        }
    }

    fn expect(&self, caller: Caller) -> Expect {
        self.overrides
            .iter()
            .rev()
            .find(|(c, _)| *c == caller)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| default_expect(self.who, caller))
    }
}

fn unique(name: &str) -> String {
    format!("{name}-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

const DASHBOARD: &str = "customer-dashboard.view";
const LOGO: &str = "https://example.com/logo.png";
const LICENSING: &str = "licensing.view";
const NOTIFICATIONS: &str = "notifications.view";
const SERVICES: &str = "services.manage";

/// A person's token carrying the desk's scope; an entitlement that is not pending; an
/// org that does not exist.
fn trial_desk_extras(w: &World, verb: &str) -> Vec<Cell> {
    let person = w.tokens["person-trials:approve"].clone();
    let pending = format!("POST /v1/orgs/{{C}}/entitlements/{{PENDING}}/{verb}");
    let active = format!("POST /v1/orgs/{{C}}/entitlements/{{ACTIVE_TRIAL}}/{verb}");
    let missing = format!("POST /v1/orgs/{{MISSING}}/entitlements/{{PENDING}}/{verb}");
    vec![
        w.cell_with(
            "C's full admin, token with scope trials:approve",
            person,
            &pending,
            Some(json!({})),
            FORBIDDEN,
        ),
        w.cell("scope trials:approve: not pending", ScopeTrials, &active, Some(json!({})), CONFLICT),
        w.cell("scope trials:approve: no such org", ScopeTrials, &missing, Some(json!({})), NOT_FOUND),
    ]
}

/// One row per route of openapi.yaml (the `/local/` ones aside). The callers' answers
/// follow from `Who` ([`default_expect`]); `.but` gives a row's exceptions, `.extra`
/// its own cells.
fn rows() -> Vec<Row> {
    use Who::*;
    let order = || {
        json!({"order_id": format!("SO-{}", uuid::Uuid::new_v4().simple()), "service": "daas",
            "quantity": 10, "tenancy": "multi", "placed_at": "2025-01-01T00:00:00Z"})
    };
    let usage = |w: &World| {
        json!({"records": [{"org_id": w.id("C"), "service": "daas", "date": w.id("YESTERDAY"),
            "user": "user-1", "assigned": true, "active": true}]})
    };
    vec![
        // Accounts and programs.
        row("POST /v1/signup", Person, 201).body(|_, _| json!({"name": "Signed Up Co"})),
        row("GET /v1/me", Person, 200).extra(|w| {
            vec![
                w.cell("former-partner: C is not listed", Former, "GET /v1/me", None, Expect::Ok)
                    .absent(w.id("C")),
                w.cell("expired-admin: C is not listed", Expired, "GET /v1/me", None, Expect::Ok)
                    .absent(w.id("C")),
            ]
        }),
        row("POST /v1/orgs/{org_id}/programs", FullOnly, 201).body(|_, _| json!({"program": "CSA"})),
        row("POST /v1/orgs/{org_id}/customers", FullOnly, 201)
            .partner()
            .body(|_, _| json!({"company_name": "Added Co", "contact_email": unique("contact")})),
        // Invitation link.
        row("GET /v1/orgs/{org_id}/invite-link", Perm(DASHBOARD), 200).partner(),
        row("POST /v1/orgs/{org_id}/invite-link/emails", Perm(DASHBOARD), 202)
            .partner()
            .body(|_, _| json!({"email": unique("prospect")})),
        row("GET /invite/{code}", Public, 200).at("/invite/{CODE}").extra(|w| {
            let unknown = format!("GET /invite/{}", "A".repeat(32));
            vec![w.cell("no-token: an unknown code", NoToken, &unknown, None, NOT_FOUND)]
        }),
        // Connections. Each partner tries its own link; C's full admin accepts P's
        // link again (200, already connected).
        row("POST /v1/invite/{code}/accept", FullOnly, 200)
            .at("/v1/invite/{CODE}/accept")
            .body(|w, _| json!({"customer_org_id": w.id("C")})),
        row("DELETE /v1/orgs/{org_id}/customers/{customer_id}", FullOnly, 204)
            .partner()
            .at("/v1/orgs/{PARTNER}/customers/{C}")
            .but(Connected, Expect::Ok),
        row("GET /v1/orgs/{org_id}/partners", AnyAdmin, 200),
        row("DELETE /v1/orgs/{org_id}/partners/{partner_id}", FullOnly, 204)
            .at("/v1/orgs/{C}/partners/{PARTNER}"),
        // Customer dashboard.
        row("GET /v1/orgs/{org_id}/customers", Perm(DASHBOARD), 200).partner(),
        row("GET /v1/orgs/{org_id}/customers/{customer_id}", Perm(DASHBOARD), 200)
            .partner()
            .at("/v1/orgs/{PARTNER}/customers/{C}")
            .but(Connected, Expect::Ok),
        // Notifications.
        row("GET /v1/orgs/{org_id}/notifications", AnyAdmin, 200),
        row("GET /v1/orgs/{org_id}/customer-notifications", Perm(NOTIFICATIONS), 200)
            .partner()
            .at("/v1/orgs/{PARTNER}/customer-notifications?customer_id={C}")
            .but(Connected, Expect::Ok),
        row(
            "POST /v1/orgs/{org_id}/customer-notifications/{notification_id}/dismiss",
            Perm(NOTIFICATIONS),
            204,
        )
        .partner()
        .at("/v1/orgs/{PARTNER}/customer-notifications/{NOTE}/dismiss")
        .but(Connected, Expect::Ok),
        // Administrators.
        row("POST /v1/orgs/{org_id}/admin-invitations", FullOnly, 201)
            .body(|_, _| json!({"email": unique("invited"), "access": "custom", "permissions": [LICENSING]}))
            .extra(|w| {
                let at = "POST /v1/orgs/{C}/admin-invitations";
                let ahead = |days| json!((w.now + chrono::Duration::days(days)).to_rfc3339());
                let limited = json!({"email": unique("t"), "access": "full", "access_expires_at": ahead(30)});
                let too_long =
                    json!({"email": unique("t"), "access": "full", "access_expires_at": ahead(730)});
                vec![
                    w.cell("full-admin: access for 30 days", Full, at, Some(limited), Expect::Status(201)),
                    w.cell("full-admin: access for 2 years", Full, at, Some(too_long), INVALID),
                ]
            }),
        row("POST /v1/admin-invitations/{token}/accept", Invitee, 200)
            .at("/v1/admin-invitations/{INVITATION}/accept")
            .extra(|w| {
                let at = "POST /v1/admin-invitations/{INVITATION}/accept";
                let (unverified, verified) =
                    (w.tokens["invitee-unverified"].clone(), w.tokens["invitee"].clone());
                vec![
                    w.cell_with(
                        "the invited email, unverified",
                        unverified,
                        at,
                        Some(json!({})),
                        NOT_VERIFIED,
                    ),
                    w.cell_with(
                        "the invited email",
                        verified.clone(),
                        at,
                        Some(json!({})),
                        Expect::Status(200),
                    ),
                    w.cell_with("the invited email, again", verified, at, Some(json!({})), GONE).late(),
                ]
            }),
        row("GET /admin-invitations/{token}", Public, 200).at("/admin-invitations/{INVITATION}").extra(|w| {
            let unknown = format!("GET /admin-invitations/{}", "Z".repeat(32));
            vec![
                w.cell("no-token: an unknown token", NoToken, &unknown, None, Expect::Status(404)),
                w.cell(
                    "no-token: a used one",
                    NoToken,
                    "GET /admin-invitations/{USED_INVITATION}",
                    None,
                    Expect::Status(410),
                ),
            ]
        }),
        row("GET /v1/orgs/{org_id}/admins", AnyAdmin, 200),
        row("PUT /v1/orgs/{org_id}/admins/{email}", FullOnly, 200)
            .at("/v1/orgs/{C}/admins/{T}")
            .body(|_, _| json!({"access": "custom", "permissions": [NOTIFICATIONS]}))
            .extra(|w| {
                let owner = "PUT /v1/orgs/{C}/admins/{OWNER}";
                let downgrade = json!({"access": "custom", "permissions": [SERVICES]});
                let tomorrow = (w.now + chrono::Duration::days(1)).to_rfc3339();
                let expiry = json!({"access": "full", "access_expires_at": tomorrow});
                let nobody = "PUT /v1/orgs/{C}/admins/nobody@example.com";
                vec![
                    w.cell(
                        "full-admin: the last full admin to custom",
                        Full,
                        owner,
                        Some(downgrade),
                        LAST_FULL_ADMIN,
                    ),
                    w.cell(
                        "full-admin: an expiry on the last full admin",
                        Full,
                        owner,
                        Some(expiry),
                        LAST_FULL_ADMIN,
                    ),
                    w.cell(
                        "full-admin: not an administrator",
                        Full,
                        nobody,
                        Some(json!({"access": "full"})),
                        NOT_FOUND,
                    ),
                ]
            }),
        row("DELETE /v1/orgs/{org_id}/admins/{email}", FullOnly, 204).at("/v1/orgs/{C}/admins/{T}").extra(
            |w| {
                let admins = "GET /v1/orgs/{C}/admins";
                vec![
                    w.cell(
                        "full-admin: removes itself, the last full admin",
                        Full,
                        "DELETE /v1/orgs/{C}/admins/{OWNER}",
                        None,
                        LAST_FULL_ADMIN,
                    ),
                    w.cell(
                        "full-admin: not an administrator",
                        Full,
                        "DELETE /v1/orgs/{C}/admins/nobody@example.com",
                        None,
                        NOT_FOUND,
                    ),
                    w.cell(
                        "custom-without: removes itself",
                        CustomWithout,
                        "DELETE /v1/orgs/{C}/admins/{CUSTOM_WITHOUT}",
                        None,
                        Expect::Status(204),
                    ),
                    w.cell("custom-without, once removed", CustomWithout, admins, None, NOT_FOUND).late(),
                    w.cell_with("T, once removed", w.tokens["T"].clone(), admins, None, NOT_FOUND).late(),
                ]
            },
        ),
        // Services and entitlements.
        row("GET /v1/services", Public, 200),
        row("POST /v1/orgs/{org_id}/services", Perm(SERVICES), 201)
            .body(|_, caller| {
                let service = if caller == CustomWith { "gateway" } else { "daas" };
                json!({"service": service, "kind": "trial"})
            })
            .extra(|w| {
                let resell = json!({"service": "sdwan-orchestrator", "kind": "resell"});
                let n = w.tokens["N"].clone();
                vec![w.cell_with(
                    "non-partner's full admin: resell",
                    n,
                    "POST /v1/orgs/{N}/services",
                    Some(resell),
                    NOT_A_PARTNER,
                )]
            }),
        row("GET /v1/orgs/{org_id}/entitlements", AnyAdmin, 200).but(Connected, Expect::Ok),
        // The sales desk approves or declines a pending trial.
        row("POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/approve", Machine("trials:approve"), 200)
            .at("/v1/orgs/{C}/entitlements/{PENDING}/approve")
            .extra(|w| trial_desk_extras(w, "approve")),
        row("POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/decline", Machine("trials:approve"), 200)
            .at("/v1/orgs/{C}/entitlements/{PENDING}/decline")
            .body(|_, _| json!({"reason": "not this quarter"}))
            .extra(|w| trial_desk_extras(w, "decline")),
        // Support tickets: a connected partner's admins read them, only the org's own open
        // and close them.
        row("POST /v1/orgs/{org_id}/support-tickets", AnyAdmin, 201)
            .body(|_, _| json!({"subject": "Printer on fire", "severity": "high"})),
        row("GET /v1/orgs/{org_id}/support-tickets", AnyAdmin, 200).but(Connected, Expect::Ok),
        row("POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close", AnyAdmin, 200)
            .at("/v1/orgs/{C}/support-tickets/{TICKET}/close"),
        // Service-provider features: each partner links its own domain ({DOMAIN}); F's
        // link to C went with the connection.
        row("GET /v1/orgs/{org_id}/federated-domains", Perm(DASHBOARD), 200)
            .partner()
            .at("/v1/orgs/{P}/federated-domains"),
        row("PUT /v1/orgs/{org_id}/federated-domains/{domain}", FullOnly, 201)
            .partner()
            .at("/v1/orgs/{P}/federated-domains/{NEW_DOMAIN}"),
        row("PUT /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}", FullOnly, 204)
            .partner()
            .at("/v1/orgs/{PARTNER}/federated-domains/{DOMAIN}/customers/{C}")
            .but(Connected, Expect::Ok),
        row("DELETE /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}", FullOnly, 204)
            .partner()
            .at("/v1/orgs/{PARTNER}/federated-domains/{DOMAIN}/customers/{C}")
            .but(Connected, Expect::Ok)
            .extra(|w| {
                let access = "GET /v1/orgs/{C}/workspace-access";
                let owner = w.tokens["C_OWNER"].clone();
                vec![w
                    .cell_with("C's full admin, once unlinked", owner, access, None, Expect::Status(200))
                    .absent(w.id("DOMAIN_P"))
                    .late()]
            }),
        row("GET /v1/orgs/{org_id}/workspace-access", AnyAdmin, 200).but(Connected, Expect::Ok).extra(|w| {
            let access = "GET /v1/orgs/{C}/workspace-access";
            let gone = w.id("DOMAIN_F");
            vec![w.cell("full-admin: F's domain is gone", Full, access, None, Expect::Ok).absent(gone)]
        }),
        row("GET /v1/orgs/{org_id}/workspace-theme", AnyAdmin, 200).but(Connected, Expect::Ok),
        row("PUT /v1/orgs/{org_id}/workspace-theme", FullOnly, 200)
            .body(|_, _| json!({"name": "Blue", "primary_color": "#0055AA", "logo_url": LOGO}))
            .but(Connected, Expect::Ok),
        // Orders and licenses.
        row("POST /v1/orgs/{org_id}/orders", Machine("orders:write"), 201)
            .at("/v1/orgs/{P}/orders")
            .body(move |_, _| order())
            .extra(move |w| {
                let person = w.tokens["person-orders:write"].clone();
                vec![
                    w.cell_with(
                        "P's full admin, token with scope orders:write",
                        person,
                        "POST /v1/orgs/{P}/orders",
                        Some(order()),
                        FORBIDDEN,
                    ),
                    w.cell(
                        "scope orders:write: no such org",
                        ScopeOrders,
                        "POST /v1/orgs/{MISSING}/orders",
                        Some(order()),
                        NOT_FOUND,
                    ),
                ]
            }),
        row("POST /v1/orgs/{org_id}/license-allocations", FullOnly, 201)
            .partner()
            .body(|w, _| json!({"order_id": "SO-WORLD", "target_org_id": w.id("P"), "quantity": 1})),
        row("GET /v1/orgs/{org_id}/licenses", AnyAdmin, 200).partner(),
        // Usage.
        row("POST /v1/usage-records", Machine("usage:write"), 202).body(move |w, _| usage(w)).extra(
            move |w| {
                let person = w.tokens["person-usage:write"].clone();
                vec![w.cell_with(
                    "C's full admin, token with scope usage:write",
                    person,
                    "POST /v1/usage-records",
                    Some(usage(w)),
                    FORBIDDEN,
                )]
            },
        ),
        row("GET /v1/orgs/{org_id}/customers/{customer_id}/usage", Perm(LICENSING), 200)
            .partner()
            .at("/v1/orgs/{PARTNER}/customers/{C}/usage?service=daas")
            .but(Connected, Expect::Ok),
        row("GET /v1/orgs/{org_id}/usage", AnyAdmin, 200).at("/v1/orgs/{C}/usage?service=daas"),
        row("GET /v1/orgs/{org_id}/usage.csv", Perm(LICENSING), 200).partner(),
        // Audit log.
        row("GET /v1/orgs/{org_id}/audit-log", FullOnly, 200),
    ]
}

// ---------------------------------------------------------------------------------
// The world a row runs in
// ---------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Subject {
    Partner,
    Customer,
}

struct World {
    gw: Gateway,
    /// The app's clock when the world was built (before it was moved on).
    now: chrono::DateTime<chrono::Utc>,
    /// Placeholder → value.
    ids: HashMap<String, String>,
    /// Callers' tokens (no entry for `NoToken`), and named extra tokens.
    tokens: HashMap<String, String>,
    /// What went wrong building the world that the cells do not show themselves.
    notes: Vec<String>,
    /// Parts of the world that could not be built: only the rows that use them fail.
    gaps: Vec<String>,
    /// How long building it took.
    built: std::time::Duration,
}

/// One request and the answer it must get.
struct Cell {
    label: String,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Value>,
    expect: Expect,
    /// A string the answer must not contain (an org id it must no longer list).
    absent: Option<String>,
    /// Runs after the successes (it checks what they did).
    late: bool,
}

impl Cell {
    fn absent(mut self, what: String) -> Self {
        self.absent = Some(what);
        self
    }

    fn late(mut self) -> Self {
        self.late = true;
        self
    }
}

impl World {
    fn id(&self, key: &str) -> String {
        match self.ids.get(key) {
            Some(value) => value.clone(),
            None => panic!("the world has no {key}: {}", self.gaps.join("; ")),
        }
    }

    fn token_of(&self, caller: Caller) -> Option<String> {
        (caller != NoToken).then(|| self.tokens[caller.label()].clone())
    }

    /// The path with its placeholders filled; `{PARTNER}`, `{CODE}` and `{DOMAIN}` are the
    /// calling partner's, `{NOTE}` a notification of C's of the caller's own.
    fn fill(&self, template: &str, caller: Caller) -> String {
        let partner = caller.partner();
        let note = match caller {
            CustomWith => "NOTE1",
            Connected => "NOTE2",
            _ => "NOTE0",
        };
        let mut out = template.to_string();
        for (placeholder, key) in [
            ("{PARTNER}", partner.to_string()),
            ("{CODE}", format!("CODE_{partner}")),
            ("{DOMAIN}", format!("DOMAIN_{partner}")),
            ("{NOTE}", note.to_string()),
        ] {
            if out.contains(placeholder) {
                out = out.replace(placeholder, &self.id(&key));
            }
        }
        while let Some(start) = out.find('{') {
            let end = start + out[start..].find('}').expect("a closed placeholder");
            out = out.replace(&out[start..=end].to_string(), &self.id(&out[start + 1..end]));
        }
        out
    }

    /// A cell of the row's own: `route` is "METHOD path-template".
    fn cell(&self, label: &str, caller: Caller, route: &str, body: Option<Value>, expect: Expect) -> Cell {
        self.request(label, self.token_of(caller), route, caller, body, expect)
    }

    /// The same with a token of its own.
    fn cell_with(
        &self,
        label: &str,
        token: String,
        route: &str,
        body: Option<Value>,
        expect: Expect,
    ) -> Cell {
        self.request(label, Some(token), route, Full, body, expect)
    }

    fn request(
        &self,
        label: &str,
        token: Option<String>,
        route: &str,
        caller: Caller,
        body: Option<Value>,
        expect: Expect,
    ) -> Cell {
        let (method, at) = route.split_once(' ').expect("METHOD path");
        Cell {
            label: label.to_string(),
            method: Method::from_bytes(method.as_bytes()).expect("method"),
            path: self.fill(at, caller),
            token,
            body,
            expect,
            absent: None,
            late: false,
        }
    }

    async fn mint(&self, body: Value) -> Result<String, String> {
        let answer = self.gw.send(Method::POST, "/local/token", None, Some(body.clone())).await;
        match answer.body["token"].as_str() {
            Some(token) if answer.status == 200 => Ok(token.to_string()),
            _ => Err(format!("/local/token {body} answered {} {}", answer.status, answer.text)),
        }
    }
}

/// A person's token that carries a scope, signed the way the local authorizer checks.
fn person_token_with_scope(email: &str, scope: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": Gateway::sub_of(email), "email": email, "email_verified": true,
        "iat": now, "exp": now + 3600, "scope": scope});
    local_gateway::jwt::mint(JWT_SECRET, claims.as_object().expect("claims"))
}

fn expect_status(answer: &Answer, status: u16, what: &str) -> Result<(), String> {
    if answer.status.as_u16() == status {
        Ok(())
    } else {
        Err(format!("setup: {what}: expected {status}, got {} {}", answer.status.as_u16(), answer.text))
    }
}

async fn invite(gw: &Gateway, org: &str, token: &str, email: &str, mut body: Value) -> Result<(), String> {
    body["email"] = json!(email);
    let invited = gw.post(&format!("/v1/orgs/{org}/admin-invitations"), token, body).await;
    expect_status(&invited, 201, &format!("invite {email} to {org}"))
}

/// The accept links of the invitations to these addresses. The invitation item keeps
/// its link's token for the notify function to mail, so it is read from the table: the
/// mail arrives seconds later, and reading it back (`/local/emails` dumps all of moto's
/// state) gets slow over a run of 40 worlds. The mail is the fallback.
async fn invitation_links(gw: &Gateway, addresses: &[String]) -> Result<HashMap<String, String>, String> {
    const LINK: &str = "/v1/admin-invitations/";
    let mut links = HashMap::new();
    for item in gw.items().await {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        if let (Some(token), Some(email)) = (text("token"), text("email")) {
            if addresses.contains(&email) {
                links.insert(email, token);
            }
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while links.len() < addresses.len() && std::time::Instant::now() < deadline {
        let mails = gw.send(Method::GET, "/local/emails", None, None).await;
        for mail in mails.body.as_array().into_iter().flatten() {
            let (Some(to), Some(text)) = (mail["to"].as_str(), mail["text"].as_str()) else { continue };
            if let (true, Some(start)) = (addresses.iter().any(|a| a == to), text.find(LINK)) {
                let token = text[start + LINK.len()..].split('/').next().unwrap_or_default();
                links.entry(to.to_string()).or_insert_with(|| token.to_string());
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    match links.len() == addresses.len() {
        true => Ok(links),
        false => Err(format!(
            "setup: no invitation link for {:?}",
            addresses.iter().filter(|a| !links.contains_key(*a))
        )),
    }
}

/// A scope-only token from `/local/token`, or (noted) one minted directly.
async fn machine_token(gw: &Gateway, scope: &str, notes: &mut Vec<String>) -> String {
    let answer = gw.send(Method::POST, "/local/token", None, Some(json!({"scope": scope}))).await;
    if let (200, Some(token)) = (answer.status.as_u16(), answer.body["token"].as_str()) {
        return token.to_string();
    }
    notes.push(format!("setup: /local/token {{\"scope\": \"{scope}\"}}: {} {}", answer.status, answer.text));
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": format!("client-{scope}"), "scope": scope, "iat": now, "exp": now + 3600});
    local_gateway::jwt::mint(JWT_SECRET, claims.as_object().expect("claims"))
}

async fn build_world(subject: Subject, who: Who) -> Result<World, String> {
    let started = std::time::Instant::now();
    let clock = TestClock::default();
    let now = partner_hub::domain::Clock::now(&clock);
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let mut notes = vec![];
    let mut gaps = vec![];
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut tokens: HashMap<String, String> = HashMap::new();
    let email = |name: &str| unique(name);

    // The orgs.
    let (p_email, c_email, f_email) = (email("p-owner"), email("c-owner"), email("f-owner"));
    let (p_token, p) = gw.partner(&p_email, "Partner P").await;
    let (c_token, c) = gw.customer(&c_email, "Customer C").await;
    let (q_token, q) = gw.partner(&email("q-owner"), "Unconnected Q").await;
    let (p2_token, p2) = gw.partner(&email("p2-owner"), "Connected P2").await;
    let (f_token, f) = gw.partner(&f_email, "Former F").await;
    let (n_token, n) = gw.customer(&email("n-owner"), "Not a partner N").await;
    for (key, token, org) in
        [("P", &p_token, &p), ("Q", &q_token, &q), ("P2", &p2_token, &p2), ("F", &f_token, &f)]
    {
        ids.insert(key.into(), org.clone());
        ids.insert(format!("CODE_{key}"), gw.invite_code(token, org).await);
    }
    ids.insert("C".into(), c.clone());
    ids.insert("N".into(), n.clone());
    ids.insert("MISSING".into(), "40400404".into());
    ids.insert("YESTERDAY".into(), (now - chrono::Duration::days(1)).date_naive().to_string());

    // The invitations, sent first as their mails take a while: F's admin to C as full
    // administrator (granted via F, as F is connected when it accepts), the subject
    // org's custom, expiring and target administrators, and one to C left pending.
    let (s, s_token, s_email) = match subject {
        Subject::Partner => (p.clone(), p_token.clone(), p_email.clone()),
        Subject::Customer => (c.clone(), c_token.clone(), c_email.clone()),
    };
    ids.insert("SUBJECT".into(), s.clone());
    ids.insert("OWNER".into(), s_email.clone());
    invite(&gw, &c, &c_token, &f_email, json!({"access": "full"})).await?;
    let (without, with) = who.custom_permissions();
    let expires = (now + chrono::Duration::hours(1)).to_rfc3339();
    let mut admins = vec![
        ("CUSTOM_WITHOUT", json!({"access": "custom", "permissions": without})),
        ("EXPIRING", json!({"access": "full", "access_expires_at": expires})),
        ("T", json!({"access": "custom", "permissions": [DASHBOARD]})),
    ];
    if let Some(with) = with {
        admins.push(("CUSTOM_WITH", json!({"access": "custom", "permissions": with})));
    }
    for (key, body) in admins {
        let address = email(&key.to_lowercase().replace('_', "-"));
        invite(&gw, &s, &s_token, &address, body).await?;
        ids.insert(key.into(), address);
    }
    let invitee = email("invitee");
    invite(&gw, &c, &c_token, &invitee, json!({"access": "custom", "permissions": [LICENSING]})).await?;

    // C connects to P, P2 and F through their links (before any invitation is accepted).
    for key in ["P", "P2", "F"] {
        let accepted = gw.accept(&c_token, &ids[&format!("CODE_{key}")], &c).await;
        expect_status(&accepted, 201, &format!("C accepts {key}'s link"))?;
    }

    // Each partner registers a federated domain; P, P2 and F link theirs to C.
    for (key, token, org) in
        [("P", &p_token, &p), ("P2", &p2_token, &p2), ("Q", &q_token, &q), ("F", &f_token, &f)]
    {
        let domain =
            format!("{}-{}.example.com", key.to_lowercase(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let put = gw
            .send(Method::PUT, &format!("/v1/orgs/{org}/federated-domains/{domain}"), Some(token), None)
            .await;
        if put.status != 201 {
            gaps.push(format!("{key} registers {domain}: {} {}", put.status, put.text));
            continue;
        }
        ids.insert(format!("DOMAIN_{key}"), domain.clone());
        if key == "Q" {
            continue;
        }
        let path = format!("/v1/orgs/{org}/federated-domains/{domain}/customers/{c}");
        let linked = gw.send(Method::PUT, &path, Some(token), None).await;
        if linked.status != 204 {
            gaps.push(format!("{key} links {domain} to C: {} {}", linked.status, linked.text));
            ids.remove(&format!("DOMAIN_{key}"));
        }
    }
    ids.insert(
        "NEW_DOMAIN".into(),
        format!("new-{}.example.com", &uuid::Uuid::new_v4().simple().to_string()[..8]),
    );

    // Three notifications of C (services added), for the partners' feed, among them an
    // active trial and one pending approval (secure-private-access needs it); an order
    // on P from the order feed, for allocations.
    for (service, key) in
        [("sdwan-orchestrator", "ACTIVE_TRIAL"), ("analytics", ""), ("secure-private-access", "PENDING")]
    {
        let body = json!({"service": service, "kind": "trial"});
        let added = gw.post(&format!("/v1/orgs/{c}/services"), &c_token, body).await;
        expect_status(&added, 201, &format!("C adds {service}"))?;
        ids.insert(key.into(), added.body["entitlement_id"].as_str().unwrap_or_default().into());
    }
    for (caller, scope) in
        [(ScopeUsage, "usage:write"), (ScopeOrders, "orders:write"), (ScopeTrials, "trials:approve")]
    {
        tokens.insert(caller.label().into(), machine_token(&gw, scope, &mut notes).await);
    }
    let order = json!({"order_id": "SO-WORLD", "service": "daas", "quantity": 100, "tenancy": "multi",
        "placed_at": "2025-01-01T00:00:00Z"});
    let recorded = gw.post(&format!("/v1/orgs/{p}/orders"), &tokens[ScopeOrders.label()], order).await;
    expect_status(&recorded, 201, "the order feed records an order on P")?;
    // The invitations are accepted (their mails arrive in the background).
    let keys = ["CUSTOM_WITHOUT", "EXPIRING", "T", "CUSTOM_WITH"];
    let mut accepting: Vec<(String, String)> = vec![("F".into(), f_email.clone())];
    accepting.extend(keys.iter().filter(|k| ids.contains_key(**k)).map(|k| (k.to_string(), ids[*k].clone())));
    let mut addresses: Vec<String> = accepting.iter().map(|(_, address)| address.clone()).collect();
    addresses.push(invitee.clone());
    let links = invitation_links(&gw, &addresses).await?;
    for (key, address) in &accepting {
        let token = gw.token(address).await;
        let accepted =
            gw.post(&format!("/v1/admin-invitations/{}/accept", links[address]), &token, json!({})).await;
        expect_status(&accepted, 200, &format!("{key} accepts"))?;
        tokens.insert(key.clone(), token);
        ids.insert("USED_INVITATION".into(), links[address].clone());
    }
    ids.insert("INVITATION".into(), links[&invitee].clone());
    tokens.insert("invitee".into(), gw.token(&invitee).await);
    let mut note_ids: Vec<String> = vec![];
    for _ in 0..100 {
        let listed = gw.get(&format!("/v1/orgs/{c}/notifications"), &c_token).await;
        let items = listed.body["items"].as_array().cloned().unwrap_or_default();
        note_ids = items.iter().filter_map(|n| n["notification_id"].as_str().map(str::to_string)).collect();
        if note_ids.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    if note_ids.len() < 3 {
        return Err(format!("setup: C has {} notifications, expected 3", note_ids.len()));
    }
    for (i, id) in note_ids.iter().take(3).enumerate() {
        ids.insert(format!("NOTE{i}"), id.clone());
    }

    // An open ticket of C.
    let opened =
        gw.post(&format!("/v1/orgs/{c}/support-tickets"), &c_token, json!({"subject": "Slow"})).await;
    expect_status(&opened, 201, "C opens a support ticket")?;
    ids.insert("TICKET".into(), opened.body["ticket_id"].as_str().unwrap_or_default().to_string());
    // C's workspace theme, for reading.
    let theme = json!({"name": "Ocean", "primary_color": "#0055AA", "logo_url": LOGO});
    let themed =
        gw.send(Method::PUT, &format!("/v1/orgs/{c}/workspace-theme"), Some(&c_token), Some(theme)).await;
    expect_status(&themed, 200, "C sets its workspace theme")?;

    // C removes F: F's admin loses the standing it was granted through F. Then the
    // time-limited access ends.
    let removed = gw.send(Method::DELETE, &format!("/v1/orgs/{c}/partners/{f}"), Some(&c_token), None).await;
    expect_status(&removed, 204, "C removes F")?;
    clock.advance(chrono::Duration::hours(2));
    // The removal is the last event of the world: once F is told, the bus has caught up.
    let mut told = false;
    for _ in 0..300 {
        let listed = gw.get(&format!("/v1/orgs/{f}/notifications"), &f_token).await;
        let items = listed.body["items"].as_array().cloned().unwrap_or_default();
        told = items.iter().any(|n| n["type"] == "connection_removed");
        if told {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if !told {
        notes.push("setup: F was not notified of its removal within 60 s".into());
    }

    tokens.insert(Stranger.label().into(), gw.token(&email("stranger")).await);
    tokens.insert(Unconnected.label().into(), q_token);
    tokens.insert(Connected.label().into(), p2_token);
    tokens.insert(Full.label().into(), s_token);
    tokens.insert(Former.label().into(), tokens["F"].clone());
    tokens.insert(CustomWithout.label().into(), tokens["CUSTOM_WITHOUT"].clone());
    if let Some(with) = tokens.get("CUSTOM_WITH").cloned() {
        tokens.insert(CustomWith.label().into(), with);
    }
    tokens.insert(Expired.label().into(), tokens["EXPIRING"].clone());
    tokens.insert("N".into(), n_token);
    tokens.insert("person-orders:write".into(), person_token_with_scope(&p_email, "orders:write"));
    tokens.insert("person-usage:write".into(), person_token_with_scope(&c_email, "usage:write"));
    tokens.insert("person-trials:approve".into(), person_token_with_scope(&c_email, "trials:approve"));
    tokens.insert("C_OWNER".into(), c_token);
    let world = World { gw, now, ids, tokens, notes, gaps, built: std::time::Duration::ZERO };
    let unverified = world.mint(json!({"email": s_email, "email_verified": false})).await?;
    let invitee_unverified = world.mint(json!({"email": invitee, "email_verified": false})).await?;
    let mut world = world;
    world.tokens.insert(Unverified.label().into(), unverified);
    world.tokens.insert("invitee-unverified".into(), invitee_unverified);
    world.built = started.elapsed();
    Ok(world)
}

// ---------------------------------------------------------------------------------
// Reading the table back
// ---------------------------------------------------------------------------------

/// Each item (by `PK | SK`) as its attributes, each written out canonically.
type Snapshot = BTreeMap<String, BTreeMap<String, String>>;

fn canonical(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("S{s:?}"),
        AttributeValue::N(n) => format!("N{n}"),
        AttributeValue::Bool(b) => format!("B{b}"),
        AttributeValue::Null(_) => "NULL".into(),
        AttributeValue::B(b) => format!("BIN{:?}", b.as_ref()),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => {
            let mut v = v.clone();
            v.sort();
            format!("SET{v:?}")
        }
        AttributeValue::L(l) => format!("[{}]", l.iter().map(canonical).collect::<Vec<_>>().join(",")),
        AttributeValue::M(m) => {
            let sorted: BTreeMap<_, _> = m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            format!("{sorted:?}")
        }
        other => format!("{other:?}"),
    }
}

fn snapshot(items: Vec<Item>) -> Snapshot {
    items
        .into_iter()
        .map(|item| {
            let key = |k: &str| item.get(k).map(canonical).unwrap_or_default();
            let id = format!("{} | {}", key("PK"), key("SK"));
            (id, item.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        })
        .collect()
}

/// The table once nothing has changed in it for a while (the bus delivers events to
/// the notify function in the background, slower when the machine is busy).
async fn quiet_snapshot(gw: &Gateway) -> Snapshot {
    const QUIET: std::time::Duration = std::time::Duration::from_millis(1500);
    let mut last = snapshot(gw.items().await);
    let mut since = std::time::Instant::now();
    for _ in 0..240 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = snapshot(gw.items().await);
        if now != last {
            (last, since) = (now, std::time::Instant::now());
        } else if since.elapsed() >= QUIET {
            break;
        }
    }
    last
}

/// Whether the only change is the expiring administrator's ended access being
/// recorded: its record gone and `admin.expired` entries added. The contract leaves
/// when that happens to the implementation ("no job needed"), so any request may do
/// it; it is not a change the request made.
fn only_expiry_settled(before: &Snapshot, after: &Snapshot, expiring: &str) -> bool {
    let attribute = |item: &BTreeMap<String, String>, name: &str| item.get(name).cloned().unwrap_or_default();
    let added = after.iter().filter(|(k, _)| !before.contains_key(*k));
    let removed = before.iter().filter(|(k, _)| !after.contains_key(*k));
    let changed = after.iter().any(|(k, v)| before.get(k).is_some_and(|old| old != v));
    let mut any = false;
    for (_, item) in added {
        any = true;
        if attribute(item, "action") != format!("S{:?}", "admin.expired") {
            return false;
        }
    }
    for (_, item) in removed {
        any = true;
        if attribute(item, "email") != format!("S{expiring:?}") || !item.contains_key("access_expires_at") {
            return false;
        }
    }
    any && !changed
}

fn diff(before: &Snapshot, after: &Snapshot) -> String {
    let mut changes = vec![];
    for (key, value) in after {
        match before.get(key) {
            None => changes.push(format!("+ {key}")),
            Some(old) if old != value => changes.push(format!("~ {key}")),
            _ => {}
        }
    }
    changes.extend(before.keys().filter(|k| !after.contains_key(*k)).map(|k| format!("- {k}")));
    let more = changes.len().saturating_sub(6);
    changes.truncate(6);
    if more > 0 {
        changes.push(format!("… {more} more"));
    }
    changes.join("; ")
}

// ---------------------------------------------------------------------------------
// Running a row
// ---------------------------------------------------------------------------------

struct RowResult {
    lines: Vec<String>,
    failures: Vec<String>,
    cells: usize,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => write!(f, "success"),
            Expect::Status(s) => write!(f, "{s}"),
            Expect::Err(s, code) => write!(f, "{s} {code}"),
            Expect::NA => write!(f, "n/a"),
        }
    }
}

fn got(answer: &Answer) -> String {
    let code = answer.error_code();
    if code.is_empty() {
        format!("{}", answer.status.as_u16())
    } else {
        format!("{} {code}", answer.status.as_u16())
    }
}

/// The path with its org segment (`/v1/orgs/{X}`) naming another org.
fn with_org(at: &str, org: &str) -> String {
    let rest = at.strip_prefix("/v1/orgs/").expect("an org route");
    let end = rest.find('/').unwrap_or(rest.len());
    format!("/v1/orgs/{org}{}", &rest[end..])
}

/// Nothing the refused writes set off lands later (notifications are written in the
/// background): the last snapshot after them is still the table once it settles.
async fn background_check(
    world: &World,
    key: &str,
    label: &str,
    after: &Snapshot,
    failures: &mut Vec<String>,
) {
    let later = quiet_snapshot(&world.gw).await;
    if *after != later && !only_expiry_settled(after, &later, &world.id("EXPIRING")) {
        failures.push(format!(
            "{key}: the table changed in the background after the refused writes (the last: {label}): {}",
            diff(after, &later)
        ));
    }
}

/// Rows that share a world: the rows that only read (GET) and need the same custom
/// administrators share one; every other row has a world of its own.
fn world_groups<'a>(rows: &[(usize, &'a Row)]) -> Vec<Vec<(usize, &'a Row)>> {
    let mut groups: BTreeMap<String, Vec<(usize, &'a Row)>> = BTreeMap::new();
    for (i, row) in rows {
        let key = if row.method == Method::GET {
            format!("GET {:?} {:?}", row.subject(), row.who.custom_permissions())
        } else {
            format!("{i:04}")
        };
        groups.entry(key).or_default().push((*i, *row));
    }
    groups.into_values().collect()
}

async fn run_group(rows: Vec<(usize, &Row)>) -> Vec<(usize, RowResult)> {
    let (first, _) = rows[0];
    let world =
        std::panic::AssertUnwindSafe(build_world(rows[0].1.subject(), rows[0].1.who)).catch_unwind().await;
    let world = match world {
        Ok(Ok(world)) => world,
        failed => {
            let why = match failed {
                Ok(Err(e)) => e,
                Err(panic) => format!("panicked: {}", panic_message(panic)),
                Ok(Ok(_)) => unreachable!(),
            };
            let failed = |row: &Row| RowResult {
                lines: vec![],
                failures: vec![format!("{}: {why}", row.key())],
                cells: 0,
            };
            return rows.iter().map(|(i, row)| (*i, failed(row))).collect();
        }
    };
    let mut results = vec![];
    for (i, row) in &rows {
        // A panic in the harness (a step it asserts) fails the row, not the run.
        let result = std::panic::AssertUnwindSafe(run_row(&world, row)).catch_unwind().await;
        let mut result = result.unwrap_or_else(|panic| RowResult {
            lines: vec![],
            failures: vec![format!("{}: panicked: {}", row.key(), panic_message(panic))],
            cells: 0,
        });
        if *i == first {
            result.failures.extend(world.notes.iter().map(|n| format!("{}: {n}", row.key())));
        }
        results.push((*i, result));
    }
    if rows.len() > 1 {
        let shared: Vec<String> = rows.iter().map(|(_, r)| r.key()).collect();
        results[0]
            .1
            .lines
            .insert(0, format!("(one world, built in {:.1?}, for: {})", world.built, shared.join(", ")));
    }
    results
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

async fn run_row(world: &World, row: &Row) -> RowResult {
    let key = row.key();
    let mut result = RowResult { lines: vec![], failures: vec![], cells: 0 };
    let started = std::time::Instant::now();

    // The matrix cells, then the row's own.
    let mut cells = vec![];
    let mut not_applicable = vec![];
    for caller in CALLERS {
        let expect = match row.expect(caller) {
            Expect::Ok => Expect::Status(row.ok),
            Expect::NA => {
                not_applicable.push(caller.label());
                continue;
            }
            other => other,
        };
        let body = row.body_for(world, caller);
        cells.push(world.cell(caller.label(), caller, &format!("{} {}", row.method, row.at), body, expect));
    }
    if row.at.starts_with("/v1/orgs/") && !matches!(row.who, Who::Machine(_)) {
        let route = format!("{} {}", row.method, with_org(&row.at, "{MISSING}"));
        let body = row.body_for(world, Full);
        cells.push(world.cell("full-admin: the org does not exist", Full, &route, body, NOT_FOUND));
    }
    if row.partner_route {
        let route = format!("{} {}", row.method, with_org(&row.at, "{N}"));
        let body = row.body_for(world, Full).map(|b| {
            serde_json::from_str(&b.to_string().replace(&world.id("P"), &world.id("N"))).expect("json")
        });
        cells.push(world.cell_with(
            "non-partner's full admin",
            world.tokens["N"].clone(),
            &route,
            body,
            NOT_A_PARTNER,
        ));
    }
    for extras in &row.extras {
        cells.extend(extras(world));
    }
    for cell in &mut cells {
        if cell.expect == Expect::Ok {
            cell.expect = Expect::Status(row.ok);
        }
    }

    // Refusals first (each refused write with the table read back), successes last.
    let refused = |c: &Cell| matches!(c.expect, Expect::Err(..));
    let (late, cells): (Vec<Cell>, Vec<Cell>) = cells.into_iter().partition(|c| c.late);
    let (first, last): (Vec<Cell>, Vec<Cell>) = cells.into_iter().partition(refused);
    // The table is read settled once, then after each refused write: the snapshot after
    // an unchanged refused write is the settled state the next one starts from. A
    // success (or a change) makes the next refused write settle the table again.
    let mut summary = vec![];
    let mut settled: Option<(String, Snapshot)> = None;
    for cell in first.iter().chain(last.iter()).chain(late.iter()) {
        result.cells += 1;
        let write = cell.method != Method::GET;
        let check_table = write && refused(cell);
        let before = match (check_table, settled.take()) {
            (true, Some((_, snapshot))) => Some(snapshot),
            (true, None) => Some(quiet_snapshot(&world.gw).await),
            (false, Some((label, after))) if write => {
                background_check(world, &key, &label, &after, &mut result.failures).await;
                None
            }
            (false, kept) => {
                settled = kept;
                None
            }
        };
        let answer =
            world.gw.send(cell.method.clone(), &cell.path, cell.token.as_deref(), cell.body.clone()).await;
        let status = answer.status.as_u16();
        let right = match &cell.expect {
            Expect::Status(s) => status == *s,
            Expect::Err(s, code) => status == *s && answer.error_code() == *code,
            Expect::Ok | Expect::NA => unreachable!("resolved above"),
        };
        summary.push(format!(
            "{} {}",
            cell.label,
            if right { "✓".to_string() } else { format!("✗ {}", got(&answer)) }
        ));
        if !right {
            let text: String = answer.text.chars().take(200).collect();
            result.failures.push(format!(
                "{key} × {}: expected {}, got {} ({} {}: {text})",
                cell.label,
                cell.expect,
                got(&answer),
                cell.method,
                cell.path
            ));
        }
        if let Some(absent) = &cell.absent {
            if answer.text.contains(absent.as_str()) {
                result.failures.push(format!(
                    "{key} × {}: the answer still contains {absent}: {}",
                    cell.label, answer.text
                ));
            }
        }
        if let Some(before) = before {
            let after = snapshot(world.gw.items().await);
            if after == before || only_expiry_settled(&before, &after, &world.id("EXPIRING")) {
                settled = Some((cell.label.clone(), after));
            } else {
                result.failures.push(format!(
                    "{key} × {}: refused write changed the table: {}",
                    cell.label,
                    diff(&before, &after)
                ));
            }
        }
    }
    if let Some((label, after)) = settled.take() {
        background_check(world, &key, &label, &after, &mut result.failures).await;
    }
    let took = format!("world {:.1?}, cells {:.1?}", world.built, started.elapsed());
    result.lines.push(format!("{key}  ({took})\n    {}", summary.join(" | ")));
    if !not_applicable.is_empty() {
        result.lines.push(format!("    n/a: {}", not_applicable.join(", ")));
    }
    result
}

// ---------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------

/// The routes as `template.yaml` declares them (`template.rs` holds openapi.yaml to
/// the same list).
fn template_routes() -> BTreeSet<String> {
    partner_hub_tests::template().routes().iter().map(|route| route.route_key()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_caller_as_the_contract_says() {
    let started = std::time::Instant::now();
    let rows = rows();
    let mut failures = vec![];

    let declared = template_routes();
    let table: BTreeSet<String> = rows.iter().map(Row::key).collect();
    assert_eq!(table.len(), rows.len(), "one row per route");
    for missing in declared.difference(&table) {
        failures.push(format!("{missing}: in template.yaml but the matrix has no row for it"));
    }
    for extra in table.difference(&declared) {
        failures.push(format!("{extra}: the matrix has a row for it but template.yaml lacks the route"));
    }

    // MATRIX_ROWS=a,b runs only the rows whose "METHOD route" contains a or b.
    let only: Vec<String> =
        std::env::var("MATRIX_ROWS").map(|v| v.split(',').map(str::to_string).collect()).unwrap_or_default();
    let selected: Vec<&Row> = rows
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|o| r.key().contains(o.as_str())))
        .collect();
    let selected: Vec<(usize, &Row)> = selected.into_iter().enumerate().collect();
    let mut results: Vec<(usize, RowResult)> = futures::stream::iter(world_groups(&selected))
        .map(run_group)
        .buffer_unordered(PARALLEL_WORLDS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    results.sort_by_key(|(i, _)| *i);
    let mut cells = 0;
    for (_, result) in results {
        cells += result.cells;
        for line in &result.lines {
            println!("{line}");
        }
        failures.extend(result.failures);
    }
    println!("{} rows, {cells} cells in {:.0?}", rows.len(), started.elapsed());
    assert!(failures.is_empty(), "{} wrong cell(s):\n{}", failures.len(), failures.join("\n"));
}
