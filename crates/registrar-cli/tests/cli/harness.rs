//! The test harness: a local tenant in this process, a scratch directory, and the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use registrar_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator};
use serde_json::Value;

/// The path of the built binary.
pub(crate) fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_registrar")
}

/// The workspace root (for examples/ and manifests/).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// What a run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// The command line as a user would type it (`registrar ...`), for snapshots.
    pub(crate) command: String,
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from(command: String, output: Output) -> Self {
        Self {
            command,
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Both streams, for scanning.
    pub(crate) fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// `registrar ARGS` as a user would type it.
pub(crate) fn command_line(args: &[&str]) -> String {
    let mut line = String::from("registrar");
    for arg in args {
        line.push(' ');
        if arg.is_empty() || arg.contains([' ', '"', '\'', '$', '*']) {
            line.push_str(&format!("'{arg}'"));
        } else {
            line.push_str(arg);
        }
    }
    line
}

/// Runs the binary in `dir` with `args`, no tenant.
pub(crate) fn run_offline(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("REGISTRAR_LOCAL_URL")
        .env_remove("REGISTRAR_TARGET")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run registrar");
    Run::from(command_line(args), output)
}

/// A local tenant served from this process, and a scratch directory to run in.
pub(crate) struct TestTenant {
    pub(crate) emulator: Emulator,
    running: Option<RunningEmulator>,
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) dir: tempfile::TempDir,
    ca_path: PathBuf,
    base_url: String,
    /// The `--now` passed to every run, if set.
    pub(crate) now: Option<String>,
    /// The front set up by [`Self::deny_graph`], serving until the tenant is dropped.
    front: Option<tokio::task::JoinHandle<()>>,
}

impl TestTenant {
    /// A fresh lenient tenant (any vault exists).
    pub(crate) fn new() -> Self {
        Self::with_config(EmulatorConfig::default())
    }

    /// A fresh tenant with this configuration.
    pub(crate) fn with_config(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = Emulator::new(config).expect("emulator");
        let running = runtime
            .block_on(emulator.serve("127.0.0.1:0".parse().expect("address")))
            .expect("serve");
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_path = dir.path().join("emulator-ca.pem");
        running.write_ca_certificate(&ca_path).expect("write CA");
        let base_url = running.base_url.as_str().trim_end_matches('/').to_owned();
        Self {
            emulator,
            running: Some(running),
            runtime,
            dir,
            ca_path,
            base_url,
            now: None,
            front: None,
        }
    }

    /// From now on the binary reaches the tenant through a second HTTPS front whose
    /// Microsoft Graph answers `403 Authorization_RequestDenied` to the requests `denied`
    /// picks (method, path), as Graph answers a credential without the permission; all other
    /// requests go to the tenant. For the hint users get then.
    pub(crate) fn deny_graph(&mut self, denied: fn(&axum::http::Method, &str) -> bool) {
        let router = self.emulator.router();
        let service =
            tower::service_fn(move |request: axum::http::Request<hyper::body::Incoming>| {
                let router = router.clone();
                let request = request.map(axum::body::Body::new);
                async move {
                    let path = request.uri().path();
                    if path.starts_with("/v1.0/") && denied(request.method(), path) {
                        return Ok(graph_forbidden());
                    }
                    tower::ServiceExt::oneshot(router, request).await
                }
            });
        let (certificate_chain, key, ca_pem) = front_certificates();
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certificate_chain, key)
        .expect("TLS configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the front");
        let address = listener.local_addr().expect("the front's address");
        let task = self.runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let service = hyper_util::service::TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let builder = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    );
                    let _ = builder
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        let ca_path = self.dir.path().join("front-ca.pem");
        std::fs::write(&ca_path, ca_pem).expect("write the front's CA");
        self.ca_path = ca_path;
        self.base_url = format!("https://{address}");
        self.front = Some(task);
    }

    /// The local tenant's base URL.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The CA certificate the binary trusts (`REGISTRAR_LOCAL_CA`).
    pub(crate) fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// Writes a file into the scratch directory and returns its path relative to it.
    pub(crate) fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write");
        name.to_owned()
    }

    /// Runs `registrar --local ARGS` against this tenant.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Runs with extra environment variables.
    pub(crate) fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(binary());
        command
            .arg("--local")
            .args(args)
            .current_dir(self.dir.path())
            .env("REGISTRAR_LOCAL_URL", &self.base_url)
            .env("REGISTRAR_LOCAL_CA", &self.ca_path)
            .env("NO_COLOR", "1")
            // Lint findings atop plans are tested on their own (lint.rs); the other tests'
            // transcripts show the plan alone. A test's own `--lint` wins over this.
            .env("REGISTRAR_LINT", "off")
            .env_remove("RUST_LOG")
            .env_remove("REGISTRAR_NOW")
            .stdin(Stdio::null());
        if let Some(now) = &self.now {
            command.env("REGISTRAR_NOW", now);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut line = vec!["--local"];
        line.extend_from_slice(args);
        let mut shown = command_line(&line);
        // The environment a user would have set, as a shell prefix.
        for (name, value) in self
            .now
            .iter()
            .map(|now| ("REGISTRAR_NOW", now.as_str()))
            .chain(env.iter().copied())
            .rev()
        {
            shown = format!("{name}={value} {shown}");
        }
        Run::from(shown, command.output().expect("run registrar"))
    }

    /// `apply --auto-approve FILE`, expecting success.
    #[track_caller]
    pub(crate) fn apply(&self, manifest: &str) -> Run {
        let run = self.run(&["apply", "--auto-approve", manifest]);
        run.expect_code(0);
        run
    }

    /// `plan --detailed-exitcode FILE`.
    pub(crate) fn plan(&self, manifest: &str) -> Run {
        self.run(&["plan", "--detailed-exitcode", manifest])
    }

    /// Asserts the tenant matches the manifest.
    #[track_caller]
    pub(crate) fn assert_converged(&self, manifest: &str) {
        let run = self.plan(manifest);
        run.expect_code(0);
        assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    }

    /// Sets fault injection.
    pub(crate) fn set_faults(&self, faults: Faults) {
        self.emulator.set_faults(faults);
    }

    /// A Graph access token for the automation client.
    pub(crate) fn graph_token(&self) -> String {
        self.token("https://graph.microsoft.com/.default")
    }

    /// Writes a new version of a Key Vault secret by hand, without Registrar's tags.
    pub(crate) fn put_vault_secret(&self, vault: &str, name: &str, value: &str) {
        let token = self.token("https://vault.azure.net/.default");
        let client = self.http_client();
        let url = format!(
            "{}/vaults/{vault}/secrets/{name}?api-version=7.4",
            self.base_url
        );
        let status = self.runtime.block_on(async {
            client
                .put(url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "value": value }))
                .send()
                .await
                .expect("Key Vault request")
                .status()
        });
        assert_eq!(status.as_u16(), 200);
    }

    /// An access token for the automation client with this scope.
    fn token(&self, scope: &str) -> String {
        let tenant = self.emulator.tenant();
        let client = self.http_client();
        let url = format!("{}/{}/oauth2/v2.0/token", self.base_url, tenant.tenant_id);
        self.runtime.block_on(async {
            let response: Value = client
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", tenant.client_id.as_str()),
                    ("client_secret", tenant.client_secret.as_str()),
                    ("scope", scope),
                ])
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("token json");
            response["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned()
        })
    }

    fn http_client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca_path).expect("CA");
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).expect("PEM");
        reqwest::Client::builder()
            .tls_certs_only(certificates)
            .build()
            .expect("client")
    }

    /// Sends a Graph request as the automation client, like an administrator editing the tenant
    /// by hand. Returns the status and the JSON body (Null when empty).
    pub(crate) fn graph(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let token = self.graph_token();
        let client = self.http_client();
        let url = format!("{}/v1.0{path}", self.base_url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.runtime.block_on(async {
            let mut request = client.request(method, url).bearer_auth(token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("graph request");
            let status = response.status().as_u16();
            let text = response.text().await.expect("body");
            let json = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).expect("json")
            };
            (status, json)
        })
    }

    /// Sends an ARM request (`path` from the root, with its query) as the automation client.
    pub(crate) fn arm(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let token = self.token("https://management.azure.com/.default");
        let client = self.http_client();
        let url = format!("{}{path}", self.base_url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.runtime.block_on(async {
            let mut request = client.request(method, url).bearer_auth(token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("ARM request");
            let status = response.status().as_u16();
            let text = response.text().await.expect("body");
            let json = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).expect("json")
            };
            (status, json)
        })
    }

    /// The application with this uniqueName, as Graph returns it.
    pub(crate) fn application(&self, unique_name: &str) -> Value {
        let (status, body) = self.graph(
            "GET",
            &format!("/applications(uniqueName='{unique_name}')"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// Graph's answer to a request the credential has no permission for.
fn graph_forbidden() -> axum::response::Response {
    let body = serde_json::json!({
        "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
            "innerError": {
                "date": "2026-11-24T12:00:00",
                "request-id": "7c1f4f2e-0000-4000-8000-000000000403",
                "client-request-id": "7c1f4f2e-0000-4000-8000-000000000403",
            },
        },
    });
    axum::response::IntoResponse::into_response((
        axum::http::StatusCode::FORBIDDEN,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    ))
}

/// A CA and a leaf for 127.0.0.1 signed by it: (chain, leaf key, CA PEM).
fn front_certificates() -> (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
    String,
) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("leaf parameters")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    (vec![leaf.der().clone(), ca.der().clone()], key, ca.pem())
}

impl Drop for TestTenant {
    fn drop(&mut self) {
        if let Some(front) = self.front.take() {
            front.abort();
        }
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}
