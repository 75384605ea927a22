//! Adversarial pastes, shared by the hardening tests and the adversarial bench
//! (`benches/adversarial.rs` includes this file).

/// The shapes an attacker sends: one link drowned in closing brackets (the quadratic trim that
/// was), runs of `(`, `%`, `.`, invisible characters, nested share wrappers, parameter bombs,
/// scheme runs. Each is cut to `len` bytes.
pub fn shapes(len: usize) -> Vec<(&'static str, String)> {
    let fill = |prefix: &str, unit: &str| {
        let mut s = String::with_capacity(len + 8);
        s.push_str(prefix);
        while s.len() + unit.len() <= len {
            s.push_str(unit);
        }
        s
    };
    let wrapper = "https://star.aliexpress.com/share/share.htm?redirectUrl=";
    vec![
        (
            "closing brackets",
            fill("https://aliexpress.com/item/1.html", ")"),
        ),
        ("opening brackets", fill("", "(")),
        (
            "percent signs",
            fill("https://aliexpress.com/item/1005006295880104.html?a=", "%"),
        ),
        ("dots", fill("aliexpress.com", ".")),
        (
            "invisible characters",
            fill("https://aliexpress.com/item/1", "\u{200B}"),
        ),
        ("nested wrappers", fill("", wrapper)),
        (
            "parameter bomb",
            fill("https://aliexpress.com/item/1005006295880104.html?", "a=&"),
        ),
        ("schemes", fill("", "https://")),
        (
            "mixed brackets",
            fill("https://aliexpress.com/item/1.html", "]})"),
        ),
        (
            "many links",
            fill("", "aliexpress.com/item/1005006295880104.html "),
        ),
        // Links whose host is one 4 KiB punycode label (decoding one is quadratic in its length).
        (
            "long punycode labels",
            fill("", &format!("https://xn--{}.com/ ", "liexpbn".repeat(580))),
        ),
    ]
}
