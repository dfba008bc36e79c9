use super::Email;

/// Who is calling: the verified token's `sub`, `email` and scopes. Deployed, API
/// Gateway's JWT authorizer vouches for these; locally, the gateway does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub email: Email,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
