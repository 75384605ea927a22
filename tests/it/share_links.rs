//! App share links resolved by the guarded fetcher against a local redirect server that plays
//! a.aliexpress.com (host names pinned to 127.0.0.1; nothing leaves the machine).

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use linksmith::{
    domain::{codes::ErrorCode, link::LinkError},
    server::{
        sources::fetch::{FetchPolicy, GuardedFetcher},
        sources::share::resolve_app_share,
    },
};

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn hop(State(port): State<u16>, Path(code): Path<String>) -> Response {
    let ae = |host: &str, rest: &str| format!("http://{host}:{port}{rest}");
    match code.as_str() {
        // The usual shape: share link -> product page with the sharer's affiliate parameters.
        "_direct" => redirect(ae("aliexpress.com", "/item/1005006295880104.html?aff_fcid=abc&tt=CPS_NORMAL&aff_fsk=x&sk=_Dk43&aff_trace_key=t&terminal_id=9&afSmartRedirect=y")),
        // Two hops inside AliExpress, then the product.
        "_chain" => redirect(ae("a.aliexpress.com", "/_chain2")),
        "_chain2" => redirect(ae("star.aliexpress.com", "/share/share.htm?redirectUrl=https%3A%2F%2Faliexpress.ru%2Fitem%2F1005004325322975.html%3Fsk%3Dabc")),
        "_relative" => redirect("/_direct".into()),
        "_foreign" => redirect(ae("evil.test", "/item/1005006295880104.html")),
        "_ip" => redirect(format!("http://127.0.0.1:{port}/item/1005006295880104.html")),
        "_private" => redirect(ae("internal.aliexpress.com", "/_direct")),
        "_loop" => redirect(ae("a.aliexpress.com", "/_loop2")),
        "_loop2" => redirect(ae("a.aliexpress.com", "/_loop")),
        "_slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            redirect(ae("aliexpress.com", "/item/1005006295880104.html"))
        }
        "_javascript" => redirect("javascript:alert(1)".into()),
        "_nowhere" => (StatusCode::OK, "<html>a page that is not a product</html>").into_response(),
        "_gone" => StatusCode::NOT_FOUND.into_response(),
        c if c.starts_with("_hops") => {
            let n: u32 = c[5..].parse().unwrap_or(0);
            if n == 0 {
                redirect(ae("aliexpress.com", "/item/1005006295880104.html"))
            } else {
                redirect(ae("a.aliexpress.com", &format!("/_hops{}", n - 1)))
            }
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn fake_share_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/{code}", get(hop))
        .with_state(addr.port());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn fetcher() -> GuardedFetcher {
    let loopback = "127.0.0.1".parse().unwrap();
    let mut pinned = HashMap::new();
    for host in [
        "a.aliexpress.com",
        "aliexpress.com",
        "aliexpress.ru",
        "star.aliexpress.com",
        "evil.test",
    ] {
        pinned.insert(host.to_string(), loopback);
    }
    // A name of the site that resolves to a private address: must never be connected to.
    pinned.insert(
        "internal.aliexpress.com".to_string(),
        "10.255.255.1".parse().unwrap(),
    );
    GuardedFetcher::new(FetchPolicy {
        allow_loopback: true,
        pinned,
        ..FetchPolicy::default()
    })
}

pub(crate) async fn resolve(code: &str) -> Result<linksmith::domain::link::Link, LinkError> {
    let addr = fake_share_server().await;
    resolve_app_share(
        &fetcher(),
        &format!("http://a.aliexpress.com:{}/{code}", addr.port()),
    )
    .await
}

pub(crate) fn unresolved_reason(r: Result<linksmith::domain::link::Link, LinkError>) -> String {
    match r {
        Err(e @ LinkError::ShortLinkUnresolved { .. }) => {
            assert_eq!(e.code(), ErrorCode::ShortLinkUnresolved);
            e.to_string()
        }
        other => panic!("expected short_link_unresolved, got {other:?}"),
    }
}

#[tokio::test]
async fn share_link_lands_on_the_product_with_the_sharers_ids_removed() {
    let link = resolve("_direct").await.unwrap();
    assert_eq!(
        link.canonical_url,
        "https://aliexpress.com/item/1005006295880104.html"
    );
    assert!(link.foreign_affiliate);
    assert_eq!(
        link.removed_params,
        [
            "aff_fcid",
            "tt",
            "aff_fsk",
            "sk",
            "aff_trace_key",
            "terminal_id",
            "afSmartRedirect"
        ]
    );
}

#[tokio::test]
async fn redirect_chains_through_aliexpress_hosts_and_share_wrappers() {
    let link = resolve("_chain").await.unwrap();
    assert_eq!(
        link.canonical_url,
        "https://aliexpress.ru/item/1005004325322975.html"
    );
    assert!(link.foreign_affiliate);
    let link = resolve("_relative").await.unwrap();
    assert_eq!(link.product_id.as_deref(), Some("1005006295880104"));
}

#[tokio::test]
async fn five_hops_are_followed_and_a_sixth_is_refused() {
    assert!(resolve("_hops4").await.is_ok());
    let reason = unresolved_reason(resolve("_hops6").await);
    assert!(reason.contains("redirects more than 5 times"), "{reason}");
}

#[tokio::test]
async fn a_hop_to_a_foreign_host_is_refused_before_any_request() {
    let reason = unresolved_reason(resolve("_foreign").await);
    assert!(
        reason.contains("evil.test, which is not an AliExpress site"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_hop_to_an_ip_literal_is_refused() {
    let reason = unresolved_reason(resolve("_ip").await);
    assert!(reason.contains("IP address"), "{reason}");
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_never_connected_to() {
    let reason = unresolved_reason(resolve("_private").await);
    assert!(reason.contains("connection failed"), "{reason}");
}

#[tokio::test]
async fn a_redirect_loop_is_detected() {
    let reason = unresolved_reason(resolve("_loop").await);
    assert!(reason.contains("loop"), "{reason}");
}

#[tokio::test]
async fn odd_endings_are_clear_errors() {
    assert!(unresolved_reason(resolve("_javascript").await).contains("javascript: address"));
    assert!(unresolved_reason(resolve("_nowhere").await).contains("does not lead to a product"));
    assert!(unresolved_reason(resolve("_gone").await).contains("AliExpress answered HTTP 404"));
}
