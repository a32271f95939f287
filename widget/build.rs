//! Minifies the widget's stylesheet for the bundle: comments and runs of
//! whitespace cost download (about 0.7 KB brotli) and no user sees them.
//! The source keeps its comments; `mount.rs` includes the result.

use std::path::PathBuf;

fn main() {
    let source = "src/style.css";
    println!("cargo::rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).expect("widget/src/style.css");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("style.min.css");
    std::fs::write(out, minify(&css)).expect("writing the minified stylesheet");
}

/// Drops `/* … */` comments, collapses whitespace to one space, and drops
/// the space next to `{ } ; ,` and after `:` (a declaration's; selectors
/// keep theirs, where a space before `:` means a descendant).
fn minify(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    without_comments.push_str(rest);
    let collapsed = without_comments
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let mut chars = collapsed.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let next = chars.peek().copied();
            let previous = out.chars().last();
            let tight = |c: Option<char>| matches!(c, Some('{' | '}' | ';' | ','));
            if tight(next) || tight(previous) || previous == Some(':') {
                continue;
            }
        }
        out.push(c);
    }
    out
}
