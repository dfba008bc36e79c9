//! The one `SdkConfig` every AWS client of a function is built from, and the HTTPS
//! client they share.
//!
//! TLS is rustls with ring: a smaller binary than aws-lc and no C toolchain in the
//! cross build (BENCHMARKS.md has the sizes). The trust store holds only the roots that
//! AWS endpoints chain to, the five Amazon Trust Services roots
//! (`certs/amazon-trust-services.pem`), instead of loading the system's whole bundle
//! at every cold start, which was most of the SDK's init time.
//!
//! The risk, accepted knowingly: an endpoint whose certificate chains to any other root
//! is refused. Every public AWS endpoint in the commercial partitions chains to these;
//! a China or GovCloud partition, or a TLS-inspecting proxy, needs its root added
//! through `EXTRA_CA_BUNDLE` (a PEM file), which is also how a test endpoint with a
//! self-signed certificate is trusted. With ring there is no post-quantum key exchange
//! (aws-lc offers X25519MLKEM768); the connections still use TLS 1.3 with X25519.
//!
//! Region, credentials and endpoints come from the environment only, not through
//! `aws_config::defaults`: Lambda hands every function its region and its role's
//! credentials as environment variables, and the default chains (profile files, SSO,
//! STS web identity, ECS, IMDS) would only add about 600 KiB to each binary, of code
//! that never runs there, and read `~/.aws` files at every cold start. The local stack and the tests
//! set the same variables (`scripts/aws-env.sh`).

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{SharedCredentialsProvider, SharedHttpClient};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::error::{AppError, Result};

/// The roots of Amazon Trust Services: Amazon Root CA 1–4 and Starfield Services
/// Root Certificate Authority G2 (which cross-signs them for older clients).
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// Names a PEM file of certificates trusted beside Amazon's roots.
pub const EXTRA_CA_BUNDLE: &str = "EXTRA_CA_BUNDLE";

/// Reads the standard AWS settings (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL_*`) and
/// `EXTRA_CA_BUNDLE` from the environment.
pub async fn load() -> Result<SdkConfig> {
    let extra = match std::env::var_os(EXTRA_CA_BUNDLE) {
        Some(path) => Some(std::fs::read(&path).map_err(|e| {
            AppError::internal(format!("{EXTRA_CA_BUNDLE} ({}) cannot be read: {e}", path.to_string_lossy()))
        })?),
        None => None,
    };
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(environment)
        .ok_or_else(|| AppError::internal("AWS_REGION is not set"))?;
    Ok(SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        .http_client(https_client(extra.as_deref())?)
        .service_config(EnvironmentEndpoints)
        .build())
}

/// `AWS_ENDPOINT_URL_<SERVICE>` (the service id in capitals, spaces as `_`), else
/// `AWS_ENDPOINT_URL`: the same names the SDK's own loader reads.
#[derive(Debug)]
struct EnvironmentEndpoints;

impl LoadServiceConfig for EnvironmentEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        [format!("{}_{service}", key.env()), key.env().to_string()]
            .into_iter()
            .find_map(|name| environment(&name))
    }
}

/// A variable of the process's environment; set but empty counts as unset.
fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The HTTPS client: rustls with ring, trusting Amazon's roots and `extra_pem`.
pub fn https_client(extra_pem: Option<&[u8]>) -> Result<SharedHttpClient> {
    let mut trust = TrustStore::empty().with_native_roots(false);
    for pem in std::iter::once(AMAZON_ROOTS).chain(extra_pem) {
        // The client would panic on a bad certificate when it first connects; refusing
        // it here turns that into an init error that names the cause.
        certificates(pem)?;
        trust.add_pem_certificate(pem);
    }
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| AppError::internal(format!("TLS settings: {e}")))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

/// The certificates in a PEM bundle, each checked to be one a trust store can hold.
fn certificates(pem: &[u8]) -> Result<usize> {
    let invalid = |why: String| AppError::internal(format!("a trusted certificate bundle is invalid: {why}"));
    let mut count = 0;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|e| invalid(e.to_string()))?;
        webpki::anchor_from_trusted_cert(&certificate).map_err(|e| invalid(e.to_string()))?;
        count += 1;
    }
    if count == 0 {
        return Err(invalid("it holds no certificate".into()));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The endpoint `EnvironmentEndpoints` gives a service, under variable names no
    /// other test sets (the tests share the process's environment).
    fn endpoint(service_id: &str, env: &str) -> Option<String> {
        let key = ServiceConfigKey::builder().service_id(service_id).env(env).profile("endpoint_url").build();
        EnvironmentEndpoints.load_config(key.expect("a complete key"))
    }

    #[test]
    fn a_service_endpoint_variable_wins_over_the_general_one() {
        std::env::set_var("PARTNER_HUB_TEST_A_URL", "http://general");
        std::env::set_var("PARTNER_HUB_TEST_A_URL_DYNAMODB_STREAMS", "http://streams");
        assert_eq!(endpoint("DynamoDB Streams", "PARTNER_HUB_TEST_A_URL").as_deref(), Some("http://streams"));
        assert_eq!(endpoint("SESv2", "PARTNER_HUB_TEST_A_URL").as_deref(), Some("http://general"));
    }

    #[test]
    fn an_empty_endpoint_variable_counts_as_unset() {
        std::env::set_var("PARTNER_HUB_TEST_B_URL_S3", "");
        assert_eq!(endpoint("S3", "PARTNER_HUB_TEST_B_URL"), None);
        std::env::set_var("PARTNER_HUB_TEST_B_URL", "http://general");
        assert_eq!(endpoint("S3", "PARTNER_HUB_TEST_B_URL").as_deref(), Some("http://general"));
    }

    #[test]
    fn the_trust_store_is_amazon_trust_services_five_roots() {
        assert_eq!(certificates(AMAZON_ROOTS).unwrap(), 5);
    }

    #[test]
    fn a_bundle_without_certificates_or_with_a_broken_one_is_refused() {
        assert!(https_client(Some(b"not a certificate")).is_err());
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(https_client(Some(broken)).is_err());
        assert!(https_client(None).is_ok());
        assert!(https_client(Some(AMAZON_ROOTS)).is_ok());
    }
}
