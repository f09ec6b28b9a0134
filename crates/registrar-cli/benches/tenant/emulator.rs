//! The local tenant as its own process (`registrar emulator --strict-vaults --vault kv-bench`),
//! so the client's memory is its own, and its control routes: latency, throttling (re-armed
//! before every phase, which starts every bucket full), and the usage counters of the shared
//! contract (`GET /_emulator/usage`, `POST /_emulator/usage/reset`). An emulator without
//! throttling or usage counters (404) still runs the bench; the figures it cannot give are
//! "n/a".

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::manifest::VAULT;

/// A running `registrar emulator`, stopped when dropped.
pub(crate) struct Emulator {
    child: Child,
    pub(crate) url: String,
    pub(crate) ca_path: PathBuf,
    pub(crate) ca_pem: Vec<u8>,
    control: reqwest::Client,
}

impl Emulator {
    /// Starts the binary at `registrar` in `dir` (which receives the CA certificate).
    pub(crate) fn start(registrar: &Path, dir: &Path) -> anyhow::Result<Self> {
        let ca_path = dir.join("emulator-ca.pem");
        let mut child = Command::new(registrar)
            .args(["emulator", "--port", "0", "--ca-cert"])
            .arg(&ca_path)
            .args(["--strict-vaults", "--vault", VAULT])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start `{} emulator`", registrar.display()))?;
        let mut url = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout)
                .read_line(&mut url)
                .context("cannot read the local tenant's URL")?;
        }
        let url = url.trim().to_owned();
        if !url.starts_with("https://") {
            let _ = child.kill();
            bail!("the local tenant did not print its URL (got `{url}`)");
        }
        let ca_pem = std::fs::read(&ca_path)
            .with_context(|| format!("cannot read `{}`", ca_path.display()))?;
        let control = reqwest::Client::builder()
            .tls_certs_only(
                reqwest::Certificate::from_pem_bundle(&ca_pem)
                    .context("the local tenant's CA certificate is not PEM")?,
            )
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            child,
            url,
            ca_path,
            ca_pem,
            control,
        })
    }

    async fn control(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self
            .control
            .request(method, format!("{}/_emulator/{route}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("/_emulator/{route}"))?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Adds `latency_ms` to every API request (and to each request inside a `$batch`).
    pub(crate) async fn set_latency(&self, latency_ms: u64) -> anyhow::Result<()> {
        let (status, body) = self
            .control(
                reqwest::Method::PUT,
                "faults",
                Some(json!({ "latency_ms": latency_ms })),
            )
            .await?;
        if !status.is_success() {
            bail!("PUT /_emulator/faults: {status}: {body}");
        }
        Ok(())
    }

    /// Switches throttling on for tenant class `class` again, which starts every bucket full.
    /// `false` when this emulator has no throttling (404).
    pub(crate) async fn arm_throttle(&self, class: &str) -> anyhow::Result<bool> {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                "throttle",
                Some(json!({ "class": class })),
            )
            .await?;
        match status {
            status if absent(status, &body) => Ok(false),
            status if status.is_success() => Ok(true),
            status => bail!("POST /_emulator/throttle: {status}: {body}"),
        }
    }

    /// Zeroes the usage counters; `false` when this emulator has none (404).
    pub(crate) async fn reset_usage(&self) -> anyhow::Result<bool> {
        let (status, body) = self
            .control(reqwest::Method::POST, "usage/reset", None)
            .await?;
        match status {
            status if absent(status, &body) => Ok(false),
            status if status.is_success() => Ok(true),
            status => bail!("POST /_emulator/usage/reset: {status}: {body}"),
        }
    }

    /// The usage counters since the last reset, `None` when this emulator has none.
    pub(crate) async fn usage(&self) -> anyhow::Result<Option<Value>> {
        let (status, body) = self.control(reqwest::Method::GET, "usage", None).await?;
        match status {
            status if absent(status, &body) => Ok(None),
            status if status.is_success() => Ok(Some(body)),
            status => bail!("GET /_emulator/usage: {status}: {body}"),
        }
    }
}

/// Whether a control route is not served by this emulator: 404 or 405, or the 400 "Invalid
/// version or resource" an emulator without the route answers for any unknown path.
fn absent(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::NOT_FOUND
        || status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::BAD_REQUEST
            && body["error"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("Invalid version or resource")))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
