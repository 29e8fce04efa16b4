//! A throwaway certificate for the server's OCPP TLS listener (security profile 2), and a
//! client configuration that trusts it and nothing else.

use std::path::Path;
use std::sync::Arc;

use chargekit_server::TlsListenerConfig;

pub struct TestTls {
    pub listener: TlsListenerConfig,
    pub client: Arc<rustls::ClientConfig>,
}

/// A self-signed certificate for `127.0.0.1` and `localhost`, written as PEM into `dir`.
pub fn test_tls(dir: &Path) -> TestTls {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).expect("test certificate");
    let certificate = dir.join("ocpp-tls.crt");
    let private_key = dir.join("ocpp-tls.key");
    std::fs::write(&certificate, certified.cert.pem()).expect("certificate written");
    std::fs::write(&private_key, certified.signing_key.serialize_pem()).expect("key written");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).expect("test root");
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TestTls { listener: TlsListenerConfig { bind: ([127, 0, 0, 1], 0).into(), certificate, private_key }, client: Arc::new(client) }
}
