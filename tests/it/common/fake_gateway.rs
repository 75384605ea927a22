//! A fake AliExpress Open Platform gateway on 127.0.0.1: verifies every request's signature as
//! the platform does and answers in the platform's shapes. Tests switch its behaviour.

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
    Form, Router,
};
use linksmith::server::sources::open_platform::{sign, MAX_IDS_PER_CALL, METHOD};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// `products.product[]`
    Wrapped,
    /// `products[]`
    Flat,
    Hang,
    Http500,
    Garbage,
    Truncated,
    /// Starts a chunked answer, then drops the connection mid-response.
    Reset,
    ApiCallLimit,
    /// Answers normally after this many milliseconds (a slow upstream).
    Delay(u64),
    /// Every n-th call answers HTTP 500; the others answer normally (a flaky upstream).
    Flaky(usize),
    /// Answers 3 MB of JSON (a hostile or broken upstream).
    Huge,
}

impl Mode {
    /// Reads a mode from its name: `wrapped`, `flat`, `hang`, `500`, `garbage`, `truncated`,
    /// `reset`, `limit`, `delay:<ms>`, `flaky:<n>`.
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "wrapped" => Mode::Wrapped,
            "flat" => Mode::Flat,
            "hang" => Mode::Hang,
            "500" => Mode::Http500,
            "garbage" => Mode::Garbage,
            "truncated" => Mode::Truncated,
            "reset" => Mode::Reset,
            "limit" => Mode::ApiCallLimit,
            _ => match s.split_once(':')? {
                ("delay", ms) => Mode::Delay(ms.parse().ok()?),
                ("flaky", n) => Mode::Flaky(n.parse().ok().filter(|n| *n > 0)?),
                _ => return None,
            },
        })
    }
}

#[derive(Debug, Clone)]
pub struct FakeProduct {
    pub commission: &'static str,
    pub hot: Option<&'static str>,
    pub title: &'static str,
    pub category: &'static str,
}

pub struct Gateway {
    pub app_key: String,
    pub secret: String,
    pub mode: Mutex<Mode>,
    pub products: Mutex<HashMap<String, FakeProduct>>,
    pub calls: AtomicUsize,
    /// When each call came.
    pub call_times: Mutex<Vec<std::time::Instant>>,
    /// Answered for any id not in `products` (a programme as large as the platform's).
    pub any_product: Mutex<Option<FakeProduct>>,
    pub last_params: Mutex<BTreeMap<String, String>>,
    /// Products answered exactly as given (the platform's field names and value shapes), by id.
    pub raw: Mutex<HashMap<String, Value>>,
}

pub struct FakeGateway {
    pub addr: SocketAddr,
    pub state: Arc<Gateway>,
}

impl FakeGateway {
    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/sync", self.addr)).unwrap()
    }
    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }
    /// Puts a product in the gateway's programme.
    pub fn add(&self, id: &str, product: FakeProduct) {
        self.state
            .products
            .lock()
            .unwrap()
            .insert(id.to_string(), product);
    }

    /// Takes a product out of the programme (the gateway answers as for an id it never knew).
    pub fn remove(&self, id: &str) {
        self.state.products.lock().unwrap().remove(id);
        self.state.raw.lock().unwrap().remove(id);
    }

    /// Puts a product in the programme answered with exactly these fields (`product_id` added).
    pub fn add_raw(&self, id: &str, mut product: Value) {
        product["product_id"] = json!(id.parse::<u64>().unwrap_or_default());
        self.state
            .raw
            .lock()
            .unwrap()
            .insert(id.to_string(), product);
    }

    /// The two products most tests use: an affiliate cable at 7%, a hot-sale lamp at 12.5%.
    pub fn add_standard_products(&self) {
        self.add(
            "1005006295880104",
            FakeProduct {
                commission: "7.0%",
                hot: None,
                title: "USB-C cable",
                category: "Phones & Telecommunications",
            },
        );
        self.add(
            "1005005248414510",
            FakeProduct {
                commission: "5.0%",
                hot: Some("12.5%"),
                title: "Desk lamp",
                category: "Lights & Lighting",
            },
        );
    }

    /// Every id the gateway does not know answers as `product` from now on.
    pub fn answer_any_id_with(&self, product: FakeProduct) {
        *self.state.any_product.lock().unwrap() = Some(product);
    }

    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }
}

fn error_response(code: &str, msg: &str) -> Response {
    (StatusCode::OK, axum::Json(json!({"error_response": {"type": "ISV", "code": code, "msg": msg, "request_id": "fake-1"}}))).into_response()
}

async fn sync(
    State(gw): State<Arc<Gateway>>,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    let call = gw.calls.fetch_add(1, Ordering::SeqCst) + 1;
    gw.call_times
        .lock()
        .unwrap()
        .push(std::time::Instant::now());
    *gw.last_params.lock().unwrap() = params.clone();
    let mode = *gw.mode.lock().unwrap();
    match mode {
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Mode::Http500 => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response()
        }
        Mode::Garbage => return (StatusCode::OK, "<html>not json</html>").into_response(),
        Mode::Huge => {
            let padding = "x".repeat(3 * 1024 * 1024);
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                format!("{{\"padding\": \"{padding}\"}}"),
            )
                .into_response();
        }
        Mode::Delay(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Mode::Flaky(n) if call % n == 0 => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response()
        }
        _ => {}
    }
    // The platform's checks, in its order: required parameters, key, signature, limits.
    for required in [
        "app_key",
        "method",
        "timestamp",
        "sign_method",
        "sign",
        "format",
        "product_ids",
    ] {
        if !params.contains_key(required) {
            return error_response(
                "MissingParameter",
                &format!("Missing required parameter: {required}"),
            );
        }
    }
    if params["app_key"] != gw.app_key {
        return error_response("InvalidAppKey", "Invalid app key");
    }
    if params["sign_method"] != "sha256" || params["sign"] != sign(&gw.secret, &params) {
        return error_response(
            "IncompleteSignature",
            "The request signature does not conform to platform standards",
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i128;
    match params["timestamp"].parse::<i128>() {
        Ok(ts) if (now - ts).abs() < 15 * 60 * 1000 => {}
        _ => return error_response("InvalidTimestamp", "Invalid timestamp"),
    }
    if params["method"] != METHOD {
        return error_response("InvalidMethod", "Invalid method");
    }
    if mode == Mode::ApiCallLimit {
        return error_response("ApiCallLimit", "The request has exceeded the call limit");
    }
    let ids: Vec<&str> = params["product_ids"].split(',').collect();
    if ids.len() > MAX_IDS_PER_CALL {
        return error_response("InvalidParameter", "product_ids: at most 20");
    }
    let catalogue = gw.products.lock().unwrap();
    let raw = gw.raw.lock().unwrap();
    let any = gw.any_product.lock().unwrap().clone();
    let found: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            if let Some(p) = raw.get(*id) {
                return Some(p.clone());
            }
            let p = catalogue.get(*id).or(any.as_ref())?;
            let mut v = json!({
                "product_id": id.parse::<u64>().ok()?,
                "commission_rate": p.commission,
                "product_title": p.title,
                "product_main_image_url": format!("https://ae01.alicdn.com/kf/{id}.jpg"),
                "first_level_category_name": p.category,
                "shop_id": 912345678,
                "target_sale_price": "12.34",
                "target_sale_price_currency": "USD",
            });
            if let Some(hot) = p.hot {
                v["hot_product_commission_rate"] = json!(hot);
            }
            Some(v)
        })
        .collect();
    let result = if found.is_empty() {
        json!({"resp_code": 405, "resp_msg": "The result is empty"})
    } else {
        let products = if mode == Mode::Flat {
            json!(found)
        } else {
            json!({"product": found})
        };
        json!({"resp_code": 200, "resp_msg": "Call succeeds", "result": {"current_record_count": found.len(), "products": products}})
    };
    let body = json!({"aliexpress_affiliate_productdetail_get_response": {"resp_result": result, "request_id": "fake-2"}}).to_string();
    if mode == Mode::Reset {
        let half = body[..body.len() / 2].to_string();
        let parts: Vec<Result<String, std::io::Error>> = vec![
            Ok(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "fake gateway drops the connection",
            )),
        ];
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            axum::body::Body::from_stream(futures::stream::iter(parts)),
        )
            .into_response();
    }
    if mode == Mode::Truncated {
        return (StatusCode::OK, body[..body.len() / 2].to_string()).into_response();
    }
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

pub async fn start(app_key: &str, secret: &str) -> FakeGateway {
    start_at("127.0.0.1:0", app_key, secret).await
}

/// Starts the gateway on `addr` (the end-to-end tests' fixed port; `:0` for any free one).
pub async fn start_at(addr: &str, app_key: &str, secret: &str) -> FakeGateway {
    let state = Arc::new(Gateway {
        app_key: app_key.to_string(),
        secret: secret.to_string(),
        mode: Mutex::new(Mode::Wrapped),
        products: Mutex::new(HashMap::new()),
        calls: AtomicUsize::new(0),
        call_times: Mutex::new(Vec::new()),
        any_product: Mutex::new(None),
        last_params: Mutex::new(BTreeMap::new()),
        raw: Mutex::new(HashMap::new()),
    });
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/sync", post(sync))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeGateway { addr, state }
}
