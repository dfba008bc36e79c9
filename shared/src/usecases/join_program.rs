//! `POST /v1/orgs/{org_id}/programs`: a full administrator joins a partner program,
//! which makes the org partner-badged.

use serde::Deserialize;

use super::access;
use crate::domain::{AuditAction, AuditEntry, Caller, Org, OrgId, Program};
use crate::error::{AppError, Result};
use crate::ports::{Clock, IdSource, JoinProgram as Joined, OrgStore};

#[derive(Debug, Deserialize)]
pub struct JoinProgram {
    pub program: String,
}

pub async fn join_program(
    store: &dyn OrgStore,
    clock: &dyn Clock,
    ids: &dyn IdSource,
    caller: &Caller,
    org_id: &OrgId,
    input: JoinProgram,
) -> Result<Joined> {
    let standing = access::full_admin_of(store, clock, caller, org_id).await?;
    let program = Program::parse(&input.program)?;
    let audit = AuditEntry::new(
        org_id,
        ids.uuid(),
        clock.now(),
        standing.actor(caller),
        AuditAction::ProgramJoined,
        program.code(),
        serde_json::json!({"program": program}),
    );
    store
        .join_program(org_id, program, &audit)
        .await?
        .ok_or_else(|| AppError::not_found("organization not found"))
}

impl Joined {
    pub fn org(&self) -> &Org {
        match self {
            Joined::Joined(org) | Joined::AlreadyMember(org) => org,
        }
    }
}
