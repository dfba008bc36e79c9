//! The accept page a customer reaches from an invitation email (see
//! `partner_hub::http::page` for what every such page guarantees). A signed-in
//! customer picks one of its orgs, or creates one right here, and accepts; or
//! declines. Signing in goes through the console's `/sign-in`, which comes back here.

use partner_hub::http::page::html_page;
use partner_hub::http::ApiResponse;
use partner_hub::mail::templates::escape_html;
use partner_hub::usecases::invitations::PublicInvitation;

const SCRIPT: &str = include_str!("accept.js");

pub fn accept_page(invitation: &PublicInvitation, code: &str) -> ApiResponse {
    let partner = &invitation.partner;
    let badges: String = partner
        .programs
        .iter()
        .map(|p| format!("<span class=\"badge\" data-program=\"{0}\">{0}</span>", p.code()))
        .collect();
    let main = format!(
        "<h1>Connect to <span id=\"partner-name\">{name}</span></h1>\
         <p class=\"partner\">ORGID <span id=\"partner-org-id\">{id}</span> {badges}</p>\
         <p>{name} asks to become a partner of your organization. As your partner it will see your \
         organization on its customer dashboard; you can remove it at any time.</p>\
         <section id=\"sign-in\" hidden><h2>Sign in</h2>\
         <p>Sign in as a full administrator of the organization you want to connect. No organization yet? \
         Sign in (or sign up) and create it on this page.</p>\
         <p><a id=\"sign-in-link\" class=\"button\" href=\"/sign-in\">Sign in</a></p></section>\
         <section id=\"choose\" hidden><h2>Your organization</h2>\
         <p class=\"muted\">Signed in as <span id=\"signed-in-as\"></span>. \
         <button id=\"sign-out\" type=\"button\" class=\"link\">Sign in as someone else</button></p>\
         <label for=\"org\">Organization</label><select id=\"org\"></select>\
         <div id=\"new-org\" hidden><label for=\"new-org-name\">Name of the new organization</label>\
         <input id=\"new-org-name\" autocomplete=\"organization\">\
         <label for=\"new-org-country\">Country (optional, e.g. US)</label>\
         <input id=\"new-org-country\" maxlength=\"2\" autocomplete=\"country\"></div>\
         <p><button id=\"accept\" type=\"button\">Accept and connect</button>\
         <button id=\"decline\" type=\"button\" class=\"secondary\">Decline</button></p></section>\
         <p id=\"result\" role=\"status\" aria-live=\"polite\"></p>\
         <p id=\"next\" hidden><a id=\"console-link\" class=\"button\" href=\"/orgs\">Open Partner Hub</a></p>",
        name = escape_html(&partner.name),
        id = escape_html(partner.org_id.as_str()),
    );
    let accept_path = invitation
        .accept_url
        .find("/v1/invite/")
        .map_or(invitation.accept_url.as_str(), |at| &invitation.accept_url[at..]);
    let config = serde_json::json!({
        "partner_name": partner.name,
        "accept_path": accept_path,
        "page_path": format!("/invite/{code}"),
    });
    html_page(200, &format!("Connect to {}", partner.name), &main, Some((SCRIPT, config)))
}

pub fn unknown_link_page() -> ApiResponse {
    html_page(
        404,
        "Invitation not found",
        "<h1>This invitation link is not valid</h1><p>Ask your partner for its current invitation link.</p>\
         <p><a href=\"/\">Go to Partner Hub</a></p>",
        None,
    )
}
