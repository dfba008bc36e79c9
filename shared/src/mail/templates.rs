//! The emails Partner Hub sends. Every partner- or customer-supplied string is
//! escaped in the HTML part; the text part is plain.

use crate::domain::{Email, Org};

use super::OutgoingEmail;

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn compose(to: &Email, subject: String, paragraphs: &[String], link: Option<(&str, &str)>) -> OutgoingEmail {
    let mut text = paragraphs.join("\n\n");
    let mut html = String::from("<!doctype html><html><body style=\"font-family:sans-serif\">");
    for p in paragraphs {
        html.push_str(&format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")));
    }
    if let Some((label, url)) = link {
        text.push_str(&format!("\n\n{label}: {url}"));
        html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape_html(url), escape_html(label)));
    }
    text.push_str("\n\n-- Partner Hub");
    html.push_str("<p style=\"color:#666\">Partner Hub</p></body></html>");
    OutgoingEmail { to: to.clone(), subject, text, html }
}

fn org_line(org: &Org) -> String {
    format!("{} (ORGID {})", org.name, org.org_id)
}

pub fn connection_created(to: &Email, customer: &Org, dashboard_url: &str) -> OutgoingEmail {
    compose(
        to,
        format!("New customer: {}", customer.name),
        &[format!("{} is now connected to you as a customer.", org_line(customer))],
        Some(("Open your customer dashboard", dashboard_url)),
    )
}

pub fn customer_left(to: &Email, customer: &Org, dashboard_url: &str) -> OutgoingEmail {
    compose(
        to,
        format!("{} removed your partner connection", customer.name),
        &[format!(
            "{} removed you as its partner. It no longer appears on your customer dashboard.",
            org_line(customer)
        )],
        Some(("Open your customer dashboard", dashboard_url)),
    )
}

pub fn partner_removed_you(to: &Email, partner: &Org, partners_url: &str) -> OutgoingEmail {
    compose(
        to,
        format!("{} removed the connection to your organization", partner.name),
        &[format!("Your partner {} removed its connection to your organization.", org_line(partner))],
        Some(("See your partners", partners_url)),
    )
}

pub fn account_created(
    to: &Email,
    customer: &Org,
    partner: &Org,
    contact_name: Option<&str>,
    sign_in_url: &str,
) -> OutgoingEmail {
    let greeting = contact_name.map_or_else(|| "Hello,".to_string(), |n| format!("Hello {n},"));
    compose(
        to,
        format!("Your {} account was created by {}", customer.name, partner.name),
        &[
            greeting,
            format!(
                "{} created an account for {} ({}) and made you its full administrator.",
                org_line(partner),
                customer.name,
                customer.org_id
            ),
            format!(
                "To sign in, open the link below and sign up with this address ({to}) to choose your password (if you already have a Partner Hub user, sign in with it, or choose \"Forgot your password?\")."
            ),
        ],
        Some(("Sign in to Partner Hub", sign_in_url)),
    )
}

pub fn invitation(to: &Email, partner: &Org, link: &str, message: Option<&str>) -> OutgoingEmail {
    let mut paragraphs = vec![format!(
        "{} invites you to connect your organization to it as your partner on Partner Hub.",
        org_line(partner)
    )];
    if let Some(message) = message {
        paragraphs.push(format!("Their message:\n{message}"));
    }
    compose(
        to,
        format!("{} invites you to connect", partner.name),
        &paragraphs,
        Some(("Review and accept", link)),
    )
}

pub fn admin_invited(to: &Email, org: &Org, access: &str, accept_url: &str) -> OutgoingEmail {
    compose(
        to,
        format!("You are invited to administer {}", org.name),
        &[
            format!("You are invited to become an administrator ({access} access) of {}.", org_line(org)),
            format!("Sign in to Partner Hub as {to} and accept within 7 days; the invitation works once."),
        ],
        Some(("Accept the invitation", accept_url)),
    )
}

pub fn admin_removed(to: &Email, org: &Org, by_self: bool) -> OutgoingEmail {
    let what = if by_self {
        format!("You removed yourself as an administrator of {}.", org_line(org))
    } else {
        format!("You were removed as an administrator of {}.", org_line(org))
    };
    compose(
        to,
        format!("You are no longer an administrator of {}", org.name),
        &[what, "You can no longer see or change anything of this organization in Partner Hub.".to_string()],
        None,
    )
}

pub fn service_added(
    to: &Email,
    org: &Org,
    service_name: &str,
    status: &str,
    services_url: &str,
) -> OutgoingEmail {
    compose(
        to,
        format!("{service_name} was added to {}", org.name),
        &[format!("{service_name} was added to {} (status: {status}).", org_line(org))],
        Some(("See the organization's services", services_url)),
    )
}

/// A notice that says what its in-app notification says (support tickets, trials
/// approved or declined, entitlements ending, the customer limit nearing).
pub fn notice(to: &Email, subject: &str, body: &str, link: Option<(&str, &str)>) -> OutgoingEmail {
    compose(to, subject.to_string(), &[body.to_string()], link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_strings_are_escaped_in_html_and_plain_in_text() {
        let partner = Org {
            org_id: crate::domain::OrgId::from_number(1),
            name: "<script>alert(1)</script>".into(),
            country: None,
            tenancy: crate::domain::Tenancy::Standard,
            programs: vec![],
            created_at: chrono::Utc::now(),
        };
        let to = Email::parse("c@example.com").unwrap();
        let mail = invitation(&to, &partner, "https://x/invite/abc", Some("<b>hi</b>"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("&lt;b&gt;hi"));
        assert!(mail.text.contains("<script>alert(1)</script>"));
        assert!(mail.text.contains("https://x/invite/abc"));
    }
}
