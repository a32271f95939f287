//! The disconnect confirmation: a native modal `<dialog>` (`showModal`), so
//! the browser provides real modal semantics — the rest of the page is
//! inert, focus moves in and stays in, Escape closes it. On close, focus
//! goes back to the row's button.

use healthlink_shared::SourceConnection;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::model::disconnect_consequence;

/// Asks before disconnecting `asking`; `on_answer` gets `true` to go ahead.
#[component]
pub fn ConfirmDisconnect(
    asking: ReadSignal<Option<SourceConnection>>,
    on_answer: Callback<bool>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        match (asking.with(Option::is_some), dialog.open()) {
            (true, false) => {
                let _ = dialog.show_modal();
            }
            (false, true) => dialog.close(),
            _ => {}
        }
    });
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
            <h3 id="hl-dialog-title" class="hl-dialog-title">{move || format!("Disconnect {}?", name())}</h3>
            <p id="hl-dialog-text" class="hl-dialog-text">{move || disconnect_consequence(&name())}</p>
            <div class="hl-dialog-actions">
                <button type="button" class="hl-button hl-button-secondary" data-testid="confirm-cancel"
                    on:click=move |_| on_answer.run(false)>
                    "Cancel"
                </button>
                <button type="button" class="hl-button hl-button-danger" data-testid="confirm-disconnect"
                    on:click=move |_| on_answer.run(true)>
                    {move || format!("Disconnect {}", name())}
                </button>
            </div>
        </dialog>
    }
}
