//! English, the fallback language.

use super::catalog::Catalog;

pub const CATALOG: Catalog = Catalog {
    lang: "en",

    title: "Connected data sources",
    subtitle: "Choose which apps and devices share data with this service.",
    loading: "Loading data sources",

    status_connected: "Connected",
    status_disconnected: "Not connected",
    status_expired: "Expired — reconnect",
    status_disconnecting: "Disconnecting…",
    status_finishing: "Finishing connection…",
    status_error: "Error",
    error_reason: "The last attempt did not work. Reconnect to try again.",

    connect: "Connect",
    reconnect: "Reconnect",
    disconnect: "Disconnect",
    connect_on_phone: "Connect on your phone",
    working: "Working…",
    connect_named: "Connect {name}",
    reconnect_named: "Reconnect {name}",
    disconnect_named: "Disconnect {name}",
    connect_on_phone_named: "Connect on your phone: {name}",
    phone_hint: "Connect in the app on your phone",

    data_last: "Last data {ago}",
    data_stale: "No new data from {name} for {duration}.",
    hint_open_app: "Open the {app} app to sync.",
    hint_open_phone_app: "Open our app on your phone so it can send new data.",
    hint_check_syncing: "Check that {name} is syncing, for example by opening its app.",
    hint_reconnect: "{name} no longer gives access to your data. Disconnect it and connect it \
                     again.",
    hint_permissions: "{name} isn't sharing all the data this service needs. Check the \
                       permissions in its app.",
    hint_provider_trouble: "{name} is having trouble sending data. It should catch up on its \
                            own.",

    notice_connected: "{name} is connected.",
    notice_disconnected: "{name} is disconnected.",
    notice_connect_cancelled: "{name} was not connected. You can try again at any time.",
    notice_disconnect_cancelled: "{name} is still connected.",
    notice_connect_failed: "Connecting {name} did not work. Please try again.",
    notice_disconnect_failed: "Disconnecting {name} did not work. {name} is still connected.",
    notice_popup_closed: "The {name} window was closed before finishing. Nothing changed.",
    notice_disconnect_pending: "{name} is being disconnected. This can take a while.",
    notice_deleted: "{name} is disconnected. Its shared data will be deleted.",
    notice_delete_pending: "{name} is being disconnected, and its shared data will be deleted. \
                            This can take a while.",
    notice_connect_finishing: "{name} is being connected. This can take a while.",
    notice_expired: "{name} needs to be connected again.",

    confirm_title: "Disconnect {name}?",
    confirm_text: "Choose what happens to the data already shared. You can connect {name} \
                   again at any time.",
    stop_sharing: "Stop sharing",
    stop_sharing_text: "{name} stops sending new data. What was already shared stays with \
                        this service.",
    stop_sharing_and_delete: "Stop sharing and delete my data",
    stop_sharing_and_delete_text: "{name} stops sending new data, and the data already shared \
                                   is deleted.",
    cancel: "Cancel",

    purpose_title: "Connect {name}?",
    purpose_intro: "What your {name} data is used for:",
    purpose_next: "Next, {name} asks you to allow sharing. You can disconnect at any time.",
    proceed: "Continue",

    phone_title: "Connect {name} on your phone",
    phone_text: "Scan this code with your phone's camera. It opens our app, where you can \
                 connect {name}.",
    phone_qr_label: "QR code that opens the app to connect {name}",
    phone_link: "Already on your phone? Open the app",
    close: "Close",

    retry: "Retry",
    error_unreachable: "We can't reach the connection service right now. Check your internet \
                        connection and try again.",
    error_session_ended: "Your session has ended. Reload the page to sign in again.",
    error_rate_limited: "Too many attempts in a short time. Please wait a moment and try again.",
    error_upstream_unavailable: "The data service is not answering right now. Please try again \
                                 in a few minutes.",
    error_source_expired: "This connection has expired. Reconnect it to continue.",
    error_not_allowed: "This page is not allowed to change your data sources. Please contact \
                        support.",
    error_service: "The connection service has a problem on its side. Please try again later \
                    or contact support.",
    error_generic: "Something went wrong. Please try again.",
};
