//! Service-provider features of the `CSP` program: a partner's federated domains,
//! linked to connected customers (whose workspaces then accept them), and workspace
//! themes, set by the org's full administrators or its connected CSP partner's.

use serde::{Deserialize, Serialize};

use super::access;
use crate::domain::{
    domain_name, logo_url, primary_color, theme_name, Actor, AuditAction, AuditEntry, Caller, DomainLink,
    FederatedDomain, OrgId, Permission, Program, Tenancy, WorkspaceTheme,
};
use crate::error::{AppError, Result};
use crate::ports::{Clock, ConnectionStore, CspStore, IdSource, LinkDomain, OrgStore};

pub struct CspPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub connections: &'a dyn ConnectionStore,
    pub csp: &'a dyn CspStore,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

/// An administrator of a `CSP` partner (full, or with `permission` when one is named): 404 without standing, 403 `not_a_partner`
/// without a badge, 403 without full access or the CSP program.
async fn csp_partner_admin(
    ports: &CspPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    permission: Option<Permission>,
) -> Result<access::Standing> {
    let standing = access::partner_admin_with(ports.orgs, ports.clock, caller, partner, permission).await?;
    if !standing.org.programs.contains(&Program::Csp) {
        return Err(AppError::forbidden("federated domains are a feature of the CSP program"));
    }
    Ok(standing)
}

/// `PUT /v1/orgs/{partner_id}/federated-domains/{domain}`: `(domain, created)`.
pub async fn add_domain(
    ports: &CspPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
) -> Result<(FederatedDomain, bool)> {
    csp_partner_admin(ports, caller, partner, None).await?;
    let domain = domain_name(raw)?;
    if let Some(existing) = ports.csp.domain(partner, &domain).await? {
        return Ok((existing, false));
    }
    let now = ports.clock.now();
    let added = FederatedDomain {
        domain: domain.clone(),
        partner_id: partner.clone(),
        created_at: now,
        created_by: caller.email.clone(),
    };
    let audit = AuditEntry::new(
        partner,
        ports.ids.uuid(),
        now,
        Actor::person(caller),
        AuditAction::DomainAdded,
        domain.clone(),
        serde_json::json!({}),
    );
    if ports.csp.add_domain(&added, &audit).await? {
        return Ok((added, true));
    }
    // Added by a racing request: that one stands.
    let existing =
        ports.csp.domain(partner, &domain).await?.ok_or_else(|| AppError::internal("domain vanished"))?;
    Ok((existing, false))
}

/// `GET /v1/orgs/{partner_id}/federated-domains`: the partner's domains, for its
/// administrators with full access or `customer-dashboard.view` (they see the
/// customers the domains are linked to through each customer's workspace access).
pub async fn domains(ports: &CspPorts<'_>, caller: &Caller, partner: &OrgId) -> Result<Vec<FederatedDomain>> {
    csp_partner_admin(ports, caller, partner, Some(Permission::CustomerDashboardView)).await?;
    let mut domains = ports.csp.domains_of(partner).await?;
    domains.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(domains)
}

fn link_audit(
    ports: &CspPorts<'_>,
    caller: &Caller,
    link: &DomainLink,
    action: AuditAction,
) -> Vec<AuditEntry> {
    let at = ports.clock.now();
    vec![
        AuditEntry::new(
            &link.customer_id,
            ports.ids.uuid(),
            at,
            Actor::through(caller, Some(&link.partner_id)),
            action,
            link.domain.clone(),
            serde_json::json!({"partner_id": link.partner_id}),
        ),
        AuditEntry::new(
            &link.partner_id,
            ports.ids.uuid(),
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
    ports: &CspPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
    customer: &OrgId,
) -> Result<()> {
    csp_partner_admin(ports, caller, partner, None).await?;
    let domain = domain_name(raw)?;
    let link = DomainLink {
        domain,
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        linked_at: ports.clock.now(),
    };
    let audit = link_audit(ports, caller, &link, AuditAction::DomainLinked);
    match ports.csp.link_domain(&link, &audit).await? {
        LinkDomain::Linked | LinkDomain::AlreadyLinked => Ok(()),
        LinkDomain::NotConnected => Err(AppError::not_found("this customer is not connected to the partner")),
        LinkDomain::NoDomain => Err(AppError::not_found("the partner has no such federated domain")),
    }
}

/// `DELETE .../federated-domains/{domain}/customers/{customer_id}`: the customer's
/// workspace stops accepting it at once.
pub async fn unlink(
    ports: &CspPorts<'_>,
    caller: &Caller,
    partner: &OrgId,
    raw: &str,
    customer: &OrgId,
) -> Result<()> {
    csp_partner_admin(ports, caller, partner, None).await?;
    let not_linked = || AppError::not_found("this domain is not linked to the customer");
    let domain = domain_name(raw).map_err(|_| not_linked())?;
    if ports.connections.connection(partner, customer).await?.is_none() {
        return Err(AppError::not_found("this customer is not connected to the partner"));
    }
    let link = DomainLink {
        domain: domain.clone(),
        partner_id: partner.clone(),
        customer_id: customer.clone(),
        linked_at: ports.clock.now(),
    };
    let audit = link_audit(ports, caller, &link, AuditAction::DomainUnlinked);
    if !ports.csp.unlink_domain(partner, customer, &domain, &audit).await? {
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
async fn workspace_reader(ports: &CspPorts<'_>, caller: &Caller, org: &OrgId) -> Result<()> {
    if access::admin_of(ports.orgs, ports.clock, caller, org).await.is_err() {
        super::support::connected_partner_reader(ports.orgs, ports.connections, ports.clock, caller, org)
            .await?;
    }
    Ok(())
}

/// `GET /v1/orgs/{customer_id}/workspace-access`: the domains its users may sign in with.
pub async fn workspace_access(
    ports: &CspPorts<'_>,
    caller: &Caller,
    org: &OrgId,
) -> Result<Vec<WorkspaceDomain>> {
    workspace_reader(ports, caller, org).await?;
    let mut links = ports.csp.links_of(org).await?;
    links.sort_by(|a, b| (&a.domain, &a.partner_id).cmp(&(&b.domain, &b.partner_id)));
    Ok(links
        .into_iter()
        .map(|l| WorkspaceDomain { domain: l.domain, partner_id: l.partner_id, linked_at: l.linked_at })
        .collect())
}

/// `GET /v1/orgs/{org_id}/workspace-theme`: 404 until one is set.
pub async fn theme(ports: &CspPorts<'_>, caller: &Caller, org: &OrgId) -> Result<WorkspaceTheme> {
    workspace_reader(ports, caller, org).await?;
    ports.csp.theme(org).await?.ok_or_else(|| AppError::not_found("this org has no workspace theme yet"))
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
    ports: &CspPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    input: SetTheme,
) -> Result<WorkspaceTheme> {
    let actor = match access::admin_of(ports.orgs, ports.clock, caller, org).await {
        Ok(standing) if standing.admin.is_full() => standing.actor(caller),
        Ok(_) => return Err(AppError::forbidden("this requires full administrator access")),
        Err(_) => Actor::through(caller, Some(&csp_partner_of(ports, caller, org).await?)),
    };
    let target = ports.orgs.get_org(org).await?.ok_or_else(access::no_standing)?;
    let theme = WorkspaceTheme {
        org_id: org.clone(),
        name: theme_name(&input.name)?,
        primary_color: primary_color(&input.primary_color)?,
        logo_url: logo_url(&input.logo_url)?,
        updated_at: ports.clock.now(),
        updated_by: caller.email.clone(),
    };
    if target.tenancy == Tenancy::Multi {
        return Err(AppError::SingleTenantOnly);
    }
    let audit = AuditEntry::new(
        org,
        ports.ids.uuid(),
        theme.updated_at,
        actor,
        AuditAction::ThemeChanged,
        org.to_string(),
        serde_json::json!({"name": theme.name, "primary_color": theme.primary_color, "logo_url": theme.logo_url}),
    );
    ports.csp.set_theme(&theme, std::slice::from_ref(&audit)).await?;
    Ok(theme)
}

/// The connected `CSP` partner through which the caller (its full administrator)
/// acts for `org`: 404 when they administer no connected partner, 403 when they do
/// but without full access or the CSP program.
async fn csp_partner_of(ports: &CspPorts<'_>, caller: &Caller, org: &OrgId) -> Result<OrgId> {
    let now = ports.clock.now();
    let mut refused = false;
    for (admin, partner) in ports.orgs.orgs_of_admin(&caller.sub).await? {
        if !partner.is_partner() || !admin.is_current(now) {
            continue;
        }
        if ports.connections.connection(&partner.org_id, org).await?.is_none() {
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
