//! The message shown when the list cannot be loaded, with a Retry button.

use leptos::prelude::*;

/// A readable failure message and a way to try again.
#[component]
pub fn LoadErrorPanel(
    message: Signal<String>,
    on_retry: impl Fn() + 'static,
    retry_label: Signal<&'static str>,
) -> impl IntoView {
    view! {
        <div class="hl-error" role="alert" data-testid="load-error">
            <p class="hl-error-text" data-testid="load-error-message">{message}</p>
            <button type="button" class="hl-button" data-testid="retry" on:click=move |_| on_retry()>
                {retry_label}
            </button>
        </div>
    }
}
