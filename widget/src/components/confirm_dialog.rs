//! The disconnect confirmation: a native modal `<dialog>` (`showModal`), so
//! the browser provides real modal semantics — the rest of the page is
//! inert, focus moves in and stays in, Escape closes it. On close, focus
//! goes back to the row's button.

use healthlink_shared::SourceConnection;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::components::modal::show_modal_while;
use crate::i18n::Locale;

/// Asks before disconnecting `asking`; `on_answer` gets `true` to go ahead.
#[component]
pub fn ConfirmDisconnect(
    asking: ReadSignal<Option<SourceConnection>>,
    on_answer: Callback<bool>,
    locale: Memo<Locale>,
) -> impl IntoView {
    let t = move || locale.get().catalog();
    let dialog = NodeRef::<Dialog>::new();
    show_modal_while(dialog, move || asking.with(Option::is_some));
    let name =
        move || asking.with(|source| source.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    view! {
        <dialog
            node_ref=dialog
            class="hl-dialog"
            aria-labelledby="hl-dialog-title"
            aria-describedby="hl-dialog-text"
            data-testid="confirm-dialog"
            // Escape: the browser fires `cancel`, then closes.
            on:cancel=move |_: web_sys::Event| on_answer.run(false)
        >
            <h3 id="hl-dialog-title" class="hl-dialog-title">{move || t().fill(t().confirm_title, &name())}</h3>
            <p id="hl-dialog-text" class="hl-dialog-text">{move || t().fill(t().confirm_text, &name())}</p>
            <div class="hl-dialog-actions">
                <button type="button" class="hl-button hl-button-secondary" data-testid="confirm-cancel"
                    on:click=move |_| on_answer.run(false)>
                    {move || t().cancel}
                </button>
                <button type="button" class="hl-button hl-button-danger" data-testid="confirm-disconnect"
                    on:click=move |_| on_answer.run(true)>
                    {move || t().fill(t().disconnect_named, &name())}
                </button>
            </div>
        </dialog>
    }
}
