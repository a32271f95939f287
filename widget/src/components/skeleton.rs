//! Placeholder rows shown while the list loads, the same height as real rows
//! so nothing jumps when it arrives.

use leptos::prelude::*;

/// Rows shown while loading; announced to assistive technology as busy.
#[component]
pub fn SkeletonList() -> impl IntoView {
    view! {
        <ul class="hl-list" aria-busy="true" aria-label="Loading data sources" data-testid="loading">
            {(0..6)
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
