//! The stylesheet the bundle carries is `style.css` with only comments and
//! whitespace taken out (`build.rs`): nothing a browser reads changed.

const SOURCE: &str = include_str!("style.css");
const MINIFIED: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

fn without_comments(css: &str) -> String {
    let mut out = String::new();
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("closed comment");
        rest = &rest[start + end + 2..];
    }
    out + rest
}

fn no_whitespace(css: &str) -> String {
    css.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn minifying_removes_only_comments_and_whitespace() {
    assert!(!MINIFIED.contains("/*") && !MINIFIED.contains('\n'));
    assert_eq!(
        no_whitespace(MINIFIED),
        no_whitespace(&without_comments(SOURCE))
    );
    assert!(
        MINIFIED.len() < SOURCE.len() * 3 / 4,
        "{} bytes",
        MINIFIED.len()
    );
    // Spaces that mean something stay: descendants, and values' words.
    assert!(MINIFIED.contains("color-scheme:light dark"));
    assert!(MINIFIED.contains(r#""Segoe UI""#));
}
