use super::Email;

/// A person calling: the verified token's `sub` and its email. Deployed, API
/// Gateway's JWT authorizer vouches for these; locally, the gateway does. A `Caller`
/// exists only for a token whose email is verified: an unverified email decides
/// nothing (see `http::call`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub email: Email,
}

/// One of the vendor's own systems, calling with a client-credentials token: a
/// client id and scopes, never an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineClient {
    pub client_id: String,
    /// Scope names without the resource server's prefix (`orders:write`).
    pub scopes: Vec<String>,
}

impl MachineClient {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The machine scopes of the contract, each opening only its own routes.
pub mod scopes {
    /// The services' telemetry feed.
    pub const USAGE_WRITE: &str = "usage:write";
    /// The commerce system's order feed.
    pub const ORDERS_WRITE: &str = "orders:write";
    /// The vendor's sales desk.
    pub const TRIALS_APPROVE: &str = "trials:approve";
}
