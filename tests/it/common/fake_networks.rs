//! Local fakes of ePN and Admitad speaking their documented shapes (../shared/docs/status-sources.md):
//! ePN's ssid, token and refresh steps, `X-API-VERSION: 2`, `X-ACCESS-TOKEN` and checkLink;
//! Admitad's Basic-auth token and Bearer commission_rates with many links per call. Loopback only.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Json, Router,
};
use base64::Engine;
use serde_json::{json, Value};

/// How a fake misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    None,
    /// Every call answers HTTP 500.
    Http500,
    /// Every call answers a page that is not JSON.
    Garbage,
    /// Every call waits 30 s.
    Hang,
    /// ePN: every link check answers 429 with a captcha.
    Captcha,
    /// Every call answers normally after this many milliseconds (a distant upstream).
    Delay(u64),
}

fn product_id(link: &str) -> Option<String> {
    let at = link.find("/item/")? + 6;
    let rest = &link[at..];
    let end = rest.find(".html")?;
    Some(rest[..end].to_string())
}

async fn misbehave(mode: Misbehave) -> Option<Response> {
    match mode {
        Misbehave::None | Misbehave::Captcha => None,
        Misbehave::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
        Misbehave::Http500 => {
            Some((StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response())
        }
        Misbehave::Garbage => Some((StatusCode::OK, "<html>maintenance</html>").into_response()),
        Misbehave::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            None
        }
    }
}

// ---------------------------------------------------------------- ePN

pub struct EpnState {
    pub client_id: String,
    pub client_secret: String,
    pub mode: Mutex<Misbehave>,
    /// checkLink attributes by product id; an unknown id answers affiliateType 0.
    pub products: Mutex<HashMap<String, Value>>,
    ssids: Mutex<HashSet<String>>,
    access: Mutex<HashSet<String>>,
    refresh: Mutex<HashSet<String>>,
    issued: AtomicUsize,
    /// The length of the access and refresh tokens it issues (0: short ones); a JWT signed with
    /// RS256 is several hundred characters.
    pub token_length: AtomicUsize,
    pub ssid_calls: AtomicUsize,
    pub token_calls: AtomicUsize,
    pub refresh_calls: AtomicUsize,
    pub check_calls: AtomicUsize,
    /// When each link check came (the calls a minute, as the network counts them).
    pub check_times: Mutex<Vec<std::time::Instant>>,
    /// Link checks a minute past which the fake answers 429 with a captcha, as ePN does.
    pub limit_per_minute: Mutex<Option<usize>>,
    /// Product ids whose link ePN refuses (400, `result: false`: a link it cannot read).
    pub refused: Mutex<HashSet<String>>,
}

pub struct FakeEpn {
    pub addr: SocketAddr,
    pub state: Arc<EpnState>,
}

impl FakeEpn {
    pub fn api_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/api", self.addr)).unwrap()
    }
    pub fn oauth_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/oauth", self.addr)).unwrap()
    }
    pub fn add(&self, id: &str, attributes: Value) {
        self.state
            .products
            .lock()
            .unwrap()
            .insert(id.into(), attributes);
    }
    pub fn set_mode(&self, mode: Misbehave) {
        *self.state.mode.lock().unwrap() = mode;
    }
    /// Whether `token` is an access token it issued and still accepts (compared byte for byte).
    pub fn accepts_access(&self, token: &str) -> bool {
        self.state.access.lock().unwrap().contains(token)
    }
    /// Every access token issued so far stops working (it "expired").
    pub fn expire_access_tokens(&self) {
        self.state.access.lock().unwrap().clear();
    }
    /// Every access and refresh token stops working: only a new login helps.
    pub fn revoke_all(&self) {
        self.state.access.lock().unwrap().clear();
        self.state.refresh.lock().unwrap().clear();
    }
    pub fn count(c: &AtomicUsize) -> usize {
        c.load(Ordering::SeqCst)
    }
}

fn epn_error(status: StatusCode, code: u32, description: &str) -> Response {
    (
        status,
        Json(
            json!({"result": false, "errors": [{"error": code, "error_description": description}]}),
        ),
    )
        .into_response()
}

fn versioned(headers: &HeaderMap) -> bool {
    headers.get("x-api-version").and_then(|v| v.to_str().ok()) == Some("2")
}

impl EpnState {
    fn issue(&self) -> Value {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let length = self.token_length.load(Ordering::SeqCst);
        // A long token looks like a JWT: base64url parts joined by dots, to the length asked.
        let pad = |token: String| {
            let fill = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.Q2xhaW1z_-0123456789";
            let mut t = token;
            while t.len() < length {
                let c = fill.as_bytes()[t.len() % fill.len()] as char;
                t.push(c);
            }
            t
        };
        let (access, refresh) = (
            pad(format!("epn-access-{n}.")),
            pad(format!("epn-refresh-{n}.")),
        );
        self.access.lock().unwrap().insert(access.clone());
        self.refresh.lock().unwrap().insert(refresh.clone());
        json!({"data": {"type": "token", "attributes": {"access_token": access, "refresh_token": refresh, "expires_in": 86400}}})
    }
}

async fn epn_ssid(
    State(s): State<Arc<EpnState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = s.ssid_calls.fetch_add(1, Ordering::SeqCst) + 1;
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    if !versioned(&headers) {
        return epn_error(
            StatusCode::BAD_REQUEST,
            400001,
            "X-API-VERSION: 2 is required",
        );
    }
    if q.get("client_id") != Some(&s.client_id) {
        return epn_error(StatusCode::BAD_REQUEST, 400003, "unknown client_id");
    }
    let ssid = format!("ssid-{n}");
    s.ssids.lock().unwrap().insert(ssid.clone());
    Json(json!({"data": {"type": "ssid", "attributes": {"ssid_token": ssid}}})).into_response()
}

async fn epn_token(
    State(s): State<Arc<EpnState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    s.token_calls.fetch_add(1, Ordering::SeqCst);
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    if !versioned(&headers) {
        return epn_error(
            StatusCode::BAD_REQUEST,
            400001,
            "X-API-VERSION: 2 is required",
        );
    }
    let ssid_ok = body["ssid_token"]
        .as_str()
        .is_some_and(|t| s.ssids.lock().unwrap().remove(t));
    if body["grant_type"] != "client_credential"
        || body["client_id"] != s.client_id.as_str()
        || body["client_secret"] != s.client_secret.as_str()
        || !ssid_ok
    {
        return epn_error(StatusCode::UNAUTHORIZED, 401001, "bad credentials or ssid");
    }
    Json(s.issue()).into_response()
}

async fn epn_refresh(
    State(s): State<Arc<EpnState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    s.refresh_calls.fetch_add(1, Ordering::SeqCst);
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    if !versioned(&headers) {
        return epn_error(
            StatusCode::BAD_REQUEST,
            400001,
            "X-API-VERSION: 2 is required",
        );
    }
    let ok = body["grant_type"] == "refresh_token"
        && body["client_id"] == s.client_id.as_str()
        && body["refresh_token"]
            .as_str()
            .is_some_and(|t| s.refresh.lock().unwrap().remove(t));
    if !ok {
        return epn_error(StatusCode::UNAUTHORIZED, 401002, "bad refresh token");
    }
    Json(s.issue()).into_response()
}

async fn epn_check(
    State(s): State<Arc<EpnState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.check_calls.fetch_add(1, Ordering::SeqCst);
    let over_limit = {
        let now = std::time::Instant::now();
        let mut times = s.check_times.lock().unwrap();
        times.push(now);
        let limit = *s.limit_per_minute.lock().unwrap();
        limit.is_some_and(|max| {
            times
                .iter()
                .rev()
                .take_while(|t| now.duration_since(**t) < Duration::from_secs(60))
                .count()
                > max
        })
    };
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    if mode == Misbehave::Captcha || over_limit {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"result": false, "errors": [{"error": 429001, "error_description": "Too many requests", "captcha": {"captcha_id": "c1", "captcha_url": "https://example.invalid/c.png"}}]})),
        )
            .into_response();
    }
    if !versioned(&headers) {
        return epn_error(
            StatusCode::BAD_REQUEST,
            400001,
            "X-API-VERSION: 2 is required",
        );
    }
    let token_ok = headers
        .get("x-access-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| s.access.lock().unwrap().contains(t));
    if !token_ok {
        return epn_error(StatusCode::UNAUTHORIZED, 401003, "token expired");
    }
    let Some(link) = q.get("link") else {
        return epn_error(StatusCode::BAD_REQUEST, 400010, "link is required");
    };
    if product_id(link).is_some_and(|id| s.refused.lock().unwrap().contains(&id)) {
        return epn_error(StatusCode::BAD_REQUEST, 400015, "link is not valid");
    }
    let attributes = product_id(link)
        .and_then(|id| s.products.lock().unwrap().get(&id).cloned())
        .unwrap_or_else(|| json!({"isHotsale": false, "affiliateType": 0, "maxRate": 0, "offerName": "AliExpress"}));
    Json(json!({"result": true, "request": {"link": link}, "data": {"type": "checkLink", "id": "1", "attributes": attributes}})).into_response()
}

pub async fn start_epn(client_id: &str, client_secret: &str) -> FakeEpn {
    start_epn_at("127.0.0.1:0", client_id, client_secret).await
}

/// Starts the ePN fake on `addr` (the end-to-end tests' fixed port).
pub async fn start_epn_at(addr: &str, client_id: &str, client_secret: &str) -> FakeEpn {
    let state = Arc::new(EpnState {
        client_id: client_id.into(),
        client_secret: client_secret.into(),
        mode: Mutex::new(Misbehave::None),
        products: Mutex::default(),
        ssids: Mutex::default(),
        access: Mutex::default(),
        refresh: Mutex::default(),
        issued: AtomicUsize::new(0),
        token_length: AtomicUsize::new(0),
        ssid_calls: AtomicUsize::new(0),
        token_calls: AtomicUsize::new(0),
        refresh_calls: AtomicUsize::new(0),
        check_calls: AtomicUsize::new(0),
        check_times: Mutex::new(Vec::new()),
        limit_per_minute: Mutex::new(None),
        refused: Mutex::new(HashSet::new()),
    });
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/oauth/ssid", get(epn_ssid))
        .route("/oauth/token", post(epn_token))
        .route("/oauth/token/refresh", post(epn_refresh))
        .route("/api/affiliate/checkLink", get(epn_check))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeEpn { addr, state }
}

// ---------------------------------------------------------------- Admitad

pub struct AdmitadState {
    pub client_id: String,
    pub client_secret: String,
    pub mode: Mutex<Misbehave>,
    /// Entries by product id (`commission_rate`, `hot_commission_rate`, `is_hot`, `product_name`);
    /// an unknown id answers all null.
    pub products: Mutex<HashMap<String, Value>>,
    /// Seconds a token lives.
    pub token_lifetime: Mutex<u64>,
    tokens: Mutex<HashMap<String, std::time::Instant>>,
    issued: AtomicUsize,
    pub token_calls: AtomicUsize,
    pub rate_calls: AtomicUsize,
    /// When each commission_rates call came.
    pub rate_times: Mutex<Vec<std::time::Instant>>,
    /// The number of links in each rates call.
    pub batch_sizes: Mutex<Vec<usize>>,
}

pub struct FakeAdmitad {
    pub addr: SocketAddr,
    pub state: Arc<AdmitadState>,
}

impl FakeAdmitad {
    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).unwrap()
    }
    pub fn add(&self, id: &str, entry: Value) {
        self.state.products.lock().unwrap().insert(id.into(), entry);
    }
    pub fn set_mode(&self, mode: Misbehave) {
        *self.state.mode.lock().unwrap() = mode;
    }
    pub fn revoke_tokens(&self) {
        self.state.tokens.lock().unwrap().clear();
    }
}

async fn admitad_token(
    State(s): State<Arc<AdmitadState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    s.token_calls.fetch_add(1, Ordering::SeqCst);
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", s.client_id, s.client_secret))
    );
    let basic_ok =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    if !basic_ok
        || form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id") != Some(&s.client_id)
        || !form
            .get("scope")
            .is_some_and(|sc| sc.split(' ').any(|x| x == "aliexpress_commission"))
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_client", "error_description": "Client authentication failed"})),
        )
            .into_response();
    }
    let n = s.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("admitad-{n}");
    let lifetime = *s.token_lifetime.lock().unwrap();
    s.tokens.lock().unwrap().insert(
        token.clone(),
        std::time::Instant::now() + Duration::from_secs(lifetime),
    );
    Json(json!({"access_token": token, "token_type": "bearer", "expires_in": lifetime, "refresh_token": format!("r-{n}"), "scope": "aliexpress_commission"})).into_response()
}

async fn admitad_rates(
    State(s): State<Arc<AdmitadState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    s.rate_calls.fetch_add(1, Ordering::SeqCst);
    s.rate_times.lock().unwrap().push(std::time::Instant::now());
    let mode = *s.mode.lock().unwrap();
    if let Some(r) = misbehave(mode).await {
        return r;
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let valid = token.is_some_and(|t| {
        s.tokens
            .lock()
            .unwrap()
            .get(&t)
            .is_some_and(|until| std::time::Instant::now() < *until)
    });
    if !valid {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token"})),
        )
            .into_response();
    }
    let Some(urls) = body["urls"].as_array() else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "urls is required"})),
        )
            .into_response();
    };
    s.batch_sizes.lock().unwrap().push(urls.len());
    let products = s.products.lock().unwrap();
    let rates: Vec<Value> = urls
        .iter()
        .map(|u| {
            let url = u.as_str().unwrap_or("");
            let mut entry = product_id(url)
                .and_then(|id| products.get(&id).cloned())
                .unwrap_or_else(|| json!({"product_name": null, "commission_rate": null, "hot_commission_rate": null, "is_hot": null}));
            entry["url"] = json!(url);
            entry
        })
        .collect();
    Json(json!({ "commission_rates": rates })).into_response()
}

pub async fn start_admitad(client_id: &str, client_secret: &str) -> FakeAdmitad {
    start_admitad_at("127.0.0.1:0", client_id, client_secret).await
}

/// Starts the Admitad fake on `addr`.
pub async fn start_admitad_at(addr: &str, client_id: &str, client_secret: &str) -> FakeAdmitad {
    let state = Arc::new(AdmitadState {
        client_id: client_id.into(),
        client_secret: client_secret.into(),
        mode: Mutex::new(Misbehave::None),
        products: Mutex::default(),
        token_lifetime: Mutex::new(3600),
        tokens: Mutex::default(),
        issued: AtomicUsize::new(0),
        token_calls: AtomicUsize::new(0),
        rate_calls: AtomicUsize::new(0),
        rate_times: Mutex::new(Vec::new()),
        batch_sizes: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/token/", post(admitad_token))
        .route("/aliexpress/commission_rates/", post(admitad_rates))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeAdmitad { addr, state }
}

/// The ePN client id and secret the fakes started by the tests accept.
pub const EPN_ID: &str = "epn-client";
pub const EPN_SECRET: &str = "epn-secret-never-printed";
/// Admitad's.
pub const ADMITAD_ID: &str = "admitad-client";
pub const ADMITAD_SECRET: &str = "admitad-secret-never-printed";

impl FakeEpn {
    /// The production ePN client, pointed at this fake with its credentials.
    pub fn client(
        &self,
        store: linksmith::server::store::SharedStore,
        timeout: std::time::Duration,
    ) -> linksmith::server::sources::networks::epn::Epn {
        use linksmith::server::{sources::networks::epn::EpnConfig, sources::Secret};
        linksmith::server::sources::networks::epn::Epn::new(
            EpnConfig {
                api: self.api_url(),
                oauth: self.oauth_url(),
                client_id: EPN_ID.into(),
                client_secret: Secret::new(EPN_SECRET),
            },
            store,
            timeout,
        )
    }
}

impl FakeAdmitad {
    /// The production Admitad client, pointed at this fake with its credentials.
    pub fn client(
        &self,
        timeout: std::time::Duration,
    ) -> linksmith::server::sources::networks::admitad::Admitad {
        use linksmith::server::{sources::networks::admitad::AdmitadConfig, sources::Secret};
        linksmith::server::sources::networks::admitad::Admitad::new(
            AdmitadConfig {
                api: self.url(),
                client_id: ADMITAD_ID.into(),
                client_secret: Secret::new(ADMITAD_SECRET),
            },
            timeout,
        )
    }
}
