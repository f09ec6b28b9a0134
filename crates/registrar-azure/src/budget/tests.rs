//! Unit tests of the pacer on a clock moved by hand: the waits it asks for, never real time.

use std::sync::Mutex;

use super::*;

#[derive(Debug, Default)]
struct FakeClock(Mutex<Duration>);

impl FakeClock {
    fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.0.lock().map_or(Duration::ZERO, |now| *now)
    }
}

fn pacer(config: &PacingConfig) -> (Pacer, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::default());
    (Pacer::with_clock(config, clock.clone()), clock)
}

fn read(units: u32) -> Cost {
    Cost {
        units,
        ..Cost::default()
    }
}

fn write() -> Cost {
    Cost {
        units: 1,
        writes: 1,
        deletes: 0,
    }
}

fn close(actual: Duration, expected: Duration) -> bool {
    actual.abs_diff(expected) < Duration::from_millis(1)
}

#[test]
fn graph_costs_follow_the_documented_rule() {
    let get = |url: &str| graph_cost(&Method::GET, url).units;
    assert_eq!(get("https://graph.microsoft.com/v1.0/applications"), 2);
    assert_eq!(get("/applications?$select=id,appId&$top=999"), 1);
    assert_eq!(get("/applications/x"), 2);
    assert_eq!(get("/applications(appId='a')?$select=id"), 1);
    assert_eq!(get("/applications/x/owners?$select=id"), 1);
    assert_eq!(get("/applications/x/owners"), 1);
    assert_eq!(get("/applications?$expand=owners"), 3);
    assert_eq!(get("/applications?$top=5"), 1);
    assert_eq!(
        get("/oauth2PermissionGrants?$filter=clientId%20eq%20'x'"),
        2
    );
    assert_eq!(get("/servicePrincipals/x/appRoleAssignments"), 2);
    assert_eq!(get("/servicePrincipals?$filter=x&$select=id"), 1);
    assert_eq!(get("/users/alice?$select=id"), 1);
    assert_eq!(get("/groups/g/members"), 3);
    assert_eq!(get("/directoryObjects/x?$select=id"), 1);
    let post = graph_cost(&Method::POST, "/applications/x/addPassword");
    assert_eq!((post.units, post.writes), (1, 1));
    let patch = graph_cost(
        &Method::PATCH,
        "https://h/v1.0/applications(uniqueName='u')",
    );
    assert_eq!((patch.units, patch.writes), (1, 1));
    assert_eq!(
        graph_cost(&Method::POST, "https://h/v1.0/$batch"),
        Cost::default()
    );
}

#[test]
fn a_full_bucket_lets_a_burst_through_then_paces_it() {
    let (pacer, clock) = pacer(&PacingConfig::default());
    // 3,500 RU per 10 s: the whole capacity goes at once.
    for _ in 0..1_750 {
        assert_eq!(pacer.reserve(Service::Graph, read(2)), Duration::ZERO);
    }
    // Then each 2 RU waits for 2/350 s more than the one before.
    let first = pacer.reserve(Service::Graph, read(2));
    let second = pacer.reserve(Service::Graph, read(2));
    assert!(close(first, Duration::from_secs_f64(2.0 / 350.0)));
    assert!(close(second, Duration::from_secs_f64(4.0 / 350.0)));
    // Time pays the debt back.
    clock.advance(Duration::from_secs(10));
    assert_eq!(pacer.reserve(Service::Graph, read(2)), Duration::ZERO);
}

#[test]
fn writes_have_their_own_quota() {
    let (pacer, clock) = pacer(&PacingConfig::default());
    // 3,000 writes per 150 s; the RU bucket refills far faster, so writes set the pace.
    for _ in 0..3_000 {
        assert_eq!(pacer.reserve(Service::Graph, write()), Duration::ZERO);
    }
    let wait = pacer.reserve(Service::Graph, write());
    assert!(close(wait, Duration::from_millis(50)));
    // Reads are not held back by the write quota.
    assert_eq!(pacer.reserve(Service::Graph, read(1)), Duration::ZERO);
    clock.advance(Duration::from_millis(50));
    assert_eq!(pacer.reserve(Service::Graph, read(1)), Duration::ZERO);
}

#[test]
fn the_charged_resource_units_correct_the_estimate() {
    let (pacer, _clock) = pacer(&PacingConfig::default());
    pacer.reserve(Service::Graph, read(3_400));
    // The service charged 1 RU instead of 3,400: the difference comes back.
    let observed = Observed {
        status: 200,
        resource_units: Some(1.0),
        ..Observed::default()
    };
    pacer.observe(Service::Graph, read(3_400), &observed);
    assert_eq!(pacer.reserve(Service::Graph, read(3_000)), Duration::ZERO);
    // And a charge above the estimate is taken.
    let observed = Observed {
        status: 200,
        resource_units: Some(1_000.0),
        ..Observed::default()
    };
    pacer.observe(Service::Graph, read(1), &observed);
    assert!(pacer.reserve(Service::Graph, read(1)) > Duration::ZERO);
}

#[test]
fn the_limit_percentage_lowers_the_bucket_to_what_is_left() {
    let (pacer, _clock) = pacer(&PacingConfig::default());
    let observed = Observed {
        status: 200,
        limit_fraction: Some(0.9),
        ..Observed::default()
    };
    pacer.observe(Service::Graph, read(1), &observed);
    // 10 % of 3,500 is left.
    assert_eq!(pacer.reserve(Service::Graph, read(350)), Duration::ZERO);
    assert!(pacer.reserve(Service::Graph, read(1)) > Duration::ZERO);
    // Above 1.0 the client is over the limit: it waits for the excess to drain.
    let (pacer, _clock) = self::pacer(&PacingConfig::default());
    let over = Observed {
        status: 200,
        limit_fraction: Some(1.2),
        ..Observed::default()
    };
    pacer.observe(Service::Graph, read(1), &over);
    let wait = pacer.reserve(Service::Graph, read(1));
    assert!(close(wait, Duration::from_secs_f64(701.0 / 350.0)));
}

#[test]
fn a_429_holds_every_request_until_retry_after() {
    let (pacer, clock) = pacer(&PacingConfig::default());
    let throttled = Observed {
        status: 429,
        retry_after: Some(Duration::from_secs(5)),
        ..Observed::default()
    };
    pacer.observe(Service::Graph, write(), &throttled);
    assert!(close(
        pacer.reserve(Service::Graph, read(1)),
        Duration::from_secs(5)
    ));
    clock.advance(Duration::from_secs(5));
    // The pause is over; the emptied bucket has refilled 5 s worth.
    assert_eq!(pacer.reserve(Service::Graph, read(1)), Duration::ZERO);
    // ARM and Key Vault are not held by Graph's pause.
    assert_eq!(pacer.reserve(Service::KeyVault, read(1)), Duration::ZERO);
}

#[test]
fn arm_follows_the_remaining_headers() {
    let (pacer, clock) = pacer(&PacingConfig::default());
    assert_eq!(
        pacer.reserve(Service::Arm, arm_cost(&Method::GET)),
        Duration::ZERO
    );
    let observed = Observed {
        status: 200,
        remaining_reads: Some(0.0),
        ..Observed::default()
    };
    pacer.observe(Service::Arm, arm_cost(&Method::GET), &observed);
    // Reads refill at 25/s.
    assert!(close(
        pacer.reserve(Service::Arm, arm_cost(&Method::GET)),
        Duration::from_millis(40)
    ));
    // Writes have their own bucket.
    assert_eq!(
        pacer.reserve(Service::Arm, arm_cost(&Method::PUT)),
        Duration::ZERO
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        pacer.reserve(Service::Arm, arm_cost(&Method::GET)),
        Duration::ZERO
    );
}

#[test]
fn pacing_off_never_waits() {
    let (pacer, _clock) = pacer(&PacingConfig::off());
    for _ in 0..10 {
        assert_eq!(pacer.reserve(Service::Graph, read(10_000)), Duration::ZERO);
        assert_eq!(
            pacer.reserve(Service::Arm, arm_cost(&Method::DELETE)),
            Duration::ZERO
        );
    }
}

#[test]
fn larger_classes_have_larger_buckets() {
    let (pacer, _clock) = pacer(&PacingConfig::for_class(TenantClass::L));
    assert_eq!(pacer.reserve(Service::Graph, read(8_000)), Duration::ZERO);
    assert!(pacer.reserve(Service::Graph, read(1)) > Duration::ZERO);
    assert_eq!("m".parse::<TenantClass>(), Ok(TenantClass::M));
    assert!("XL".parse::<TenantClass>().is_err());
}
