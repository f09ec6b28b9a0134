//! HTTPS: a CA and a leaf certificate generated at start (rcgen), and the accept loop that
//! serves the router over rustls (ring provider) with hyper, with graceful shutdown. Responses
//! marked `DropConnection` (injected faults) are never sent: the connection is dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use tower::ServiceExt as _;

use crate::EmulatorError;
use crate::dispatch::DropConnection;

/// The generated certificates.
pub(crate) struct Certificates {
    pub(crate) ca_pem: String,
    pub(crate) leaf_der: CertificateDer<'static>,
    pub(crate) ca_der: CertificateDer<'static>,
    pub(crate) leaf_key: PrivateKeyDer<'static>,
}

fn cert_error(error: rcgen::Error) -> EmulatorError {
    EmulatorError::Certificate(error.to_string())
}

/// Generates a CA and a leaf for 127.0.0.1, localhost and `*.vault.azure.net`.
pub(crate) fn generate() -> Result<Certificates, EmulatorError> {
    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Registrar emulator local CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "Registrar");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(cert_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(cert_error)?;
    let mut leaf_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "*.vault.azure.net".to_owned(),
        "*.localhost".to_owned(),
    ])
    .map_err(cert_error)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf_params.is_ca = IsCa::NoCa;
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(cert_error)?;
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        leaf_der: leaf_cert.der().clone(),
        leaf_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    })
}

/// Builds the rustls server configuration (ring provider, h2 and http/1.1).
pub(crate) fn server_config(
    certificates: &Certificates,
) -> Result<rustls::ServerConfig, EmulatorError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| EmulatorError::Certificate(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![certificates.leaf_der.clone(), certificates.ca_der.clone()],
            certificates.leaf_key.clone_key(),
        )
        .map_err(|error| EmulatorError::Certificate(error.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Binds `addr` and serves `router` until `shutdown` changes or its sender is dropped.
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, EmulatorError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })
}

/// The error that makes hyper close the connection (HTTP/1.1) or reset the stream (HTTP/2)
/// without an answer: the dropped-connection faults.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct ConnectionDropped;

/// `router`, with every response marked [`DropConnection`] turned into a dropped connection.
fn dropping_connections(
    router: Router,
) -> impl tower::Service<
    axum::http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = ConnectionDropped,
    Future = impl Future<Output = Result<axum::response::Response, ConnectionDropped>> + Send,
> + Clone {
    tower::service_fn(move |request: axum::http::Request<hyper::body::Incoming>| {
        let router = router.clone();
        async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok(response)
        }
    })
}

/// The accept loop.
pub(crate) async fn serve(
    listener: TcpListener,
    config: rustls::ServerConfig,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let acceptor = acceptor.clone();
                let service = TowerToHyperService::new(dropping_connections(router.clone()));
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).into_owned();
                    if let Err(error) = watcher.watch(connection).await {
                        tracing::debug!(%error, "emulator connection ended with an error");
                    }
                });
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}
