//! `GET /admin-invitations/{token}`: the page the `AdminInvited` email links to. It
//! names the org and the access offered, signs the person in (through the console's
//! `/sign-in`, which comes back here) and accepts; an unknown, used or expired token
//! gets a page saying so. See `partner_hub::http::page` for the pages' guarantees.

use partner_hub::error::{AppError, Result};
use partner_hub::http::page::html_page;
use partner_hub::http::ApiResponse;
use partner_hub::mail::templates::escape_html;
use partner_hub::usecases::admins::OpenedInvitation;

const SCRIPT: &str = include_str!("admin_invitation.js");

fn access_text(invitation: &OpenedInvitation) -> String {
    let access = serde_json::to_value(invitation.access).ok();
    let mut text = if access.as_ref().and_then(|a| a.as_str()) == Some("full") {
        "Full access".to_string()
    } else {
        let names: Vec<String> = invitation
            .permissions
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok()?.as_str().map(str::to_string))
            .collect();
        format!("Custom access: {}", names.join(", "))
    };
    if let Some(until) = invitation.access_expires_at {
        text.push_str(&format!(", until {}", until.format("%Y-%m-%d %H:%M UTC")));
    }
    text
}

pub fn page(opened: Result<OpenedInvitation>, token: &str) -> Result<ApiResponse> {
    let invitation = match opened {
        Ok(invitation) => invitation,
        Err(AppError::NotFound(_)) => {
            return Ok(html_page(
                404,
                "Invitation not found",
                "<h1>This invitation link is not valid</h1>\
                 <p>Check that you opened the whole link from the email, or ask the organization's \
                 administrator to invite you again.</p><p><a href=\"/\">Go to Partner Hub</a></p>",
                None,
            ))
        }
        Err(error) => return Err(error),
    };
    let org = escape_html(&invitation.org_name);
    let org_line = format!(
        "<span id=\"org-name\">{org}</span> <span class=\"muted\">(ORGID <span id=\"org-id\">{}</span>)</span>",
        escape_html(invitation.org_id.as_str())
    );
    let access = escape_html(&access_text(&invitation));
    match invitation.status.as_str() {
        "accepted" => {
            return Ok(html_page(
                410,
                "Invitation already used",
                &format!(
                    "<h1>This invitation was already used</h1><p id=\"state\" data-state=\"accepted\">The invitation to \
                     administer {org_line} has been accepted; it works once.</p>\
                     <p><a class=\"button\" href=\"/orgs\">Open Partner Hub</a></p>"
                ),
                None,
            ))
        }
        "expired" => {
            return Ok(html_page(
                410,
                "Invitation expired",
                &format!(
                    "<h1>This invitation has expired</h1><p id=\"state\" data-state=\"expired\">The invitation to \
                     administer {org_line} ended on {}. Ask one of its full administrators to invite you again.</p>\
                     <p><a href=\"/\">Go to Partner Hub</a></p>",
                    invitation.expires_at.format("%Y-%m-%d")
                ),
                None,
            ))
        }
        _ => {}
    }
    let main = format!(
        "<h1>Administer {org}</h1>\
         <p>You are invited to become an administrator of {org_line}.</p>\
         <p>Access offered: <strong id=\"access\">{access}</strong></p>\
         <p class=\"muted\">For <span id=\"invited-email\">{email}</span>; accept by {expires}. The invitation works once.</p>\
         <section id=\"sign-in\" hidden><p>Sign in as {email} to accept.</p>\
         <p><a id=\"sign-in-link\" class=\"button\" href=\"/sign-in\">Sign in</a></p></section>\
         <section id=\"signed-in\" hidden><p class=\"muted\">Signed in as <span id=\"signed-in-as\"></span>. \
         <button id=\"sign-out\" type=\"button\" class=\"link\">Sign in as someone else</button></p>\
         <p><button id=\"accept\" type=\"button\">Accept</button></p></section>\
         <p id=\"result\" role=\"status\" aria-live=\"polite\"></p>\
         <p id=\"next\" hidden><a id=\"console-link\" class=\"button\" href=\"/orgs\">Open {org} in Partner Hub</a></p>",
        email = escape_html(invitation.email.as_str()),
        expires = invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
    );
    let config = serde_json::json!({
        "org_id": invitation.org_id,
        "org_name": invitation.org_name,
        "email": invitation.email,
        "accept_path": format!("/v1/admin-invitations/{token}/accept"),
        "page_path": format!("/admin-invitations/{token}"),
    });
    Ok(html_page(200, &format!("Administer {}", invitation.org_name), &main, Some((SCRIPT, config))))
}
