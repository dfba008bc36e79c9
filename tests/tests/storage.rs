//! The DynamoDB adapter against DynamoDB Local: uniqueness, atomicity, paging.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::Utc;
use partner_hub::domain::IdSource;
use partner_hub::domain::{
    Actor, Administrator, AuditAction, AuditEntry, Caller, Email, Org, OrgId, Program, Tenancy,
};
use partner_hub::store::PageRequest;
use partner_hub::store::{Begin, StoredResponse};
use partner_hub::store::{CreateOrg, JoinProgram};
use partner_hub::usecases::sign_up::{sign_up, SignUp};
use partner_hub::usecases::Context;
use partner_hub_tests::fresh_app;

fn caller(n: usize) -> Caller {
    Caller { sub: format!("sub-{n}"), email: Email::parse(&format!("user{n}@example.com")).unwrap() }
}

fn org(id: u32, name: &str) -> Org {
    Org {
        org_id: OrgId::from_number(id),
        name: name.into(),
        country: None,
        tenancy: Tenancy::Standard,
        programs: vec![],
        created_at: Utc::now(),
    }
}

#[tokio::test]
async fn an_org_id_is_never_written_twice() {
    let app = fresh_app().await;
    let first = org(7, "First");
    let admin = Administrator::full(
        first.org_id.clone(),
        "a".into(),
        Email::parse("a@example.com").unwrap(),
        Utc::now(),
    );
    assert_eq!(app.store.create_org(&first, &admin, &[]).await.unwrap(), CreateOrg::Created);

    let second = org(7, "Second");
    let other = Administrator::full(
        second.org_id.clone(),
        "b".into(),
        Email::parse("b@example.com").unwrap(),
        Utc::now(),
    );
    assert_eq!(app.store.create_org(&second, &other, &[]).await.unwrap(), CreateOrg::OrgIdTaken);

    let stored = app.store.get_org(&first.org_id).await.unwrap().unwrap();
    assert_eq!(stored.name, "First");
    assert!(
        app.store.get_admin(&first.org_id, "b").await.unwrap().is_none(),
        "the loser's admin was not written"
    );
}

/// Draws ORGIDs from a tiny space so that concurrent signups collide constantly.
struct CrowdedIds(AtomicUsize);

impl IdSource for CrowdedIds {
    fn org_id(&self) -> OrgId {
        OrgId::from_number((self.0.fetch_add(1, Ordering::SeqCst) % 40) as u32)
    }
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }
    fn secret(&self) -> [u8; 24] {
        partner_hub::domain::RandomIds.secret()
    }
}

#[tokio::test]
async fn racing_signups_get_unique_org_ids_even_when_draws_collide() {
    let app = Arc::new(fresh_app().await);
    let ids = Arc::new(CrowdedIds(AtomicUsize::new(0)));
    let tasks = (0..30).map(|n| {
        let app = Arc::clone(&app);
        let ids = Arc::clone(&ids);
        tokio::spawn(async move {
            // Every task starts its draws at the same few ids.
            ids.0.store(0, Ordering::SeqCst);
            let input = SignUp { name: format!("Org {n}"), country: None };
            sign_up(
                &Context { store: &app.store, clock: app.clock.as_ref(), ids: ids.as_ref() },
                &caller(n),
                input,
            )
            .await
        })
    });
    let orgs: Vec<Org> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("sign up"))
        .collect();
    let mut ids: Vec<&str> = orgs.iter().map(|o| o.org_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "every signup got its own ORGID");
    for (n, org) in orgs.iter().enumerate() {
        let stored = app.store.get_org(&org.org_id).await.unwrap().unwrap();
        assert_eq!(stored.name, format!("Org {n}"), "no org was overwritten");
        let admin = app.store.get_admin(&org.org_id, &format!("sub-{n}")).await.unwrap().unwrap();
        assert!(admin.is_full());
    }
}

#[tokio::test]
async fn join_program_is_atomic_and_knows_unknown_orgs() {
    let app = fresh_app().await;
    let o = org(11, "P");
    let admin =
        Administrator::full(o.org_id.clone(), "a".into(), Email::parse("a@example.com").unwrap(), Utc::now());
    app.store.create_org(&o, &admin, &[]).await.unwrap();
    let entries: Vec<AuditEntry> = (0..10).map(|_| joined_entry(&o.org_id)).collect();
    let results = futures::future::join_all(
        entries.iter().map(|entry| app.store.join_program(&o.org_id, Program::Csp, entry)),
    )
    .await;
    let joined = results.iter().filter(|r| matches!(r, Ok(Some(JoinProgram::Joined(_))))).count();
    assert_eq!(joined, 1);
    assert_eq!(app.store.get_org(&o.org_id).await.unwrap().unwrap().programs, vec![Program::Csp]);
    let log = app.store.audit_log(&o.org_id, None, None, None, &PageRequest::first(50)).await.unwrap().items;
    assert_eq!(log.len(), 1, "one entry, for the one join that happened: {log:?}");
    let nowhere = OrgId::from_number(12);
    assert!(app.store.join_program(&nowhere, Program::Csa, &joined_entry(&nowhere)).await.unwrap().is_none());
    assert!(app.store.get_org(&nowhere).await.unwrap().is_none(), "no org item appeared");
    assert!(app
        .store
        .audit_log(&nowhere, None, None, None, &PageRequest::first(50))
        .await
        .unwrap()
        .items
        .is_empty());
}

fn joined_entry(org: &OrgId) -> AuditEntry {
    AuditEntry::new(
        org,
        uuid::Uuid::new_v4(),
        Utc::now(),
        Actor::default(),
        AuditAction::ProgramJoined,
        "CSP",
        serde_json::json!({}),
    )
}

#[tokio::test]
async fn memberships_are_read_across_pages() {
    let app = fresh_app().await;
    let email = Email::parse("busy@example.com").unwrap();
    for n in 0..130 {
        let o = org(1000 + n, &format!("Org {n}"));
        let admin = Administrator::full(o.org_id.clone(), "busy".into(), email.clone(), Utc::now());
        assert_eq!(app.store.create_org(&o, &admin, &[]).await.unwrap(), CreateOrg::Created);
    }
    let mine = app.store.orgs_of_admin("busy").await.unwrap();
    assert_eq!(mine.len(), 130);
    assert!(mine.iter().all(|(admin, org)| admin.org_id == org.org_id));
}

#[tokio::test]
async fn idempotency_records_claim_replay_and_refuse() {
    let app = fresh_app().await;
    let now = Utc::now();
    assert_eq!(app.store.begin("sub#k", "fp", now).await.unwrap(), Begin::Claimed);
    assert_eq!(app.store.begin("sub#k", "fp", now).await.unwrap(), Begin::InProgress);
    assert_eq!(app.store.begin("sub#k", "other", now).await.unwrap(), Begin::Mismatch);
    let stored = StoredResponse {
        status: 201,
        content_type: "application/json".into(),
        body: "{}".into(),
        headers: vec![],
    };
    app.store.complete("sub#k", &stored, now).await.unwrap();
    assert_eq!(app.store.begin("sub#k", "fp", now).await.unwrap(), Begin::Replay(stored));

    // A claim whose lease ran out (a crashed invocation) can be taken over...
    assert_eq!(app.store.begin("sub#crash", "fp", now).await.unwrap(), Begin::Claimed);
    let later = now + chrono::Duration::minutes(2);
    assert_eq!(app.store.begin("sub#crash", "fp", later).await.unwrap(), Begin::Claimed);
    // ...and after 24 hours a key is free again.
    let next_day = now + chrono::Duration::hours(25);
    assert_eq!(app.store.begin("sub#k", "other", next_day).await.unwrap(), Begin::Claimed);

    app.store.abandon("sub#crash").await.unwrap();
    assert_eq!(app.store.begin("sub#crash", "new", later).await.unwrap(), Begin::Claimed);
}

/// The rollup's month marks: writes that race add every day they name, and a mark is
/// cleared only if no write touched it after the rollup read it.
#[tokio::test]
async fn a_month_mark_gathers_racing_days_and_survives_a_write_after_its_read() {
    use partner_hub::domain::{UsageRecord, UserDay};
    use partner_hub::store::DirtyScan;

    let app = fresh_app().await;
    let org = OrgId::from_number(12_345_678);
    let first: chrono::NaiveDate = "2026-03-01".parse().unwrap();
    let record = |day: u32| {
        UsageRecord::Users(UserDay {
            org_id: org.clone(),
            service: "daas".into(),
            date: first.with_day(day).unwrap(),
            user_hash: format!("user-{day}"),
            assigned: true,
            active: true,
        })
    };
    use chrono::Datelike;
    // Eight feed calls at once, a day each: none of their days is lost.
    let writes = (1..=8).map(|day| {
        let store = &app.store;
        let records = vec![record(day)];
        async move { store.put_records(&records, &format!("t{day}")).await }
    });
    for outcome in futures::future::join_all(writes).await {
        outcome.unwrap();
    }
    let marks = app.store.dirty_months(&mut DirtyScan::start(), 100).await.unwrap();
    assert_eq!(marks.len(), 1, "one mark for the month: {marks:?}");
    let read = &marks[0];
    assert_eq!(read.month, first);
    assert_eq!(read.days, (1..=8).map(|day| first.with_day(day).unwrap()).collect());

    // A record written after the rollup read the mark: clearing the mark as read
    // leaves it, with the new day, for the next run.
    app.store.put_records(&[record(20)], "t-later").await.unwrap();
    app.store.clear_dirty(read).await.unwrap();
    let marks = app.store.dirty_months(&mut DirtyScan::start(), 100).await.unwrap();
    assert_eq!(marks.len(), 1, "still marked");
    assert_eq!(marks[0].touched, "t-later");
    assert!(marks[0].days.contains(&first.with_day(20).unwrap()));

    // Cleared together in one transaction: a write to either after the read
    // clears neither; as read again, both go.
    let april = UsageRecord::Users(UserDay {
        org_id: org.clone(),
        service: "daas".into(),
        date: "2026-04-02".parse().unwrap(),
        user_hash: "user-april".into(),
        assigned: true,
        active: false,
    });
    app.store.put_records(&[april], "t-april").await.unwrap();
    let marks = app.store.dirty_months(&mut DirtyScan::start(), 100).await.unwrap();
    assert_eq!(marks.len(), 2, "{marks:?}");
    app.store.put_records(&[record(21)], "t-after-read").await.unwrap();
    assert!(!app.store.clear_marks(&marks.iter().collect::<Vec<_>>()).await.unwrap());
    let still = app.store.dirty_months(&mut DirtyScan::start(), 100).await.unwrap();
    assert_eq!(still.len(), 2, "neither cleared: {still:?}");
    assert!(still.iter().any(|mark| mark.touched == "t-april"), "{still:?}");
    assert!(app.store.clear_marks(&still.iter().collect::<Vec<_>>()).await.unwrap());
    assert!(app.store.dirty_months(&mut DirtyScan::start(), 100).await.unwrap().is_empty());
}

/// A month's rollup item holds its days, and reads back as written.
#[tokio::test]
async fn a_rolled_month_reads_back_with_its_days() {
    use partner_hub::domain::{DailyRollup, MonthlyRollup, RolledMonth, Term};

    let app = fresh_app().await;
    let org = OrgId::from_number(12_345_679);
    let mut month = MonthlyRollup::empty(org.clone(), "gateway", "2026-03".into());
    month.used_gb = 2.5;
    month.cumulative_gb = 7.25;
    month.term = Some(Term::Annual);
    let day = |d: u32, gb: f64| DailyRollup {
        org_id: org.clone(),
        service: "gateway".into(),
        date: format!("2026-03-{d:02}").parse().unwrap(),
        assigned: 0,
        daily_active_users: 0,
        purchased: 0,
        overage: 0,
        used_gb: gb,
    };
    let rolled = RolledMonth { month, days: vec![day(1, 1.0), day(31, 1.5)] };
    let other =
        RolledMonth { month: MonthlyRollup::empty(org.clone(), "gateway", "2026-04".into()), days: vec![] };
    app.store.put_months(&[rolled.clone(), other.clone()]).await.unwrap();
    assert_eq!(
        app.store.months(&org, "gateway", "2026-03", "2026-04").await.unwrap(),
        vec![rolled.clone(), other]
    );
    assert_eq!(
        app.store.months_consistent(&org, "gateway", "2026-01", "2026-03").await.unwrap(),
        vec![rolled]
    );
}
