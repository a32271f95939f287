//! The languages other than English, as the widget loaded them: the JSON
//! files generated from the Rust catalogs, fetched from the edge when a user
//! needs one. Each is read once per page and kept for the page's life.

use std::cell::RefCell;

use super::{Catalog, Locale};

thread_local! {
    static LOADED: RefCell<Vec<(Locale, &'static Catalog)>> = const { RefCell::new(Vec::new()) };
}

/// Whether `locale`'s strings are here (English always is).
pub fn is_ready(locale: Locale) -> bool {
    locale == Locale::En || catalog(locale).is_some()
}

pub(super) fn catalog(locale: Locale) -> Option<&'static Catalog> {
    LOADED.with_borrow(|loaded| {
        loaded
            .iter()
            .find(|(known, _)| *known == locale)
            .map(|(_, catalog)| *catalog)
    })
}

/// Keeps a loaded catalog for the rest of the page. Leaked on purpose: at
/// most four, a few KB each, read by every view for as long as the page
/// lives.
pub fn register(locale: Locale, catalog: Catalog) {
    if is_ready(locale) || catalog.lang != locale.code() {
        return;
    }
    let catalog: &'static Catalog = Box::leak(Box::new(catalog));
    LOADED.with_borrow_mut(|loaded| loaded.push((locale, catalog)));
}
