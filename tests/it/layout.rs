//! The source tree keeps the shape the README draws (issue #36): no cycle between the modules of
//! `domain/`, `server/` or `app/`, and no source file over 500 lines (unit tests too long to sit
//! beside their code go to a `tests.rs` beside it).

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

const MAX_LINES: usize = 500;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of a file without its comments and its inline unit tests.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names a `use`/path after `prefix::` reaches at its first level: `a` in `prefix::a::b`,
/// `a` and `c` in `prefix::{a::b, c}`.
fn first_names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The group up to its matching brace, cut at its own commas.
            let mut depth = 1;
            let mut items = vec![String::new()];
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if c == ',' && depth == 1 {
                    items.push(String::new());
                } else if let Some(item) = items.last_mut() {
                    item.push(c);
                }
            }
            names.extend(items.iter().map(|item| {
                item.trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            }));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names.remove("");
    names
}

/// The modules of `area` (`src/<area>/`) each of its modules uses.
fn graph(area: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = root().join("src").join(area);
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let module_of = |path: &Path| -> String {
        let rel = path.strip_prefix(&dir).unwrap();
        let first = rel.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // A module's unit tests may use any module: they are not part of the graph.
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let module = module_of(file);
        let code = code_of(file);
        let mut used = first_names_after(&code, &format!("crate::{area}::"));
        // `super::` in a module's own file (not in a file of a sub-folder) is the area itself.
        let depth = file.strip_prefix(&dir).unwrap().components().count();
        let top = depth == 1 || (depth == 2 && file.ends_with("mod.rs"));
        if top {
            used.extend(first_names_after(&code, "super::"));
        }
        let entry = edges.entry(module.clone()).or_default();
        entry.extend(
            used.into_iter()
                .filter(|m| *m != module && modules.contains(m)),
        );
    }
    edges.remove("mod");
    edges
}

/// A cycle in `edges`, if there is one.
fn a_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_cycle_in_domain_server_or_app() {
    for area in ["domain", "server", "app"] {
        let edges = graph(area);
        assert!(edges.len() > 3, "{area}: the reader found its modules");
        if let Some(cycle) = a_cycle(&edges) {
            panic!("src/{area}/ has a cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_reader_sees_a_cycle_when_there_is_one() {
    let code = "use crate::domain::{check::{Problem, X}, rates::Lang};\nuse crate::domain::link;";
    assert_eq!(
        first_names_after(code, "crate::domain::"),
        ["check", "link", "rates"].map(String::from).into()
    );
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &[][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.iter().map(ToString::to_string).collect()))
    .collect();
    assert_eq!(
        a_cycle(&edges),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
}

#[test]
fn no_source_file_over_500_lines() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("tests.rs"))
        .filter_map(|f| {
            let lines = fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines})", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}
