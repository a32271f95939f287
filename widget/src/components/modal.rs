//! Keeps a native `<dialog>` shown as a modal exactly while a signal says so.

use leptos::html::Dialog;
use leptos::prelude::*;

/// Opens `dialog` with `showModal()` when `open()` becomes true and closes it
/// when it becomes false. `showModal` is what makes the rest of the page
/// inert and traps focus; the browser handles Escape.
pub fn show_modal_while(dialog: NodeRef<Dialog>, open: impl Fn() -> bool + 'static) {
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        match (open(), dialog.open()) {
            (true, false) => {
                let _ = dialog.show_modal();
            }
            (false, true) => dialog.close(),
            _ => {}
        }
    });
}
