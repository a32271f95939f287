//! What the Worker and its Durable Objects share per isolate: the parsed
//! configuration, the clock and the CSPRNG, read from the runtime once.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::config::{Config, ConfigError};

thread_local! {
    /// The configuration, parsed once per isolate: a deployment's variables
    /// and secrets cannot change under a running isolate (a change makes a
    /// new version, which starts new isolates), and reading each of them
    /// crosses from wasm into JavaScript.
    static CONFIG: OnceCell<Rc<Result<Config, ConfigError>>> = const { OnceCell::new() };
}

pub fn config(env: &Env) -> Rc<Result<Config, ConfigError>> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            Rc::new(Config::from_lookup(|name| {
                env.secret(name)
                    .ok()
                    .map(|value| value.to_string())
                    .or_else(|| env.var(name).ok().map(|value| value.to_string()))
            }))
        })
        .clone()
    })
}

/// Now, in Unix milliseconds (one call, no `Date` object).
pub fn now_ms() -> i64 {
    worker::js_sys::Date::now() as i64
}

/// `crypto.randomUUID()`: unguessable and unique.
pub fn random_uuid() -> Option<String> {
    use worker::js_sys::{Function, Reflect, global};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let crypto = Reflect::get(&global(), &JsValue::from_str("crypto")).ok()?;
    let random_uuid: Function = Reflect::get(&crypto, &JsValue::from_str("randomUUID"))
        .ok()?
        .dyn_into()
        .ok()?;
    random_uuid.call0(&crypto).ok()?.as_string()
}

/// A number in [0, 1) for spreading retries (not a secret).
pub fn jitter() -> f64 {
    worker::js_sys::Math::random()
}
