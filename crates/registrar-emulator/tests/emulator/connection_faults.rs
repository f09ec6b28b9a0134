//! The connection faults over real HTTPS: a reset before handling changes nothing, a reset after
//! committing changes the tenant but the client gets no answer, a timeout holds the request past
//! the client's timeout and changes nothing, and the hold after the k-th change commits exactly
//! k changes and answers nothing until released. All are counted.

use std::time::Duration;

use registrar_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator};
use serde_json::{Value, json};

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

struct Served {
    emulator: Emulator,
    running: RunningEmulator,
    base: String,
    token: String,
}

async fn serve() -> Served {
    let emulator = Emulator::new(EmulatorConfig::default()).unwrap();
    let running = emulator
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = running.base_url.as_str().trim_end_matches('/').to_owned();
    let tenant = emulator.tenant();
    let token: Value = client(&running, false)
        .post(format!("{base}/{}/oauth2/v2.0/token", tenant.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &tenant.client_id)
                .append_pair("client_secret", &tenant.client_secret)
                .append_pair("scope", GRAPH_SCOPE)
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    Served {
        emulator,
        running,
        base,
        token,
    }
}

fn client(running: &RunningEmulator, http1_only: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(running.ca_certificate_pem.as_bytes()).unwrap(),
        )
        .timeout(Duration::from_millis(2_000));
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().unwrap()
}

impl Served {
    async fn create(&self, client: &reqwest::Client, name: &str) -> reqwest::Result<u16> {
        client
            .post(format!("{}/v1.0/applications", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "displayName": name }))
            .send()
            .await
            .map(|response| response.status().as_u16())
    }

    fn applications_named(&self, name: &str) -> usize {
        self.emulator.state_json()["applications"]
            .as_object()
            .unwrap()
            .values()
            .filter(|record| record["object"]["displayName"] == name)
            .count()
    }
}

#[tokio::test]
async fn a_reset_before_handling_changes_nothing_and_one_after_committing_does() {
    let served = serve().await;
    for http1_only in [true, false] {
        let client = client(&served.running, http1_only);
        let before = format!("before-{http1_only}");
        served.emulator.set_faults(Faults {
            reset_before_rate: 1.0,
            ..Faults::default()
        });
        let error = served.create(&client, &before).await.unwrap_err();
        assert!(!error.is_timeout() && !error.is_connect(), "{error:?}");
        let after = format!("after-{http1_only}");
        served.emulator.set_faults(Faults {
            reset_after_rate: 1.0,
            ..Faults::default()
        });
        assert!(served.create(&client, &after).await.is_err());
        served.emulator.set_faults(Faults::default());
        assert_eq!(served.applications_named(&before), 0);
        assert_eq!(served.applications_named(&after), 1);
        // The connection pool recovers: the next request is answered.
        assert_eq!(served.create(&client, "answered").await.unwrap(), 201);
    }
    let injected = served.emulator.injected_faults();
    assert_eq!((injected.reset_before, injected.reset_after), (2, 2));
    let route: Value = client(&served.running, false)
        .get(format!("{}/_emulator/faults/injected", served.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(route["reset_after"], 2);
    assert_eq!(route["mutations"], 4);
    served.running.shutdown().await;
}

#[tokio::test]
async fn a_timeout_holds_the_request_past_the_clients_timeout_and_changes_nothing() {
    let served = serve().await;
    served.emulator.set_faults(Faults {
        timeout_rate: 1.0,
        timeout_hold_ms: 3_000,
        ..Faults::default()
    });
    let error = served
        .create(&client(&served.running, false), "late")
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    served.emulator.set_faults(Faults::default());
    assert_eq!(served.applications_named("late"), 0);
    assert_eq!(served.emulator.injected_faults().timeout, 1);
    served.running.shutdown().await;
}

#[tokio::test]
async fn the_hold_commits_exactly_k_changes_and_answers_nothing_until_released() {
    let served = serve().await;
    let client = client(&served.running, false);
    served.emulator.set_faults(Faults {
        hold_after_mutations: Some(2),
        ..Faults::default()
    });
    assert_eq!(served.create(&client, "first").await.unwrap(), 201);
    assert!(!served.emulator.injected_faults().holding);
    let second = served.create(&client, "second");
    let third = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        served.create(&client, "third").await
    };
    let release = async {
        while !served.emulator.injected_faults().holding {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        served.emulator.set_faults(Faults::default());
    };
    let (second, third, ()) = tokio::join!(second, third, release);
    assert!(second.is_err() && third.is_err(), "{second:?} {third:?}");
    assert_eq!(served.applications_named("second"), 1);
    assert_eq!(served.applications_named("third"), 0);
    let injected = served.emulator.injected_faults();
    assert_eq!(injected.mutations, 2);
    assert!(!injected.holding);
    served.running.shutdown().await;
}
