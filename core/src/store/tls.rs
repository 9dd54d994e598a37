//! TLS to PostgreSQL and MariaDB/MySQL, on rustls as the gateway client is,
//! always verifying the server's certificate.
//!
//! Options in the store URL's query (either spelling, on either database):
//!
//! | option | values |
//! |---|---|
//! | `sslmode` / `ssl-mode` | `disable` (`DISABLED`, the default: no TLS); `prefer` (PostgreSQL only: TLS when the server offers it, verified as `verify-ca`); `require` (`REQUIRED`) and `verify-ca` (`VERIFY_CA`): TLS, the certificate chain verified; `verify-full` (`VERIFY_IDENTITY`): the chain and the host name (or IP address) verified |
//! | `sslrootcert` / `ssl-ca` | a PEM file of the CA certificates to trust; without it, the Mozilla roots (webpki-roots) |
//!
//! Unlike libpq, `require` never accepts an unverified certificate.
//!
//! One more option, not TLS, is taken here too so that a store URL's query is
//! read in one place: `prepare` (PostgreSQL only; `true`, the default, or
//! `false`). `prepare=false` keeps no prepared statement from one transaction
//! to the next, as PgBouncer's transaction pooling needs (see `store::postgres`).
//! On a `mysql://` URL it is left in the query, where the driver refuses it.

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Disable,
    Prefer,
    /// The chain is verified, not the name.
    VerifyCa,
    VerifyFull,
}

#[derive(Debug, Clone)]
pub(crate) struct Tls {
    pub mode: Mode,
    pub ca_file: Option<PathBuf>,
    /// PostgreSQL: keep statements prepared on a connection (`prepare`, default true).
    pub prepare: bool,
}

/// Take the TLS options out of a store URL: the URL without them (for the
/// driver's own parser), and what they ask for. Unknown values are
/// configuration errors that never quote the URL (it holds a password).
pub(crate) fn take_options(url: &str) -> Result<(String, Tls)> {
    let mut tls = Tls { mode: Mode::Disable, ca_file: None, prepare: true };
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), tls));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "sslmode" => {
                tls.mode = match value.to_ascii_lowercase().replace('_', "-").as_str() {
                    "disable" | "disabled" => Mode::Disable,
                    "prefer" | "preferred" => Mode::Prefer,
                    "require" | "required" | "verify-ca" => Mode::VerifyCa,
                    "verify-full" | "verify-identity" => Mode::VerifyFull,
                    _ => return Err(Error::config("the store URL's sslmode must be disable, prefer, require, verify-ca or verify-full (ssl-mode: DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY)")),
                }
            }
            "sslrootcert" | "sslca" => tls.ca_file = Some(PathBuf::from(value)),
            "prepare" if postgres => {
                tls.prepare = match value.to_ascii_lowercase().as_str() {
                    "true" | "on" | "1" => true,
                    "false" | "off" | "0" => false,
                    _ => return Err(Error::config("the store URL's prepare must be true or false (false: behind PgBouncer in transaction pooling)")),
                }
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, tls))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The CA certificates to trust: the file's, or the Mozilla roots.
pub(crate) fn roots(tls: &Tls) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match &tls.ca_file {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| Error::config(format!("the store's CA file {} cannot be read: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(Error::config(format!("the store's CA file {} holds no certificate", path.display())));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| Error::config(format!("the store's CA file {} holds a certificate rustls refuses: {e}", path.display())))?;
            }
        }
    }
    Ok(roots)
}

/// A rustls client configuration that verifies the server as `tls.mode` says.
pub(crate) fn client_config(tls: &Tls) -> Result<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("rustls: {e}")))?;
    Ok(builder.dangerous().with_custom_certificate_verifier(verifier(tls)?).with_no_client_auth())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// rustls' WebPKI verifier on `roots(tls)`: as it is for verify-full, without the name check for the rest.
fn verifier(tls: &Tls) -> Result<Arc<dyn ServerCertVerifier>> {
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(tls)?), provider())
        .build()
        .map_err(|e| Error::config(format!("cannot verify the store's certificates: {e}")))?;
    Ok(match tls.mode {
        Mode::VerifyFull => webpki,
        _ => Arc::new(ChainOnly(webpki)),
    })
}

/// `verify-ca`: the chain must lead to a trusted CA; the name is not checked
/// (servers reached by an address their certificate does not name).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A connection error, with a word on what to check when it is the certificate.
pub(crate) fn explain(message: String) -> String {
    if message.contains("UnknownIssuer") || message.contains("certificate") || message.contains("Certificate") {
        format!("{message} (TLS: the server's certificate is not signed by a trusted CA or does not name this host; check sslrootcert / ssl-ca and sslmode)")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_taken_out_of_the_url() {
        let (url, tls) = take_options("postgres://u:p@h/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x").unwrap();
        assert_eq!(url, "postgres://u:p@h/d?application_name=x");
        assert_eq!((tls.mode, tls.ca_file.unwrap()), (Mode::VerifyFull, PathBuf::from("/etc/ca.pem")));
        let (url, tls) = take_options("mysql://u:p@h/d?ssl-mode=VERIFY_CA&ssl-ca=/ca.pem").unwrap();
        assert_eq!((url.as_str(), tls.mode), ("mysql://u:p@h/d", Mode::VerifyCa));
        assert_eq!(take_options("mysql://u:p@h/d?ssl_mode=REQUIRED").unwrap().1.mode, Mode::VerifyCa);
        assert_eq!(take_options("postgres://u:p@h/d").unwrap().1.mode, Mode::Disable);
        let e = take_options("postgres://u:SECRET@h/d?sslmode=allow").unwrap_err();
        assert!(!e.message().contains("SECRET") && e.message().contains("verify-full"), "{}", e.message());
    }

    #[test]
    fn prepare_is_a_postgres_option() {
        assert!(take_options("postgres://u:p@h/d").unwrap().1.prepare);
        let (url, tls) = take_options("postgresql://u:p@h/d?prepare=false&sslmode=disable").unwrap();
        assert_eq!((url.as_str(), tls.prepare), ("postgresql://u:p@h/d", false));
        assert!(take_options("postgres://u:p@h/d?prepare=true").unwrap().1.prepare);
        let e = take_options("postgres://u:SECRET@h/d?prepare=maybe").unwrap_err();
        assert!(!e.message().contains("SECRET") && e.message().contains("PgBouncer"), "{}", e.message());
        // MySQL's driver is left to refuse it: it prepares nothing across transactions to turn off.
        assert_eq!(take_options("mysql://u:p@h/d?prepare=false").unwrap().0, "mysql://u:p@h/d?prepare=false");
    }

    /// On scripts/db.sh's certificates (when it made them): verify-full
    /// checks the chain and the name, verify-ca the chain only.
    #[test]
    fn verify_ca_checks_the_chain_and_verify_full_the_name_too() {
        let Ok(wrong) = std::env::var("DARGAH_TEST_WRONG_CA") else { return };
        let dir = std::path::Path::new(&wrong).parent().unwrap();
        let server = CertificateDer::from_pem_file(dir.join("server.pem")).unwrap();
        let verify = |mode, ca: &str, name: &'static str| {
            let verifier = verifier(&Tls { mode, ca_file: Some(dir.join(ca)), prepare: true }).unwrap();
            let name = ServerName::try_from(name).unwrap();
            verifier.verify_server_cert(&server, &[], &name, &[], UnixTime::now()).map(|_| ())
        };
        verify(Mode::VerifyFull, "ca.pem", "localhost").unwrap();
        verify(Mode::VerifyFull, "ca.pem", "127.0.0.1").unwrap();
        assert!(verify(Mode::VerifyFull, "ca.pem", "db.example").is_err());
        verify(Mode::VerifyCa, "ca.pem", "db.example").unwrap();
        assert!(verify(Mode::VerifyCa, "wrong-ca.pem", "localhost").is_err());
        assert!(verify(Mode::VerifyFull, "wrong-ca.pem", "localhost").is_err());
    }

    #[test]
    fn a_missing_ca_file_is_a_config_error() {
        let tls = Tls { mode: Mode::VerifyFull, ca_file: Some("/nonexistent/ca.pem".into()), prepare: true };
        let e = client_config(&tls).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(e.message().contains("/nonexistent/ca.pem"), "{}", e.message());
        client_config(&Tls { mode: Mode::VerifyCa, ca_file: None, prepare: true }).unwrap();
    }
}
