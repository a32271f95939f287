//! The widget's colours as the browser computes them inside the shadow root,
//! and the two palettes of `widget/src/style.css` they must match.

use serde::Deserialize;

use crate::browser::Browser;

/// What a person sees of a theme: the card, its text, and a primary
/// button. `rgb(…)` as `getComputedStyle` spells it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Colours {
    /// `.hl-card`'s background.
    pub card: String,
    /// The heading's colour: the widget's main text colour.
    pub text: String,
    /// The subtitle's: secondary text.
    pub muted: String,
    /// A primary (filled) row button's background, and its label's colour.
    pub button: String,
    pub button_text: String,
}

/// `light-dark()`'s first values in style.css.
pub fn light() -> Colours {
    Colours {
        card: "rgb(255, 255, 255)".into(),        // #ffffff
        text: "rgb(27, 31, 36)".into(),           // #1b1f24
        muted: "rgb(87, 96, 106)".into(),         // #57606a
        button: "rgb(11, 92, 173)".into(),        // #0b5cad
        button_text: "rgb(255, 255, 255)".into(), // #ffffff
    }
}

/// `light-dark()`'s second values in style.css.
pub fn dark() -> Colours {
    Colours {
        card: "rgb(22, 27, 34)".into(),        // #161b22
        text: "rgb(230, 237, 243)".into(),     // #e6edf3
        muted: "rgb(157, 167, 179)".into(),    // #9da7b3
        button: "rgb(88, 166, 255)".into(),    // #58a6ff
        button_text: "rgb(13, 17, 23)".into(), // #0d1117
    }
}

/// The script that reads [`Colours`] from the first widget, shared by
/// [`colours`] and by tests that read them in the same turn as they change
/// something (so "at once" means before the page can do anything else).
pub const READ_COLOURS: &str = "const root = document.querySelector('healthlink-connect').shadowRoot;\
     const style = (selector) => getComputedStyle(root.querySelector(selector));\
     const button = style('.hl-row-action.hl-button:not(.hl-button-secondary):not([hidden])');\
     return { card: style('.hl-card').backgroundColor, text: style('.hl-title').color,\
       muted: style('.hl-subtitle').color, button: button.backgroundColor, button_text: button.color };";

/// The first widget's colours now. The list must be showing (a primary
/// button is read from it).
pub async fn colours(browser: &Browser) -> Colours {
    let value = browser
        .client
        .execute(READ_COLOURS, vec![])
        .await
        .expect("read the widget's colours");
    serde_json::from_value(value).expect("five colours")
}
