//! `POST /v1/orgs/{org_id}/programs`: a full administrator joins a partner program,
//! which makes the org partner-badged.

use super::Context;
use serde::Deserialize;

use super::access;
use crate::domain::{AuditAction, AuditEntry, Caller, Org, OrgId, Program};
use crate::error::{AppError, Result};
use crate::store::JoinProgram as Joined;

#[derive(Debug, Deserialize)]
pub struct JoinProgram {
    pub program: String,
}

pub async fn join_program(
    cx: &Context<'_>,
    caller: &Caller,
    org_id: &OrgId,
    input: JoinProgram,
) -> Result<Joined> {
    let standing = access::full_admin_of(cx, caller, org_id).await?;
    let program = Program::parse(&input.program)?;
    let audit = AuditEntry::new(
        org_id,
        cx.ids.uuid(),
        cx.clock.now(),
        standing.actor(caller),
        AuditAction::ProgramJoined,
        program.code(),
        serde_json::json!({"program": program}),
    );
    cx.store
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
