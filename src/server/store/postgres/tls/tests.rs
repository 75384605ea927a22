use super::*;

#[test]
fn tls_keys_are_taken_out_of_either_form() {
    assert_eq!(
        split("postgres://u:p@db:5432/x?sslmode=verify-full&application_name=a&sslrootcert=%2Fetc%2Fca.pem"),
        Split {
            rest: "postgres://u:p@db:5432/x?application_name=a".into(),
            sslmode: Some("verify-full".into()),
            sslrootcert: Some("/etc/ca.pem".into()),
        }
    );
    assert_eq!(
        split("postgres://u@db/x?sslmode=disable").rest,
        "postgres://u@db/x"
    );
    assert_eq!(
        split(
            "host=db user=u sslmode = require sslrootcert='/a dir/ca.pem' password='a b' dbname=x"
        ),
        Split {
            rest: "host=db user=u password='a b' dbname=x".into(),
            sslmode: Some("require".into()),
            sslrootcert: Some("/a dir/ca.pem".into()),
        }
    );
    assert_eq!(
        split(r"host=db password='a\'b c' sslmode=verify-ca").rest,
        r"host=db password='a\'b c'"
    );
}

fn settle_text(address: &str) -> Result<Mode, String> {
    let s = split(address);
    let mut config: tokio_postgres::Config = s.rest.parse().map_err(|e| format!("{e}"))?;
    settle(&s, &mut config)
        .map(|t| t.mode())
        .map_err(|e| e.to_string())
}

#[test]
fn modes_are_read_as_libpq_reads_them_and_the_unsafe_ones_refused() {
    assert_eq!(settle_text("postgres://u@127.0.0.1/x"), Ok(Mode::Disable));
    assert_eq!(settle_text("postgres://u@localhost/x"), Ok(Mode::Disable));
    assert_eq!(settle_text("postgres://u@[::1]/x"), Ok(Mode::Disable));
    assert_eq!(
        settle_text("host=/var/run/postgresql dbname=x"),
        Ok(Mode::Disable)
    );
    assert_eq!(
        settle_text("postgres://u@db.internal/x?sslmode=disable"),
        Ok(Mode::Disable)
    );
    assert_eq!(
        settle_text("postgres://u@db.internal/x?sslmode=require"),
        Ok(Mode::Require)
    );
    for (address, says) in [
        ("postgres://u@db.internal/x", "names no sslmode"),
        (
            "postgres://u@db.internal/x?sslmode=prefer",
            "sslmode=prefer, which falls back to plain text",
        ),
        (
            "postgres://u@127.0.0.1/x?sslmode=allow",
            "sslmode=allow, which falls back to plain text",
        ),
        (
            "postgres://u@db/x?sslmode=verify-everything",
            "not one of disable",
        ),
        (
            "postgres://u@db/x?sslmode=disable&sslrootcert=/ca.pem",
            "sslrootcert with sslmode=disable",
        ),
        ("host=/run/postgresql sslmode=require", "Unix socket"),
        (
            "postgres://u@db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "sslrootcert=/nonexistent/ca.pem, which cannot be read",
        ),
    ] {
        let err = settle_text(address).unwrap_err();
        assert!(err.contains(says), "{address}: {err}");
    }
}
