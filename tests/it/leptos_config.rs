//! Leptos.toml (read by the built server) must agree with Cargo.toml's [package.metadata.leptos]
//! (read by cargo-leptos), or the server would look for files the build did not write.

fn table(path: &str) -> toml::Table {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.parse::<toml::Table>().unwrap()
}

#[test]
fn leptos_toml_agrees_with_cargo_metadata() {
    let cargo = table("Cargo.toml");
    let cargo = cargo["package"]["metadata"]["leptos"].as_table().unwrap();
    let runtime = table("Leptos.toml");
    let runtime = runtime["package"]["metadata"]["leptos"].as_table().unwrap();
    for key in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
        "hash-files",
    ] {
        assert_eq!(
            runtime.get(key),
            cargo.get(key),
            "`{key}` differs between Leptos.toml and Cargo.toml"
        );
    }
    // Every runtime key is known to cargo-leptos too, except the run mode: the deployed server runs
    // in PROD, cargo-leptos's watch mode in DEV.
    for key in runtime.keys() {
        assert!(
            key == "env" || cargo.contains_key(key),
            "Leptos.toml has `{key}`, Cargo.toml does not"
        );
    }
    assert_eq!(runtime["env"].as_str(), Some("PROD"));
}

#[test]
fn leptos_toml_is_read_by_leptos_config() {
    let path = format!("{}/Leptos.toml", env!("CARGO_MANIFEST_DIR"));
    let conf = leptos::config::get_configuration(Some(&path))
        .unwrap()
        .leptos_options;
    assert_eq!(&*conf.output_name, "linksmith");
    assert_eq!(&*conf.site_root, "target/site");
    assert!(conf.hash_files);
}
