//! German.

use super::catalog::Catalog;

pub const CATALOG: Catalog = Catalog {
    lang: "de",

    title: "Verbundene Datenquellen",
    subtitle: "Wählen Sie, welche Apps und Geräte Daten mit diesem Dienst teilen.",
    loading: "Datenquellen werden geladen",

    status_connected: "Verbunden",
    status_disconnected: "Nicht verbunden",
    status_expired: "Abgelaufen — neu verbinden",
    status_disconnecting: "Wird getrennt…",
    status_finishing: "Verbindung wird abgeschlossen…",
    status_error: "Fehler",
    error_reason: "Der letzte Versuch ist fehlgeschlagen. Verbinden Sie die Quelle neu, um es \
                   noch einmal zu versuchen.",

    connect: "Verbinden",
    reconnect: "Neu verbinden",
    disconnect: "Trennen",
    connect_on_phone: "Auf dem Smartphone verbinden",
    working: "Bitte warten…",
    connect_named: "{name} verbinden",
    reconnect_named: "{name} neu verbinden",
    disconnect_named: "{name} trennen",
    connect_on_phone_named: "{name} auf dem Smartphone verbinden",
    phone_hint: "In der App auf Ihrem Smartphone verbinden",

    data_last: "Letzte Daten {ago}",
    data_stale: "Von {name} kamen {duration} lang keine neuen Daten.",
    hint_open_app: "Öffnen Sie die App {app}, um zu synchronisieren.",
    hint_open_phone_app: "Öffnen Sie unsere App auf Ihrem Smartphone, damit sie neue Daten \
                          senden kann.",
    hint_check_syncing: "Prüfen Sie, ob {name} synchronisiert, zum Beispiel indem Sie die App \
                         öffnen.",
    hint_reconnect: "{name} gewährt keinen Zugriff mehr auf Ihre Daten. Trennen Sie die Quelle \
                     und verbinden Sie sie neu.",
    hint_permissions: "{name} teilt nicht alle Daten, die dieser Dienst braucht. Prüfen Sie die \
                       Berechtigungen in der App.",
    hint_provider_trouble: "{name} hat gerade Probleme beim Senden von Daten. Das sollte sich \
                            von selbst erledigen.",

    notice_connected: "{name} ist verbunden.",
    notice_disconnected: "{name} ist nicht mehr verbunden.",
    notice_connect_cancelled: "{name} wurde nicht verbunden. Sie können es jederzeit erneut \
                               versuchen.",
    notice_disconnect_cancelled: "{name} ist weiterhin verbunden.",
    notice_connect_failed: "{name} konnte nicht verbunden werden. Bitte versuchen Sie es erneut.",
    notice_disconnect_failed: "{name} konnte nicht getrennt werden. {name} ist weiterhin \
                               verbunden.",
    notice_popup_closed: "Das Fenster von {name} wurde vor dem Abschluss geschlossen. Es wurde \
                          nichts geändert.",
    notice_disconnect_pending: "{name} wird getrennt. Das kann eine Weile dauern.",
    notice_deleted: "{name} ist nicht mehr verbunden. Die geteilten Daten werden gelöscht.",
    notice_delete_pending: "{name} wird getrennt, und die geteilten Daten werden gelöscht. Das \
                            kann eine Weile dauern.",
    notice_connect_finishing: "{name} wird verbunden. Das kann eine Weile dauern.",
    notice_expired: "{name} muss neu verbunden werden.",

    confirm_title: "{name} trennen?",
    confirm_text: "Wählen Sie, was mit den bereits geteilten Daten geschieht. Sie können \
                   {name} jederzeit wieder verbinden.",
    stop_sharing: "Teilen beenden",
    stop_sharing_text: "{name} sendet keine neuen Daten mehr. Bereits geteilte Daten bleiben \
                        bei diesem Dienst.",
    stop_sharing_and_delete: "Teilen beenden und meine Daten löschen",
    stop_sharing_and_delete_text: "{name} sendet keine neuen Daten mehr, und die bereits \
                                   geteilten Daten werden gelöscht.",
    cancel: "Abbrechen",

    purpose_title: "{name} verbinden?",
    purpose_intro: "Wofür Ihre Daten von {name} verwendet werden:",
    purpose_next: "Danach fragt {name} Sie, ob Sie das Teilen erlauben. Sie können jederzeit wieder trennen.",
    proceed: "Weiter",

    phone_title: "{name} auf dem Smartphone verbinden",
    phone_text: "Scannen Sie diesen Code mit der Kamera Ihres Smartphones. Er öffnet unsere App, \
                 in der Sie {name} verbinden können.",
    phone_qr_label: "QR-Code, der die App zum Verbinden von {name} öffnet",
    phone_link: "Schon auf dem Smartphone? App öffnen",
    close: "Schließen",

    retry: "Erneut versuchen",
    error_unreachable: "Der Verbindungsdienst ist gerade nicht erreichbar. Prüfen Sie Ihre \
                        Internetverbindung und versuchen Sie es erneut.",
    error_session_ended: "Ihre Sitzung ist abgelaufen. Laden Sie die Seite neu, um sich wieder \
                          anzumelden.",
    error_rate_limited: "Zu viele Versuche in kurzer Zeit. Bitte warten Sie einen Moment und \
                         versuchen Sie es erneut.",
    error_upstream_unavailable: "Der Datendienst antwortet gerade nicht. Bitte versuchen Sie es \
                                 in ein paar Minuten erneut.",
    error_source_expired: "Diese Verbindung ist abgelaufen. Verbinden Sie sie neu, um \
                           fortzufahren.",
    error_not_allowed: "Diese Seite darf Ihre Datenquellen nicht ändern. Bitte wenden Sie sich \
                        an den Support.",
    error_service: "Beim Verbindungsdienst ist ein Problem aufgetreten. Bitte versuchen Sie es \
                    später erneut oder wenden Sie sich an den Support.",
    error_generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
};
