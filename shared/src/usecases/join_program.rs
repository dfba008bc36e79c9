//! `POST /v1/orgs/{org_id}/programs`: a full administrator joins a partner program,
//! which makes the org partner-badged.

use serde::Deserialize;

use super::access;
use crate::domain::{Caller, Org, OrgId, Program};
use crate::error::{AppError, Result};
use crate::ports::{JoinProgram as Joined, OrgStore};

#[derive(Debug, Deserialize)]
pub struct JoinProgram {
    pub program: String,
}

pub async fn join_program(
    store: &dyn OrgStore,
    caller: &Caller,
    org_id: &OrgId,
    input: JoinProgram,
) -> Result<Joined> {
    access::full_admin_of(store, caller, org_id).await?;
    let program = Program::parse(&input.program)?;
    store.join_program(org_id, program).await?.ok_or_else(|| AppError::not_found("organization not found"))
}

impl Joined {
    pub fn org(&self) -> &Org {
        match self {
            Joined::Joined(org) | Joined::AlreadyMember(org) => org,
        }
    }
}
