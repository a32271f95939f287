//! Times in the widget's language, worded by the browser's `Intl`: "2 hours
//! ago", "yesterday", "4 days", with each language's plural forms, and no
//! date library or plural rules in the bundle.

use js_sys::{Array, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::model::freshness::Elapsed;

fn options(pairs: &[(&str, &str)]) -> Object {
    let options = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(
            &options,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    options
}

/// `elapsed` before now, as a relative time ("2 hours ago", "vor 2
/// Stunden", "yesterday") in the language `lang`.
pub fn ago(lang: &str, elapsed: Elapsed) -> String {
    let format = Intl::RelativeTimeFormat::new(
        &Array::of1(&JsValue::from_str(lang)),
        &options(&[("numeric", "auto")]),
    );
    format
        .format(-(elapsed.value as f64), elapsed.unit.as_str())
        .into()
}

/// `elapsed` as a length of time ("4 days", "4 Tage") in the language
/// `lang`.
pub fn duration(lang: &str, elapsed: Elapsed) -> String {
    let format = Intl::NumberFormat::new(
        &Array::of1(&JsValue::from_str(lang)),
        &options(&[
            ("style", "unit"),
            ("unit", elapsed.unit.as_str()),
            ("unitDisplay", "long"),
        ]),
    );
    // `format` is a getter that returns a function bound to the formatter.
    format
        .format()
        .call1(
            &JsValue::UNDEFINED,
            &JsValue::from_f64(elapsed.value as f64),
        )
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| elapsed.value.to_string())
}
