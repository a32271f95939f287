//! "Connect {name}?": before a connect flow opens, the purpose line the
//! deployment configured for the source (`HEALTHLINK_CONSENT_PURPOSES`), so
//! the user reads what the data is for before the provider asks to share
//! it. A native modal `<dialog>` like the disconnect confirmation; Continue
//! opens the flow from its own click, so a popup is not blocked.

use healthlink_shared::SourceConnection;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::components::modal::show_modal_while;
use crate::i18n::Locale;

/// Shows `asking`'s purpose; `on_answer` gets `true` for Continue and
/// `false` for Cancel and Escape.
#[component]
pub fn PurposeDialog(
    asking: ReadSignal<Option<SourceConnection>>,
    on_answer: Callback<bool>,
    locale: Memo<Locale>,
) -> impl IntoView {
    let t = move || locale.get().catalog();
    let dialog = NodeRef::<Dialog>::new();
    show_modal_while(dialog, move || asking.with(Option::is_some));
    let field = move |pick: fn(&SourceConnection) -> Option<&String>| {
        asking.with(|source| source.as_ref().and_then(pick).cloned().unwrap_or_default())
    };
    let name = move || field(|s| Some(&s.name));
    view! {
        <dialog
            node_ref=dialog
            class="hl-dialog"
            aria-labelledby="hl-purpose-title"
            aria-describedby="hl-purpose-text"
            data-testid="purpose-dialog"
            on:cancel=move |_: web_sys::Event| on_answer.run(false)
        >
            <h3 id="hl-purpose-title" class="hl-dialog-title">{move || t().fill(t().purpose_title, &name())}</h3>
            <div id="hl-purpose-text">
                <p class="hl-choice-text">{move || t().fill(t().purpose_intro, &name())}</p>
                // The operator's words, as configured: shown as text, never
                // as markup.
                <p class="hl-dialog-text hl-purpose" data-testid="purpose-text">{move || field(|s| s.purpose.as_ref())}</p>
                <p class="hl-dialog-text">{move || t().fill(t().purpose_next, &name())}</p>
            </div>
            <div class="hl-dialog-actions">
                <button type="button" class="hl-button hl-button-secondary" data-testid="purpose-cancel"
                    on:click=move |_| on_answer.run(false)>
                    {move || t().cancel}
                </button>
                <button type="button" class="hl-button" data-testid="purpose-continue"
                    autofocus on:click=move |_| on_answer.run(true)>
                    {move || t().proceed}
                </button>
            </div>
        </dialog>
    }
}
