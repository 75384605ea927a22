//! App share links (`a.aliexpress.com/_xxxx`): followed hop by hop by the guarded fetcher, then the
//! landing address is read by the link engine like any pasted link.

use std::time::Duration;

use url::Url;

use super::fetch::{GuardedFetcher, Hop};
use crate::domain::link::{read, Link, LinkError, Reading};

/// The whole resolution must finish within this time.
pub const SHARE_BUDGET: Duration = Duration::from_secs(3);

/// Follows an app share link to the page it shares and normalises that page's address (the sharer's
/// affiliate parameters on it are removed and reported).
pub async fn resolve_app_share(fetcher: &GuardedFetcher, short: &str) -> Result<Link, LinkError> {
    let unresolved = |reason: String| LinkError::ShortLinkUnresolved { reason };
    let first_hop = Url::parse(short)
        .map_err(|_| unresolved("the share link is not a valid address".into()))?;
    // Stop at the first hop the link engine can read as a page (no need to download it).
    let landed = fetcher
        .get(first_hop, SHARE_BUDGET, |next| {
            match read(landing_text(next).as_str()) {
                Ok(Reading::Link(_)) => Hop::Stop,
                _ => Hop::Follow,
            }
        })
        .await
        .map_err(|e| unresolved(e.to_string()))?;
    if !landed.status.is_success() && !landed.status.is_redirection() {
        return Err(unresolved(
            super::fetch::FetchError::Status {
                status: landed.status.as_u16(),
            }
            .to_string(),
        ));
    }
    match read(landing_text(&landed.url).as_str()) {
        Ok(Reading::Link(link)) => Ok(link),
        Ok(Reading::AppShare { .. }) => Err(unresolved(
            "it does not lead to a product, store or category page".into(),
        )),
        Err(err) => Err(err),
    }
}

/// The address as the link engine should see it: the fetcher already checked the host, and a port
/// (only ever seen on test servers) is not part of the page's identity.
fn landing_text(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_port(None);
    url.to_string()
}
