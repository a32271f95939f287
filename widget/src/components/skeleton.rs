//! Placeholder rows shown while the list loads: as many as the catalog has
//! sources and the same height as real rows, so nothing jumps when it
//! arrives.

use healthlink_shared::CATALOG;
use leptos::prelude::*;

/// Rows shown while loading; announced to assistive technology as busy.
#[component]
pub fn SkeletonList(label: Signal<&'static str>) -> impl IntoView {
    view! {
        <ul class="hl-list" aria-busy="true" aria-label=label data-testid="loading">
            {CATALOG
                .iter()
                .map(|_| {
                    view! {
                        <li class="hl-row hl-skeleton" aria-hidden="true">
                            <span class="hl-logo"></span>
                            <span class="hl-skeleton-bar"></span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
