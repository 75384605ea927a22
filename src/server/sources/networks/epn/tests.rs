use super::*;

fn answer(attributes: Value) -> Value {
    json!({"result": true, "request": {"link": "x"}, "data": {"type": "checkLink", "id": "1", "attributes": attributes}})
}

/// The mapping, as a table: ePN's attributes -> (status, regular rate, hot rate), or unknown.
type Row = (Value, Option<(Status, Option<f64>, Option<f64>)>);

#[test]
fn check_link_answers_map_onto_the_programme() {
    let rows: Vec<Row> = vec![
        (
            json!({"isHotsale": true, "affiliateType": 1, "maxRate": 40.0}),
            Some((Status::HotSale, None, Some(40.0))),
        ),
        (
            json!({"isHotsale": false, "affiliateType": 1, "maxRate": 7.0}),
            Some((Status::Affiliate, Some(7.0), None)),
        ),
        (
            json!({"affiliateType": 3, "maxRate": "5.5"}),
            Some((Status::Affiliate, Some(5.5), None)),
        ),
        (
            json!({"isHotsale": "true", "affiliateType": "1", "maxRate": "12%"}),
            Some((Status::HotSale, None, Some(12.0))),
        ),
        (
            json!({"isHotsale": false, "affiliateType": 2, "maxRate": 0}),
            Some((Status::NonAffiliate, None, None)),
        ),
        (
            json!({"isHotsale": true, "affiliateType": 2}),
            Some((Status::NonAffiliate, None, None)),
        ),
        (
            json!({"isHotsale": false, "affiliateType": 0, "maxRate": 7.0}),
            None,
        ),
        (json!({"isHotsale": true, "maxRate": 40.0}), None),
        (json!({"affiliateType": null}), None),
        (json!({"affiliateType": [1]}), None),
        (
            json!({"affiliateType": 1, "maxRate": "a lot"}),
            Some((Status::Affiliate, None, None)),
        ),
        (
            json!({"affiliateType": 1, "maxRate": 250}),
            Some((Status::Affiliate, None, None)),
        ),
        (json!({}), None),
    ];
    for (attributes, want) in rows {
        let got = facts_of(&answer(attributes.clone()))
            .map(|f| (f.status, f.exact_percent, f.hot_percent));
        assert_eq!(got, want, "{attributes}");
    }
    assert_eq!(facts_of(&json!({"result": true})), None);
    assert_eq!(facts_of(&json!([1, 2])), None);
    let f = facts_of(&answer(
        json!({"affiliateType": 1, "productName": " Lamp ", "productImage": "javascript:alert(1)"}),
    ))
    .unwrap();
    assert_eq!((f.title.as_deref(), f.image_url), (Some("Lamp"), None));
}

#[test]
fn tokens_and_errors_are_read_from_either_shape() {
    let t = tokens_of(&json!({"data": {"attributes": {"access_token": "a", "refresh_token": "r", "token_expired_at": 1_900_000_000}}}), 1_800_000_000).unwrap().unwrap();
    assert_eq!(t.expires_at, Some(1_900_000_000));
    let t = tokens_of(&json!({"data": {"attributes": {"access_token": "a", "refresh_token": "r", "expires_in": 86400}}}), 1_800_000_000).unwrap().unwrap();
    assert_eq!(t.expires_at, Some(1_800_086_400));
    assert_eq!(
        tokens_of(&json!({"data": {"attributes": {"access_token": "a"}}}), 0),
        Ok(None)
    );
    // A JWT-sized token is kept whole; one over 8 KiB is refused, not cut.
    let jwt = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        "p".repeat(600),
        "s".repeat(342)
    );
    let kept = tokens_of(
        &json!({"data": {"attributes": {"access_token": jwt, "refresh_token": "r"}}}),
        0,
    )
    .unwrap()
    .unwrap();
    assert_eq!(kept.access.expose(), jwt);
    let huge = "h".repeat(super::super::MAX_SECRET_BYTES + 1);
    let err = tokens_of(
        &json!({"data": {"attributes": {"access_token": "a", "refresh_token": huge}}}),
        0,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("refresh_token is 8193 bytes"),
        "{err}"
    );
    assert_eq!(
        error_of(
            &json!({"result": false, "errors": [{"error": 429001, "error_description": "captcha"}]})
        ),
        "429001 captcha"
    );
    assert!(!format!("{t:?}").contains("\"a\""), "tokens never print");
}
