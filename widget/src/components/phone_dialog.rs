//! "Connect on your phone": a modal dialog with a QR code of the host app's
//! phone link, and the link itself for someone already on their phone.

use healthlink_shared::SourceConnection;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::components::modal::show_modal_while;
use crate::i18n::Locale;
use crate::model::links::safe_phone_link;

/// Shows the QR code for `showing`; `on_close` runs when it is dismissed
/// (Close button or Escape).
#[component]
pub fn PhoneDialog(
    showing: ReadSignal<Option<SourceConnection>>,
    on_close: Callback<()>,
    locale: Memo<Locale>,
) -> impl IntoView {
    let t = move || locale.get().catalog();
    let dialog = NodeRef::<Dialog>::new();
    show_modal_while(dialog, move || showing.with(Option::is_some));
    let name =
        move || showing.with(|source| source.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let link = move || {
        showing.with(|source| {
            source
                .as_ref()
                .and_then(|s| s.phone_link.as_deref())
                .and_then(safe_phone_link)
                .map(str::to_owned)
        })
    };
    // The edge drew the code; it is shown only beside a link that is safe
    // to open.
    let code = move || {
        showing.with(|source| {
            source
                .as_ref()
                .filter(|s| s.phone_link.as_deref().and_then(safe_phone_link).is_some())
                .and_then(|s| s.phone_qr.clone())
        })
    };
    view! {
        <dialog
            node_ref=dialog
            class="hl-dialog"
            aria-labelledby="hl-phone-title"
            aria-describedby="hl-phone-text"
            data-testid="phone-dialog"
            on:cancel=move |_: web_sys::Event| on_close.run(())
        >
            <h3 id="hl-phone-title" class="hl-dialog-title">{move || t().fill(t().phone_title, &name())}</h3>
            <p id="hl-phone-text" class="hl-dialog-text">{move || t().fill(t().phone_text, &name())}</p>
            {move || code().map(|code| {
                let view_box = format!("0 0 {0} {0}", code.size);
                view! {
                    <svg class="hl-qr" viewBox=view_box role="img" data-testid="phone-qr"
                        aria-label=move || t().fill(t().phone_qr_label, &name())>
                        <rect width="100%" height="100%" class="hl-qr-light"></rect>
                        <path d=code.path class="hl-qr-dark"></path>
                    </svg>
                }
            })}
            <p class="hl-dialog-text">
                <a class="hl-link" data-testid="phone-link" href=link>{move || t().phone_link}</a>
            </p>
            <div class="hl-dialog-actions">
                <button type="button" class="hl-button" data-testid="phone-close"
                    on:click=move |_| on_close.run(())>
                    {move || t().close}
                </button>
            </div>
        </dialog>
    }
}
