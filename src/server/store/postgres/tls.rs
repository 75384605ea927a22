//! How the store's connections to PostgreSQL are protected: `sslmode` and `sslrootcert` in
//! `LINKSMITH_DATABASE_URL`, read as libpq reads them, with rustls (the TLS stack reqwest already
//! uses) through tokio-postgres-rustls. tokio-postgres itself knows only `disable`, `prefer` and
//! `require`, and `prefer` quietly falls back to plain text, so Linksmith takes these two keys out
//! of the address before tokio-postgres reads it:
//!
//! - `disable`: plain text (a loopback database, a Unix socket, a private network);
//! - `allow`, `prefer`: refused at start with a sentence: they fall back to plain text unsaid;
//! - `require`: TLS; the certificate is not checked unless `sslrootcert` names a file, then its
//!   chain is (as libpq does);
//! - `verify-ca`: TLS, the certificate's chain checked against `sslrootcert` (a PEM file, or
//!   `system`; the system's roots when absent), not its name;
//! - `verify-full`: as `verify-ca`, and the certificate must name the host connected to.
//!
//! No `sslmode` at all means `disable` when every host is a loopback address or a Unix socket;
//! towards any other host it is refused: the operator says which.

use std::sync::Arc;

use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime},
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::{Host, SslMode};

use super::super::StoreError;

/// `sslmode`, as libpq names it (those Linksmith accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Disable,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// How connections are made: plain, or TLS with rustls.
#[derive(Clone)]
pub enum Tls {
    Plain,
    Rustls {
        mode: Mode,
        connector: tokio_postgres_rustls::MakeRustlsConnect,
    },
}

impl Tls {
    pub fn mode(&self) -> Mode {
        match self {
            Tls::Plain => Mode::Disable,
            Tls::Rustls { mode, .. } => *mode,
        }
    }
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sslmode={}", self.mode().as_str())
    }
}

/// The TLS keys taken out of an address, and the address without them.
#[derive(Debug, PartialEq, Eq)]
pub struct Split {
    pub rest: String,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` address (its query) or key=value
/// settings, leaving the rest as written.
pub fn split(address: &str) -> Split {
    let address = address.trim();
    let mut out = Split {
        rest: String::new(),
        sslmode: None,
        sslrootcert: None,
    };
    let url = address.starts_with("postgres://") || address.starts_with("postgresql://");
    if url {
        let Some((base, query)) = address.split_once('?') else {
            out.rest = address.to_string();
            return out;
        };
        let mut kept: Vec<&str> = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key).as_str() {
                "sslmode" => out.sslmode = Some(decode(value)),
                "sslrootcert" => out.sslrootcert = Some(decode(value)),
                _ => kept.push(pair),
            }
        }
        out.rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return out;
    }
    // key=value settings: a value is a word, or quoted with '...' (\' and \\ escaped).
    let bytes = address.as_bytes();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &address[start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let quoted = i < bytes.len() && bytes[i] == b'\'';
            if quoted {
                i += 1;
            }
            let mut from = i;
            while i < bytes.len() {
                let b = bytes[i];
                if b == b'\\' && i + 1 < bytes.len() {
                    value.push_str(&address[from..i]);
                    from = i + 1;
                    i += 2;
                    continue;
                }
                if (quoted && b == b'\'') || (!quoted && b.is_ascii_whitespace()) {
                    break;
                }
                i += 1;
            }
            value.push_str(&address[from..i.min(bytes.len())]);
            if quoted && i < bytes.len() {
                i += 1;
            }
        }
        match key {
            "sslmode" => out.sslmode = Some(value),
            "sslrootcert" => out.sslrootcert = Some(value),
            _ => kept.push(&address[start..i.min(bytes.len())]),
        }
    }
    out.rest = kept.join(" ");
    out
}

fn is_local(host: &Host) -> bool {
    match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

fn bad(problem: impl Into<String>) -> StoreError {
    StoreError::BadUrl(problem.into())
}

/// Reads the mode and makes the connector; `config` is tokio-postgres's reading of the rest (its
/// `ssl_mode` is set here: `Disable` for plain, `Require` for TLS).
pub fn settle(split: &Split, config: &mut tokio_postgres::Config) -> Result<Tls, StoreError> {
    let hosts = config.get_hosts();
    let local = !hosts.is_empty() && hosts.iter().all(is_local);
    let unix = hosts.iter().any(|h| matches!(h, Host::Unix(_)));
    let mode = match split.sslmode.as_deref().map(str::trim) {
        None if local => Mode::Disable,
        None => {
            return Err(bad(
                "names no sslmode for a database that is not on this machine: write \
                 sslmode=verify-full (TLS; the server's certificate and name are checked against \
                 the system's roots, or sslrootcert=<file>), or sslmode=disable on a private \
                 network you trust",
            ))
        }
        Some("disable") => Mode::Disable,
        Some(m @ ("allow" | "prefer")) => {
            return Err(bad(format!(
                "asks for sslmode={m}, which falls back to plain text without saying so: write \
                 sslmode=verify-full (or require) for TLS, or sslmode=disable for a database on \
                 loopback or a private network"
            )))
        }
        Some("require") => Mode::Require,
        Some("verify-ca") => Mode::VerifyCa,
        Some("verify-full") => Mode::VerifyFull,
        Some(other) => {
            return Err(bad(format!(
                "has sslmode \"{}\", which is not one of disable, require, verify-ca, verify-full",
                crate::server::store::printable(other)
            )))
        }
    };
    if mode == Mode::Disable {
        if split.sslrootcert.is_some() {
            return Err(bad(
                "names sslrootcert with sslmode=disable, so nothing would be checked: write \
                 sslmode=verify-full to use it, or leave sslrootcert out",
            ));
        }
        config.ssl_mode(SslMode::Disable);
        return Ok(Tls::Plain);
    }
    if unix {
        return Err(bad(format!(
            "asks for sslmode={} over a Unix socket, which PostgreSQL never encrypts: write \
             sslmode=disable for a socket, or name a TCP host",
            mode.as_str()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::BadUrl(format!("cannot set up TLS: {e}")))?;
    let client = match (mode, split.sslrootcert.as_deref()) {
        // libpq: require checks nothing unless a root certificate file is named.
        (Mode::Require, None) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        (Mode::Require | Mode::VerifyCa, roots) => {
            let roots = Arc::new(root_store(roots)?);
            let chain =
                rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| bad(format!("cannot check certificates: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
                .with_no_client_auth()
        }
        (_, roots) => builder
            .with_root_certificates(root_store(roots)?)
            .with_no_client_auth(),
    };
    config.ssl_mode(SslMode::Require);
    Ok(Tls::Rustls {
        mode,
        connector: tokio_postgres_rustls::MakeRustlsConnect::new(client),
    })
}

/// The certificates to trust: the PEM file `sslrootcert` names, or the system's (`system`, or
/// no `sslrootcert`).
fn root_store(sslrootcert: Option<&str>) -> Result<RootCertStore, StoreError> {
    let mut roots = RootCertStore::empty();
    match sslrootcert.map(str::trim) {
        None | Some("system") => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(bad(
                    "asks for the server's certificate to be checked, but this system has no \
                     root certificates (install ca-certificates), or name the authority that \
                     signed it with sslrootcert=<file>",
                ));
            }
        }
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|e| {
                    bad(format!(
                        "names sslrootcert={path}, which cannot be read as PEM certificates ({e})"
                    ))
                })?;
            if certs.is_empty() {
                return Err(bad(format!(
                    "names sslrootcert={path}, which holds no certificate"
                )));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    bad(format!(
                        "names sslrootcert={path}, which holds a certificate that cannot be used ({e})"
                    ))
                })?;
            }
        }
    }
    Ok(roots)
}

/// `verify-ca` (and `require` with `sslrootcert`): the chain is checked, the name is not.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // rustls checks the chain first, then the name: a wrong name means the chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require` without `sslrootcert` (libpq's meaning): encrypted against whoever answers; the
/// handshake's signatures are still checked, the certificate is not.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls error under a connection error, if TLS failed.
fn rustls_error(error: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if tls.is_some() {
            return tls;
        }
        source = e.source();
    }
    None
}

/// Whether the connection failed on TLS itself (a refused certificate, a server without TLS):
/// trying again will not help.
pub fn refused_by_tls(error: &tokio_postgres::Error) -> bool {
    rustls_error(error).is_some() || error.to_string().contains("server does not support TLS")
}

/// A connection error in words an operator can act on: a refused certificate says what to fix.
pub fn explain(error: &tokio_postgres::Error) -> String {
    if let Some(tls) = rustls_error(error) {
        return match tls {
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => format!(
                "the database's certificate does not name the host connected to ({tls}): \
                 connect by a name the certificate holds (sslmode=verify-full checks it)"
            ),
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => format!("the database's certificate has expired ({tls}): renew it"),
            rustls::Error::InvalidCertificate(_) => format!(
                "the database's certificate was not accepted ({tls}): sslrootcert must name \
                 the authority that signed it (without sslrootcert, the system's roots must \
                 hold it)"
            ),
            other => format!("the TLS handshake with the database failed ({other})"),
        };
    }
    let said = error.to_string();
    if said.contains("server does not support TLS") {
        return "the database does not accept TLS (ssl is off on the server): turn ssl on in \
                postgresql.conf, or use sslmode=disable on loopback or a private network"
            .into();
    }
    said
}

#[cfg(test)]
mod tests;
