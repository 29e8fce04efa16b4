//! The TLS listener for chargers on OCPP security profile 2: rustls (ring) with the configured
//! certificate. Each connection's handshake runs in its own task, within the listener's
//! limits ([`crate::serving`]), so a slow or silent client cannot hold up the others; the
//! router marks every connection [`Transport::Tls`](crate::ocpp::Transport) for the security check.

use std::io;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsListenerConfig;
use crate::serving::Handshake;

/// Loads the certificate chain and key into a rustls server config (TLS 1.2 and 1.3: OCPP's
/// security whitepaper requires at least 1.2).
pub fn server_config(config: &TlsListenerConfig) -> Result<Arc<rustls::ServerConfig>, String> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&config.certificate)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("cannot read the certificate {}: {e}", config.certificate.display()))?;
    if certificates.is_empty() {
        return Err(format!("{} holds no certificate", config.certificate.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&config.private_key)
        .map_err(|e| format!("cannot read the private key {}: {e}", config.private_key.display()))?;
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certificates, key))
        .map_err(|e| format!("the TLS certificate and key do not work together: {e}"))?;
    Ok(Arc::new(tls))
}

/// The TLS handshake of each accepted connection (bounded, with the request head, by the
/// listener's header-read timeout; see [`crate::serving`]).
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl Tls {
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self(TlsAcceptor::from(config))
    }
}

impl Handshake for Tls {
    type Io = TlsStream<TcpStream>;
    // A plain-text 503 means nothing to a TLS client, and a handshake is what the cap spares.
    const ANSWERS_REFUSALS: bool = false;
    async fn handshake(&self, tcp: TcpStream) -> io::Result<Self::Io> {
        self.0.accept(tcp).await
    }
}
