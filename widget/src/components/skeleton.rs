//! Placeholder rows shown while the list loads: as many as the catalog has
//! sources and the same height as real rows, so nothing jumps when it
//! arrives.

use healthlink_shared::CATALOG;
use leptos::prelude::*;

/// One placeholder row. Constant markup with no data in it, so the rows are
/// set as the list's HTML: built by Leptos, ten identical rows cost about
/// 1.3 KB of the widget's download (brotli) for nothing they could change.
const ROW: &str = concat!(
    r#"<li class="hl-row hl-skeleton" aria-hidden="true">"#,
    r#"<span class="hl-logo"></span><span class="hl-skeleton-bar"></span></li>"#,
);

/// Rows shown while loading; announced to assistive technology as busy.
#[component]
pub fn SkeletonList(label: Signal<&'static str>) -> impl IntoView {
    view! {
        <ul class="hl-list" aria-busy="true" aria-label=label data-testid="loading"
            inner_html=ROW.repeat(CATALOG.len())></ul>
    }
}
