//! The message shown when the list cannot be loaded, with a Retry button.

use leptos::prelude::*;

/// A readable failure message and a way to try again.
#[component]
pub fn LoadErrorPanel(message: String, on_retry: impl Fn() + 'static) -> impl IntoView {
    view! {
        <div class="hl-error" role="alert" data-testid="load-error">
            <p class="hl-error-text" data-testid="load-error-message">{message}</p>
            <button type="button" class="hl-button" data-testid="retry" on:click=move |_| on_retry()>
                "Retry"
            </button>
        </div>
    }
}
