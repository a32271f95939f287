//! The disconnect confirmation: a native modal `<dialog>` (`showModal`), so
//! the browser provides real modal semantics — the rest of the page is
//! inert, focus moves in and stays in, Escape closes it. It offers the two
//! ways to end a connection (keep the shared data, or have it deleted), each
//! saying what it does, and Cancel. On close, focus goes back to the row's
//! button.

use healthlink_shared::SourceConnection;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::components::modal::show_modal_while;
use crate::i18n::Locale;
use crate::model::ending::Ending;

/// Asks how to end `asking`'s connection; `on_answer` gets the choice, or
/// `None` for Cancel and Escape.
#[component]
pub fn ConfirmDisconnect(
    asking: ReadSignal<Option<SourceConnection>>,
    on_answer: Callback<Option<Ending>>,
    locale: Memo<Locale>,
) -> impl IntoView {
    let t = move || locale.get().catalog();
    let dialog = NodeRef::<Dialog>::new();
    show_modal_while(dialog, move || asking.with(Option::is_some));
    let name =
        move || asking.with(|source| source.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    // Each choice is a button with its consequence under it, tied to it by
    // `aria-describedby` so a screen reader says both together. Static ids
    // rather than formatted ones: a little less code in the download.
    let choice = move |ending: Ending| {
        let (test_id, explanation) = match ending {
            Ending::Disconnect => ("confirm-disconnect", "hl-choice-disconnect"),
            Ending::Delete => ("confirm-delete", "hl-choice-delete"),
        };
        view! {
            <div class="hl-choice">
                <button type="button" class="hl-button hl-button-danger hl-choice-button"
                    data-testid=test_id
                    aria-describedby=explanation
                    on:click=move |_| on_answer.run(Some(ending))>
                    {move || ending.label(t())}
                </button>
                <p id=explanation class="hl-choice-text">{move || ending.explanation(&name(), t())}</p>
            </div>
        }
    };
    view! {
        <dialog
            node_ref=dialog
            class="hl-dialog"
            aria-labelledby="hl-dialog-title"
            aria-describedby="hl-dialog-text"
            data-testid="confirm-dialog"
            // Escape: the browser fires `cancel`, then closes.
            on:cancel=move |_: web_sys::Event| on_answer.run(None)
        >
            <h3 id="hl-dialog-title" class="hl-dialog-title">{move || t().fill(t().confirm_title, &name())}</h3>
            <p id="hl-dialog-text" class="hl-dialog-text">{move || t().fill(t().confirm_text, &name())}</p>
            {Ending::ALL.map(choice)}
            <div class="hl-dialog-actions">
                // `autofocus`: `showModal` focuses Cancel, the choice that
                // changes nothing, although it comes last.
                <button type="button" class="hl-button hl-button-secondary" data-testid="confirm-cancel"
                    autofocus on:click=move |_| on_answer.run(None)>
                    {move || t().cancel}
                </button>
            </div>
        </dialog>
    }
}
