//! `AddSecret` when `addPassword` loses its answer after creating the credential: only the
//! delivered credential may remain.

use super::*;

fn passwords(tenant: &FakeTenant) -> Vec<String> {
    tenant
        .passwords
        .lock()
        .unwrap()
        .iter()
        .map(|credential| credential.key_id.clone())
        .collect()
}

fn delivered(tenant: &FakeTenant) -> Vec<String> {
    tenant
        .calls()
        .into_iter()
        .filter(|call| call.starts_with("deliver_secret"))
        .collect()
}

#[test]
fn add_password_that_committed_then_lost_its_answer_leaves_only_the_delivered_credential() {
    let tenant = FakeTenant::default();
    *tenant.commit_then_drop.lock().unwrap() = 1;
    let (report, _) = run(&create_plan(), &tenant);
    assert!(
        report.is_success(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    // key-1 was created but its value never arrived: removed; key-2 was delivered.
    assert_eq!(passwords(&tenant), ["key-2"]);
    assert_eq!(
        delivered(&tenant),
        ["deliver_secret file `/tmp/x.json` key-2"]
    );
    assert!(
        tenant
            .calls()
            .contains(&"remove_password id-ns.api key-1".to_owned())
    );
}

#[test]
fn add_password_read_back_that_lags_is_repeated_after_delivery() {
    let tenant = FakeTenant::default();
    *tenant.commit_then_drop.lock().unwrap() = 1;
    // The read right after the lost answer does not show key-1 yet.
    *tenant.lagging_reads.lock().unwrap() = 1;
    let (report, _) = run(&create_plan(), &tenant);
    assert!(
        report.is_success(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    assert_eq!(passwords(&tenant), ["key-2"]);
}

#[test]
fn add_password_that_keeps_losing_its_answer_leaves_no_credential() {
    let tenant = FakeTenant::default();
    *tenant.commit_then_drop.lock().unwrap() = 10;
    let (report, _) = run(&create_plan(), &tenant);
    let (address, error) = report.failures().next().expect("one failure");
    assert_eq!(address, "application.api.secret.ci");
    assert!(matches!(error, ApplyError::Write { .. }), "{error:?}");
    assert!(passwords(&tenant).is_empty(), "{:?}", passwords(&tenant));
    assert!(delivered(&tenant).is_empty());
    let attempts = tenant
        .calls()
        .iter()
        .filter(|call| call.starts_with("add_password"))
        .count();
    assert_eq!(attempts, 3);
}

#[test]
fn add_password_refused_outright_is_not_read_back_or_repeated() {
    let tenant = FakeTenant::failing(vec!["add_password"]);
    let (report, _) = run(&create_plan(), &tenant);
    assert_eq!(report.failures().count(), 1);
    let calls = tenant.calls();
    assert_eq!(
        calls
            .iter()
            .filter(|call| call.starts_with("add_password"))
            .count(),
        1
    );
    assert!(!calls.iter().any(|call| call.starts_with("list_passwords")));
}

#[test]
fn add_password_read_back_keeps_credentials_of_other_runs() {
    let tenant = FakeTenant::default();
    // An older credential of the same secret (another start): not this run's.
    tenant.passwords.lock().unwrap().push(PasswordCredential {
        key_id: "old".to_owned(),
        display_name: Some("ci".to_owned()),
        hint: None,
        start: Some(OffsetDateTime::UNIX_EPOCH - Duration::from_secs(86_400)),
        end: Some(OffsetDateTime::UNIX_EPOCH),
    });
    *tenant.commit_then_drop.lock().unwrap() = 1;
    let (report, _) = run(&create_plan(), &tenant);
    assert!(report.is_success());
    assert_eq!(passwords(&tenant), ["old", "key-2"]);
}
