//! The language files the widget loads: `widget/i18n/{code}.json`, one
//! object of the catalog's fields, generated from the Rust catalogs. This
//! test keeps them exactly in step; `HEALTHLINK_WRITE_CATALOGS=1 cargo test
//! -p healthlink-widget` rewrites them after a catalog changes.

use std::path::PathBuf;

use super::{Catalog, Locale};

fn path(locale: Locale) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("i18n")
        .join(format!("{}.json", locale.code()))
}

fn render(catalog: &Catalog) -> String {
    let object: serde_json::Map<String, serde_json::Value> = catalog
        .entries()
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text.into()))
        .collect();
    serde_json::to_string_pretty(&object).expect("strings serialize") + "\n"
}

#[test]
fn every_language_file_is_its_catalog() {
    let write = std::env::var_os("HEALTHLINK_WRITE_CATALOGS").is_some();
    for locale in Locale::ALL.into_iter().filter(|l| *l != Locale::En) {
        let expected = render(locale.catalog());
        if write {
            std::fs::create_dir_all(path(locale).parent().unwrap()).unwrap();
            std::fs::write(path(locale), &expected).unwrap();
        }
        let found = std::fs::read_to_string(path(locale)).unwrap_or_default();
        assert!(
            found == expected,
            "{} is out of date: run HEALTHLINK_WRITE_CATALOGS=1 cargo test -p healthlink-widget",
            path(locale).display()
        );
    }
}

#[test]
fn a_file_reads_back_as_its_catalog_and_a_partial_one_not_at_all() {
    let text = render(Locale::De.catalog());
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let leak = |name: &str| {
        object
            .get(name)
            .and_then(|value| value.as_str())
            .map(|text| &*Box::leak(text.to_owned().into_boxed_str()))
    };
    let read = Catalog::from_fields(&mut |name| leak(name)).expect("complete");
    assert_eq!(read.entries(), Locale::De.catalog().entries());
    let partial = Catalog::from_fields(&mut |name| (name != "retry").then(|| leak(name)).flatten());
    assert!(partial.is_none(), "one missing string refuses the file");
}
