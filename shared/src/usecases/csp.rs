//! Service-provider features of the `CSP` program: a partner's federated domains,
//! linked to connected customers (whose workspaces then accept them), and workspace
//! themes, set by the org's full administrators or its connected CSP partner's.

use super::Context;
use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::{
    domain_name, logo_url, primary_color, theme_name, Actor, AuditAction, AuditEntry, Caller, DomainLink,
    FederatedDomain, OrgId, Permission, Program, Tenancy, WorkspaceTheme,
};
use crate::error::{AppError, Result};
use crate::store::LinkDomain;

/// An administrator of a `CSP` partner (full, or with `permission` when one is named): 404 without standing, 403 `not_a_partner`
/// without a badge, 403 without full access or the CSP program.
async fn csp_partner_admin(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    permission: Option<Permission>,
) -> Result<access::Standing> {
    let standing = access::partner_admin_with(cx, caller, partner, permission).await?;
    if !standing.org.programs.contains(&Program::Csp) {
        return Err(AppError::forbidden("federated domains are a feature of the CSP program"));
    }
    Ok(standing)
}

/// `PUT /v1/orgs/{partner_id}/federated-domains/{domain}`: `(domain, created)`.
pub async fn add_domain(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
) -> Result<(FederatedDomain, bool)> {
    csp_partner_admin(cx, caller, partner, None).await?;
    let domain = domain_name(raw)?;
    if let Some(existing) = cx.store.domain(partner, &domain).await? {
        return Ok((existing, false));
    }
    let now = cx.clock.now();
    let added = FederatedDomain {
        domain: domain.clone(),
        partner_id: partner.clone(),
        created_at: now,
        created_by: caller.email.clone(),
    };
    let audit = AuditEntry::new(
        partner,
        cx.ids.uuid(),
        now,
        Actor::person(caller),
        AuditAction::DomainAdded,
        domain.clone(),
        serde_json::json!({}),
    );
    if cx.store.add_domain(&added, &audit).await? {
        return Ok((added, true));
    }
    // Added by a racing request: that one stands.
    let existing =
        cx.store.domain(partner, &domain).await?.ok_or_else(|| AppError::internal("domain vanished"))?;
    Ok((existing, false))
}

/// `GET /v1/orgs/{partner_id}/federated-domains`: the partner's domains, for its
/// administrators with full access or `customer-dashboard.view` (they see the
/// customers the domains are linked to through each customer's workspace access).
pub async fn domains(cx: &Context<'_>, caller: &Caller, partner: &OrgId) -> Result<Vec<FederatedDomain>> {
    csp_partner_admin(cx, caller, partner, Some(Permission::CustomerDashboardView)).await?;
    let mut domains = cx.store.domains_of(partner).await?;
    domains.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(domains)
}

fn link_audit(cx: &Context<'_>, caller: &Caller, link: &DomainLink, action: AuditAction) -> Vec<AuditEntry> {
    let at = cx.clock.now();
    vec![
        AuditEntry::new(
            &link.customer_id,
            cx.ids.uuid(),
            at,
            Actor::through(caller, Some(&link.partner_id)),
            action,
            link.domain.clone(),
            serde_json::json!({"partner_id": link.partner_id}),
        ),
        AuditEntry::new(
            &link.partner_id,
            cx.ids.uuid(),
            at,
            Actor::person(caller),
            action,
            link.domain.clone(),
            serde_json::json!({"customer_id": link.customer_id}),
        ),
    ]
}

/// `PUT .../federated-domains/{domain}/customers/{customer_id}`: the customer must be
/// connected and the domain the partner's. Linking a linked domain changes nothing.
pub async fn link(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
    customer: &OrgId,
) -> Result<()> {
    csp_partner_admin(cx, caller, partner, None).await?;
    let domain = domain_name(raw)?;
    let link = DomainLink {
        domain,
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        linked_at: cx.clock.now(),
    };
    let audit = link_audit(cx, caller, &link, AuditAction::DomainLinked);
    match cx.store.link_domain(&link, &audit).await? {
        LinkDomain::Linked | LinkDomain::AlreadyLinked => Ok(()),
        LinkDomain::NotConnected => Err(AppError::not_connected()),
        LinkDomain::NoDomain => Err(AppError::not_found("the partner has no such federated domain")),
    }
}

/// `DELETE .../federated-domains/{domain}/customers/{customer_id}`: the customer's
/// workspace stops accepting it at once.
pub async fn unlink(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
    customer: &OrgId,
) -> Result<()> {
    csp_partner_admin(cx, caller, partner, None).await?;
    let not_linked = || AppError::not_found("this domain is not linked to the customer");
    let domain = domain_name(raw).map_err(|_| not_linked())?;
    if cx.store.connection(partner, customer).await?.is_none() {
        return Err(AppError::not_connected());
    }
    let link = DomainLink {
        domain: domain.clone(),
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        linked_at: cx.clock.now(),
    };
    let audit = link_audit(cx, caller, &link, AuditAction::DomainUnlinked);
    if !cx.store.unlink_domain(partner, customer, &domain, &audit).await? {
        return Err(not_linked());
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct WorkspaceDomain {
    pub domain: String,
    pub partner_id: OrgId,
    pub linked_at: chrono::DateTime<chrono::Utc>,
}

/// Who may read an org's workspace settings: its administrators, or a connected
/// partner's with full access or `customer-dashboard.view`.
async fn workspace_reader(cx: &Context<'_>, caller: &Caller, org: &OrgId) -> Result<()> {
    if access::admin_of(cx, caller, org).await.is_err() {
        super::support::connected_partner_reader(cx, caller, org).await?;
    }
    Ok(())
}

/// `GET /v1/orgs/{customer_id}/workspace-access`: the domains its users may sign in with.
pub async fn workspace_access(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
) -> Result<Vec<WorkspaceDomain>> {
    workspace_reader(cx, caller, org).await?;
    let mut links = cx.store.links_of(org).await?;
    links.sort_by(|a, b| (&a.domain, &a.partner_id).cmp(&(&b.domain, &b.partner_id)));
    Ok(links
        .into_iter()
        .map(|l| WorkspaceDomain { domain: l.domain, partner_id: l.partner_id, linked_at: l.linked_at })
        .collect())
}

/// `GET /v1/orgs/{org_id}/workspace-theme`: 404 until one is set.
pub async fn theme(cx: &Context<'_>, caller: &Caller, org: &OrgId) -> Result<WorkspaceTheme> {
    workspace_reader(cx, caller, org).await?;
    cx.store.theme(org).await?.ok_or_else(|| AppError::not_found("this org has no workspace theme yet"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTheme {
    pub name: String,
    pub primary_color: String,
    pub logo_url: String,
}

/// `PUT /v1/orgs/{org_id}/workspace-theme`: the org's full administrator, or a full
/// administrator of a `CSP` partner connected to it; 422 `single_tenant_only` for a
/// multi-tenant org.
pub async fn set_theme(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    input: SetTheme,
) -> Result<WorkspaceTheme> {
    let actor = match access::admin_of(cx, caller, org).await {
        Ok(standing) if standing.admin.is_full() => standing.actor(caller),
        Ok(_) => return Err(AppError::forbidden("this requires full administrator access")),
        Err(_) => Actor::through(caller, Some(&csp_partner_of(cx, caller, org).await?)),
    };
    let target = cx.store.get_org(org).await?.ok_or_else(access::no_standing)?;
    let theme = WorkspaceTheme {
        org_id: org.clone(),
        name: theme_name(&input.name)?,
        primary_color: primary_color(&input.primary_color)?,
        logo_url: logo_url(&input.logo_url)?,
        updated_at: cx.clock.now(),
        updated_by: caller.email.clone(),
    };
    if target.tenancy == Tenancy::Multi {
        return Err(AppError::SingleTenantOnly);
    }
    let audit = AuditEntry::new(
        org,
        cx.ids.uuid(),
        theme.updated_at,
        actor,
        AuditAction::ThemeChanged,
        org.to_string(),
        serde_json::json!({"name": theme.name, "primary_color": theme.primary_color, "logo_url": theme.logo_url}),
    );
    cx.store.set_theme(&theme, std::slice::from_ref(&audit)).await?;
    Ok(theme)
}

/// The connected `CSP` partner through which the caller (its full administrator)
/// acts for `org`: 404 when they administer no connected partner, 403 when they do
/// but without full access or the CSP program.
async fn csp_partner_of(cx: &Context<'_>, caller: &Caller, org: &OrgId) -> Result<OrgId> {
    let now = cx.clock.now();
    let mut refused = false;
    for (admin, partner) in cx.store.orgs_of_admin(&caller.sub).await? {
        if !partner.is_partner() || !admin.is_current(now) {
            continue;
        }
        if cx.store.connection(&partner.org_id, org).await?.is_none() {
            continue;
        }
        if admin.is_full() && partner.programs.contains(&Program::Csp) {
            return Ok(partner.org_id);
        }
        refused = true;
    }
    if refused {
        return Err(AppError::forbidden(
            "this requires a full administrator of the org or of its CSP partner",
        ));
    }
    Err(access::no_standing())
}
