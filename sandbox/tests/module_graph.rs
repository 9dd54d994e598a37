//! The house reads top-down: no module of the sandbox, the core or the C ABI
//! imports a module that imports it back, directly or through others
//! (issue 24). Each crate's `src` is parsed for the module paths its files
//! name (`use crate::…`, `crate::x::f()`, `super::…`, `self::…`, a child
//! module's `child::…`, and `mod child;` itself: a parent is above its
//! children), the module graph is built and every circle in it is named.
//!
//! Two views: every file a node (`vandar::business`), and each folder's
//! entries a node (`vandar` with everything under it), so neither a file nor
//! a folder leans on what sits above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path below its crate root: `[]` is `lib.rs`, `["store", "sql"]` is `store/sql.rs`.
type ModPath = Vec<String>;

/// Every `.rs` file under `src`, by module path.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<ModPath, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.expect("directory entry").path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name").to_owned();
            if path.is_dir() {
                walk(&path, &[prefix, &[name]].concat(), out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = match name.as_str() {
                    "lib" | "mod" => prefix.to_vec(),
                    _ => [prefix, &[name]].concat(),
                };
                out.insert(module, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// Source without comments, string and char literals: what is left is code.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let at = |k: usize| chars.get(k).copied();
        let rest = |k: usize| at(i + k);
        match chars[i] {
            '/' if rest(1) == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if rest(1) == Some('*') => {
                // Block comments nest in Rust.
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            'r' if (rest(1) == Some('"') || rest(1) == Some('#')) && !chars.get(i.wrapping_sub(1)).is_some_and(|c| c.is_alphanumeric() || *c == '_') => {
                // A raw string r"…" or r#"…"#: ends at the quote and as many hashes.
                let mut hashes = 0;
                let mut j = i + 1;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(chars[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                while j < chars.len() && !(chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#'))) {
                    j += 1;
                }
                i = j + 1 + hashes;
                out.push_str("\"\"");
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            '\'' if rest(1) == Some('\\') || rest(2) == Some('\'') => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("' '");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            // `$crate` in a macro is the macro's crate, not a module path here.
            let ident: String = chars[start..i].iter().collect();
            out.push(if start > 0 && chars[start - 1] == '$' { Token::Other } else { Token::Ident(ident) });
            continue;
        }
        out.push(match c {
            ':' if chars.get(i + 1) == Some(&':') => {
                i += 1;
                Token::PathSep
            }
            '{' => Token::Open,
            '}' => Token::Close,
            ',' => Token::Comma,
            ';' => Token::Semi,
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            _ => Token::Other,
        });
        i += 1;
    }
    out
}

/// The paths a path or use tree starting at `tokens[i]` names, each with
/// `prefix` in front (`a::{b, c::{d}}` names `a::b` and `a::c::d`), and where it ends.
fn paths_at(tokens: &[Token], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut segments = prefix;
    loop {
        match tokens.get(i) {
            Some(Token::Ident(name)) => {
                segments.push(name.clone());
                i += 1;
                if tokens.get(i) == Some(&Token::PathSep) {
                    i += 1;
                } else {
                    return (vec![segments], i);
                }
            }
            Some(Token::Open) => {
                i += 1;
                let mut all = Vec::new();
                while let Some(token) = tokens.get(i) {
                    match token {
                        Token::Close => {
                            i += 1;
                            break;
                        }
                        Token::Comma => i += 1,
                        _ => {
                            let (found, next) = paths_at(tokens, i, segments.clone());
                            all.extend(found);
                            // A glob or anything unexpected: skip one token, never loop.
                            i = next.max(i + 1);
                        }
                    }
                }
                return (all, i);
            }
            _ => return (vec![segments], i),
        }
    }
}

/// The modules `module` names, resolved against the crate's `known` modules
/// (longest known prefix of each path; an item of `lib.rs` is the root).
fn references(module: &ModPath, source: &str, known: &BTreeSet<ModPath>, reexports: &BTreeMap<String, ModPath>) -> BTreeSet<ModPath> {
    let tokens = without_test_modules(tokens(&code_only(source)));
    // Children this file declares with `mod x;`: the file is above them, and a
    // bare `x::…` names them.
    let children: BTreeSet<String> = tokens
        .windows(3)
        .filter_map(|w| match w {
            [Token::Ident(m), Token::Ident(name), Token::Semi] if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut found = BTreeSet::new();
    for child in &children {
        found.insert([module.as_slice(), std::slice::from_ref(child)].concat());
    }
    // Inside `mod tests { … }` a `super::` is this file's own module: count
    // the inline modules each token sits in.
    let mut braces: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open => braces.push(i >= 2 && matches!(&tokens[i - 2], Token::Ident(m) if m == "mod")),
            Token::Close => {
                braces.pop();
            }
            _ => {}
        }
        let inline_depth = braces.iter().filter(|inline| **inline).count();
        let starts_path = match &tokens[i] {
            Token::Ident(name) => (name == "crate" || name == "super" || name == "self" || children.contains(name))
                && tokens.get(i + 1) == Some(&Token::PathSep)
                && (i == 0 || tokens[i - 1] != Token::PathSep),
            _ => false,
        };
        if !starts_path {
            i += 1;
            continue;
        }
        let (paths, next) = paths_at(&tokens, i, Vec::new());
        for mut path in paths {
            let leading_supers = path.iter().take_while(|s| *s == "super").count();
            path.drain(..leading_supers.min(inline_depth));
            if let Some(mut target) = resolve(module, &path, known) {
                // An item the root only re-exports (`crate::Error`) lives in its own module.
                if target.is_empty() && path.first().is_some_and(|s| s == "crate") {
                    if let Some(home) = path.get(1).and_then(|item| reexports.get(item)) {
                        target = home.clone();
                    }
                }
                found.insert(target);
            }
        }
        // The tokens of a use tree's braces are passed over: keep the count in step.
        for token in &tokens[i + 1..next.max(i + 1)] {
            match token {
                Token::Open => braces.push(false),
                Token::Close => {
                    braces.pop();
                }
                _ => {}
            }
        }
        i = next.max(i + 1);
    }
    found.remove(module);
    found
}

/// The tokens without `#[cfg(test)] mod … { … }`: a unit test may reach
/// anywhere; the house is what the crate is built from.
fn without_test_modules(tokens: Vec<Token>) -> Vec<Token> {
    let ident = |t: &Token, want: &str| matches!(t, Token::Ident(name) if name == want);
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        // `#` `[` `cfg` `(` `test` `)` `]` are Other, Other, cfg, Other, test, Other, Other.
        let test_module = tokens.len() > i + 9 && ident(&tokens[i + 2], "cfg") && ident(&tokens[i + 4], "test") && ident(&tokens[i + 7], "mod") && tokens[i + 9] == Token::Open;
        if !test_module {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        let mut depth = 0;
        i += 9;
        while i < tokens.len() {
            match tokens[i] {
                Token::Open => depth += 1,
                Token::Close => depth -= 1,
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
    }
    out
}

/// What the crate root re-exports (`pub use error::{Error, Result};`,
/// `pub use log::*;`), by item name: where `crate::Error` really lives.
fn root_reexports(modules: &BTreeMap<ModPath, PathBuf>, known: &BTreeSet<ModPath>) -> BTreeMap<String, ModPath> {
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Some(root) = modules.get(&Vec::new()) else { return BTreeMap::new() };
    let root_tokens = without_test_modules(tokens(&code_only(&read(root))));
    let mut out = BTreeMap::new();
    for (i, token) in root_tokens.iter().enumerate() {
        if !matches!(token, Token::Ident(u) if u == "use") {
            continue;
        }
        for path in paths_at(&root_tokens, i + 1, Vec::new()).0 {
            let Some(home) = resolve(&Vec::new(), &path, known).filter(|m| !m.is_empty()) else { continue };
            match path.last() {
                Some(item) if path.len() > home.len() => {
                    out.insert(item.clone(), home);
                }
                // A glob: every item its module defines.
                _ => {
                    let code = code_only(&read(&modules[&home]));
                    let defined = tokens(&code);
                    for pair in defined.windows(2) {
                        if let [Token::Ident(kind), Token::Ident(name)] = pair {
                            if ["fn", "struct", "enum", "const", "static", "type", "trait", "union"].contains(&kind.as_str()) {
                                out.entry(name.clone()).or_insert_with(|| home.clone());
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn resolve(module: &ModPath, path: &[String], known: &BTreeSet<ModPath>) -> Option<ModPath> {
    let (mut base, mut rest) = (module.clone(), path);
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        // A declared child's name, relative to this module.
        _ => {}
    }
    let mut target = base;
    for segment in rest {
        let longer = [target.as_slice(), std::slice::from_ref(segment)].concat();
        if !known.contains(&longer) {
            break;
        }
        target = longer;
    }
    Some(target)
}

/// The module graph of the crate at `src`, each module cut to its first
/// `depth` segments (`usize::MAX`: every file its own node).
fn graph(src: &Path, depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    let known: BTreeSet<ModPath> = modules.keys().cloned().collect();
    let reexports = root_reexports(&modules, &known);
    let name = |m: &ModPath| if m.is_empty() { "crate".to_owned() } else { m[..m.len().min(depth)].join("::") };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &modules {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let from = name(module);
        let edges = graph.entry(from.clone()).or_default();
        for target in references(module, &source, &known, &reexports) {
            let to = name(&target);
            if to != from {
                edges.insert(to);
            }
        }
    }
    graph
}

/// Circles of the graph, each written `a → b → a`: from every module in no
/// circle reported yet, one circle back to it if there is one. Empty exactly
/// when the graph has no circle.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    // A path back to `start` through nodes not yet reported, found by depth-first search.
    fn back_to(graph: &BTreeMap<String, BTreeSet<String>>, start: &str, at: &str, trail: &mut Vec<String>, seen: &mut BTreeSet<String>) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                trail.push(next.clone());
                if back_to(graph, start, next, trail, seen) {
                    return true;
                }
                trail.pop();
            }
        }
        false
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for start in graph.keys() {
        if reported.contains(start) {
            continue;
        }
        let mut trail = vec![start.clone()];
        let mut seen = reported.clone();
        seen.insert(start.clone());
        if back_to(graph, start, start, &mut trail, &mut seen) {
            reported.extend(trail.iter().cloned());
            trail.push(start.clone());
            out.push(trail.join(" → "));
        }
    }
    out
}

fn crate_src(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir).join("src")
}

fn assert_no_circles(dir: &str, depth: usize) {
    let graph = graph(&crate_src(dir), depth);
    assert!(graph.len() > 3, "{dir}/src has modules to check: {graph:?}");
    let circles = circles(&graph);
    assert!(circles.is_empty(), "{dir}/src has import circles (each module should only use modules below it):\n  {}", circles.join("\n  "));
}

#[test]
fn sandbox_files_import_no_circles() {
    assert_no_circles("sandbox", usize::MAX);
}

#[test]
fn sandbox_folders_import_no_circles() {
    assert_no_circles("sandbox", 1);
}

#[test]
fn core_top_level_modules_import_no_circles() {
    assert_no_circles("core", 1);
}

#[test]
fn ffi_c_modules_import_no_circles() {
    assert_no_circles("ffi-c", usize::MAX);
}

/// The checker itself: it finds a circle through a use tree, `super` and a
/// child's bare path, and none where the house is top-down (comments,
/// strings and a test module's `super::*` name nothing).
#[test]
fn the_checker_names_a_circle_and_passes_a_top_down_house() {
    let root = std::env::temp_dir().join(format!("dargah-module-graph-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("circle/lib.rs", "mod a;\nmod b;\nmod shop;\n");
    write("circle/a.rs", "// use crate::shop; (a comment names nothing)\nuse crate::{b::{self, Thing}, shop};\nconst S: &str = \"crate::b\";\n");
    write("circle/b.rs", "fn f() { crate::shop::run() }\n");
    write("circle/shop.rs", "mod till;\npub fn run() { till::open() }\n");
    write("circle/shop/till.rs", "pub fn open() { let _ = super::super::a::X; }\n");
    write("house/lib.rs", "mod a;\nmod b;\nuse a::Top;\n");
    write("house/a.rs", "use crate::b::{Low, Lower as _};\nfn g() { let c = '\"'; let _ = r#\"crate::a\"#; }\n");
    write("house/b.rs", "pub struct Low;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n");
    let circle = graph(&root.join("circle"), usize::MAX);
    assert_eq!(circle["a"], BTreeSet::from(["b".to_owned(), "shop".to_owned()]), "{circle:?}");
    assert_eq!(circle["shop::till"], BTreeSet::from(["a".to_owned()]));
    assert_eq!(circles(&circle), vec!["a → b → shop → shop::till → a".to_owned()]);
    assert_eq!(circles(&graph(&root.join("circle"), 1)), vec!["a → b → shop → a".to_owned()]);
    let house = graph(&root.join("house"), usize::MAX);
    assert_eq!(house["a"], BTreeSet::from(["b".to_owned()]));
    assert!(circles(&house).is_empty(), "{house:?}");
    std::fs::remove_dir_all(&root).unwrap();
}
